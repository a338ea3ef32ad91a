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
  /** One AWS call as the simulator saw it: time, operation, whether it changes anything, outcome. */
  type CallRecord,
  /** Builds a simulation from a scenario (`{ seed, faults }`); a malformed scenario throws a schema error. */
  makeSimulation,
  /** The newer image every scenario offers (through the default name filter and the SSM parameters). */
  newImageId,
  /** The image every scenario's instances run at first. */
  oldImageId,
  /** A scenario: images, SSM parameters, clusters, groups, services, standalone tasks, faults. */
  type Scenario,
  /** The names of the scenario library. */
  scenarioNames,
  /** A scenario library name. */
  type ScenarioName,
  /** The scenario library by name, from `small` (4 instances) to `large-200`. */
  scenarios,
  /** A simulation: its ports layer, virtual clock, call log, metrics and world snapshot. */
  type Simulation,
  /** `seed` and `faults` of a simulation. */
  type SimulationOptions,
  /** A plain JSON view of the simulated world, for assertions and reports. */
  type WorldSnapshot,
} from "@ecs-ami-deploy/simulator"

/** The AWS ports backed by `simulation`, with its virtual clock: pass it as `ports` (or in `rolloutEnvironment`). */
export const simulatedPorts = (simulation: Simulation): Layer.Layer<AwsPorts> =>
  Layer.merge(simulation.layer, simulation.clockLayer)
