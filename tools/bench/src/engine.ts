/**
 * Runs ecs-ami-deploy's own engine (the executor over the planner) on a simulated world, the way the
 * CLI would: the built-in launch-spec strategies, the scenario's new image pinned as the target, a
 * silent notifier and an in-memory event log (so simulated time never runs on during real I/O).
 */
import { Clock, Effect, Layer, type Exit } from "effect"
import type { RolloutPolicy } from "@ecs-ami-deploy/domain"
import { runRollout, type ExecutorSettings, type RunResult } from "@ecs-ami-deploy/executor"
import { makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { EventLog, Notifier } from "@ecs-ami-deploy/ports"
import { newImageId, type Simulation } from "@ecs-ami-deploy/simulator"
import { builtInLaunchSpecStrategies, pinnedImageSource, Plugins } from "@ecs-ami-deploy/strategies"

/** What a simulated executor process needs besides the AWS ports: plugins, a notifier and an event log. */
export const engineLayer = (eventLog: EventLog["Service"]) =>
  Layer.mergeAll(
    Layer.succeed(Plugins, Plugins.of({ launchSpecStrategies: builtInLaunchSpecStrategies(), amiSource: pinnedImageSource({ imageId: newImageId }) })),
    Layer.succeed(Notifier, Notifier.of({ notify: () => Effect.void })),
    Layer.succeed(EventLog, eventLog),
  )

/** Runs `program` as one executor process on the simulation, with `eventLog`; resolves to its exit. */
export const runOnSimulation = <A, E>(
  simulation: Simulation,
  eventLog: EventLog["Service"],
  program: Effect.Effect<A, E, Layer.Success<Simulation["layer"]> | EventLog | Notifier | Plugins>,
): Promise<Exit.Exit<A, E>> =>
  Effect.runPromiseExit(
    program.pipe(Effect.provide(Layer.merge(simulation.layer, engineLayer(eventLog))), Effect.provideService(Clock.Clock, simulation.clock)),
  )

/** Rolls the simulation's first cluster out under `policy` with a fresh memory event log. */
export const runEngine = async (
  simulation: Simulation,
  policy: RolloutPolicy,
  settings: Partial<ExecutorSettings> = {},
): Promise<Exit.Exit<RunResult, unknown>> => {
  const clusterName = simulation.scenario.clusters[0]?.name
  if (clusterName === undefined) throw new Error(`scenario ${simulation.scenario.name} has no cluster`)
  return runOnSimulation(simulation, makeMemoryEventLog(), runRollout({ clusterName, policy, holder: "bench", settings }))
}
