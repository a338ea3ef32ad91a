/**
 * Runs ecs-ami-deploy's own engine (the executor over the planner) on a simulated world, the way the
 * CLI would: the built-in launch-spec strategies, the scenario's new image pinned as the target, a
 * silent notifier and an in-memory event log (so simulated time never runs on during real I/O).
 */
import { Clock, Effect, Exit, Layer } from "effect"
import type { RolloutPolicy, RunEvent } from "@ecs-ami-deploy/domain"
import { runRollout, type ExecutorSettings, type RunResult } from "@ecs-ami-deploy/executor"
import { makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { EventLog, Notifier } from "@ecs-ami-deploy/ports"
import { newImageId, type Simulation } from "@ecs-ami-deploy/simulator"
import { builtInLaunchSpecStrategies, pinnedImageSource, Plugins } from "@ecs-ami-deploy/strategies"

/** What a simulated executor process needs besides the AWS ports: plugins, a notifier and an event log. */
export const engineLayer = (eventLog: EventLog["Service"]) =>
  Layer.mergeAll(
    Layer.succeed(
      Plugins,
      Plugins.of({
        launchSpecStrategies: builtInLaunchSpecStrategies(),
        amiSource: pinnedImageSource({ imageId: newImageId }),
      }),
    ),
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
    program.pipe(
      Effect.provide(Layer.merge(simulation.layer, engineLayer(eventLog))),
      Effect.provideService(Clock.Clock, simulation.clock),
    ),
  )

/** How an engine run ended, and its run's events (empty when no run was started). */
export interface EngineRun {
  readonly exit: Exit.Exit<RunResult, unknown>
  readonly events: ReadonlyArray<RunEvent>
}

/** Rolls the simulation's first cluster out under `policy` with a fresh memory event log. */
export const runEngine = async (
  simulation: Simulation,
  policy: RolloutPolicy,
  settings: Partial<ExecutorSettings> = {},
): Promise<EngineRun> => {
  const clusterName = simulation.scenario.clusters[0]?.name
  if (clusterName === undefined) throw new Error(`scenario ${simulation.scenario.name} has no cluster`)
  const eventLog = makeMemoryEventLog()
  const exit = await runOnSimulation(
    simulation,
    eventLog,
    runRollout({ clusterName, policy, holder: "bench", settings }),
  )
  return { exit, events: await firstRunEvents(simulation, eventLog, clusterName) }
}

/** The events of the cluster's first run in `eventLog` (empty when it has none). */
export const firstRunEvents = async (
  simulation: Simulation,
  eventLog: EventLog["Service"],
  clusterName: string,
): Promise<ReadonlyArray<RunEvent>> => {
  const runs = await runOnSimulation(
    simulation,
    eventLog,
    eventLog.runs({ accountId: simulation.accountId, region: simulation.region, clusterName }),
  )
  const runId = Exit.isSuccess(runs) ? runs.value[0]?.runId : undefined
  if (runId === undefined) return []
  const loaded = await runOnSimulation(simulation, eventLog, eventLog.load(runId))
  return Exit.isSuccess(loaded) ? loaded.value : []
}
