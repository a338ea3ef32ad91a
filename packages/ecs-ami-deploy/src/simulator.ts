/**
 * `ecs-ami-deploy/simulator`: the library against a simulated AWS instead of a real one — a
 * discrete-event model of EC2, Auto Scaling and ECS in virtual time, so a rollout of hours runs in
 * milliseconds and every AWS call is recorded. A separate entry so the main one never bundles it.
 *
 * ```ts
 * const simulation = makeSimulation(scenarios.small)
 * await upgradeCluster({ cluster: "small-cluster" }, { ports: simulatedPorts(simulation), eventLog: "memory" })
 * ```
 */
import { Layer } from "effect"
import type { Simulation } from "@ecs-ami-deploy/simulator"
import type { AwsPorts } from "./environment.ts"

export {
  type CallRecord,
  makeSimulation,
  newImageId,
  oldImageId,
  type Scenario,
  scenarioNames,
  type ScenarioName,
  scenarios,
  type Simulation,
  type SimulationOptions,
  type WorldSnapshot,
} from "@ecs-ami-deploy/simulator"

/** The AWS ports backed by `simulation`, with its virtual clock: pass it as `ports` (or in `rolloutEnvironment`). */
export const simulatedPorts = (simulation: Simulation): Layer.Layer<AwsPorts> => Layer.merge(simulation.layer, simulation.clockLayer)
