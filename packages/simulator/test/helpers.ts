/**
 * Small builders shared by the simulator's tests: scenario variants and a runner that executes a
 * program on a fresh simulation and returns both its result and the simulation.
 */
import type { Effect } from "effect"
import {
  makeSimulation,
  scenarios,
  type Scenario,
  type SimulatedPorts,
  type Simulation,
  type SimulationOptions,
} from "../src/index.ts"
import type { ScenarioService } from "../src/scenario.ts"
import { onlyServices, withService } from "../src/testing.ts"

/** `single-task-services` reduced to one service (`billing`) with the given deployment settings. */
export const oneService = (settings: Partial<Omit<ScenarioService, "clusterName" | "name">>): Scenario =>
  withService(onlyServices(scenarios["single-task-services"], ["billing"]), "billing", settings)

export const simulate = async <A, E>(
  scenario: Scenario,
  program: (sim: Simulation) => Effect.Effect<A, E, SimulatedPorts>,
  options: SimulationOptions = {},
): Promise<{ readonly sim: Simulation; readonly result: A }> => {
  const sim = makeSimulation(scenario, options)
  const result = await sim.run(program(sim))
  return { sim, result }
}

/** The container instance hosting the first running task of a service. */
export const hostOf = (sim: Simulation, serviceName: string): string => {
  const task = sim
    .snapshotState()
    .tasks.find((t) => t.serviceName === serviceName && t.lastStatus === "RUNNING")
  if (task?.containerInstanceArn === undefined) throw new Error(`no running task of ${serviceName}`)
  return task.containerInstanceArn
}

export const healthyTimeline = (sim: Simulation, serviceName: string): ReadonlyArray<number> =>
  sim
    .metrics()
    .services.find((s) => s.service.endsWith(`/${serviceName}`))
    ?.timeline.map((p) => p.healthy) ?? []
