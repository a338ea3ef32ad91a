/**
 * Safety figures for the reliability report (issue 14): an executor whose lease is taken over mid-run
 * makes no AWS call that changes anything afterwards; a call that hangs for longer than the lease is
 * abandoned before the lease expires, and the executor keeps its lease and finishes; DynamoDB appends and acquisitions whose response
 * was lost (the write landed, the answer never came back) succeed once; one cluster name in two Regions
 * gets two locks and two runs from one event log.
 */
import { Clock, Effect, Exit } from "effect"
import { EVENT_SCHEMA_VERSION, type RolloutPolicy } from "@ecs-ami-deploy/domain"
import { defaultExecutorSettings, runRollout } from "@ecs-ami-deploy/executor"
import { isKilled, killable } from "@ecs-ami-deploy/executor/testing"
import { createTable, makeDynamoDbEventLog, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { localDynamoDbClient, losingFirstResponseOf, startDynalite } from "@ecs-ami-deploy/event-log/testing"
import type { ClusterRef, EventLog } from "@ecs-ami-deploy/ports"
import { makeSimulation, type Scenario, type Simulation } from "@ecs-ami-deploy/simulator"
import { failureTag } from "./concurrency.ts"
import { firstRunEvents, runOnSimulation } from "./engine.ts"
import { reliabilitySettings } from "./kill-harness.ts"
import { clusterOf } from "./scenarios.ts"

const leaseMs = reliabilitySettings.leaseMs ?? 60_000

const clusterIn = (simulation: Simulation, scenario: Scenario): ClusterRef => ({
  accountId: simulation.accountId,
  region: simulation.region,
  clusterName: clusterOf(scenario),
})

export interface TakeoverMidRun {
  readonly afterEvents: number
  /** How the old holder's invocation ended (`StaleLease` expected). */
  readonly oldHolderEnded: string
  /** Mutating AWS calls the old holder made once its lease was taken over. */
  readonly mutatingCallsAfterTakeover: number
}

/**
 * The old holder runs a rollout; right after its `afterEvents`-th event it stalls past its lease, a
 * successor takes the lock, and the old holder goes on running.
 */
export const takeoverMidRun = async (
  scenario: Scenario,
  policy: RolloutPolicy,
  afterEvents: number,
): Promise<TakeoverMidRun> => {
  const simulation = makeSimulation(scenario)
  const cluster = clusterIn(simulation, scenario)
  const inner = makeMemoryEventLog()
  let appended = 0
  let callsAtTakeover: number | undefined
  // The old holder stalls for a whole lease (a paused process, a hung call); its lease expires and a
  // successor takes the lock as any executor would. Then the old holder wakes up and goes on.
  const takeOverOnce = Effect.gen(function* () {
    simulation.advance(leaseMs)
    yield* inner.acquire({ ...cluster, holder: "successor", leaseMs, now: yield* Clock.currentTimeMillis })
    callsAtTakeover = simulation.callLog.length
  })
  const log: EventLog["Service"] = {
    ...inner,
    append: (lease, events) =>
      Effect.tap(inner.append(lease, events), () => {
        appended += events.length
        return callsAtTakeover === undefined && appended >= afterEvents
          ? Effect.orDie(takeOverOnce)
          : Effect.void
      }),
  }
  const exit = await runOnSimulation(
    simulation,
    log,
    runRollout({
      clusterName: cluster.clusterName,
      policy,
      holder: "old-holder",
      settings: reliabilitySettings,
    }),
  )
  return {
    afterEvents,
    oldHolderEnded: Exit.isSuccess(exit) ? exit.value._tag : (failureTag(exit) ?? "defect"),
    mutatingCallsAfterTakeover:
      callsAtTakeover === undefined
        ? 0
        : simulation.callLog.slice(callsAtTakeover).filter((call) => call.mutating).length,
  }
}

export interface HungCall {
  readonly scenario: string
  readonly operation: string
  readonly hangMs: number
  readonly leaseMs: number
  /** From the call's command intent to the simulator logging it abandoned (undefined: never abandoned, it ran after its hang). */
  readonly abandonedAfterMs: number | undefined
  /** What the event log recorded for the command (`CommandFailed` with its message), if anything. */
  readonly recorded: string
  /** How the holder's invocation ended. */
  readonly holderEnded: string
  /** What a successor trying once the lease would have expired unrenewed got. */
  readonly successorGot: string
}

/**
 * The executor (default settings: a 5-minute lease) rolls `scenario` out while the first call of
 * `operation` gets no answer for `hangMs`; a successor tries the lock one minute after the lease would
 * have expired had the executor not renewed it.
 */
export const hungCall = async (
  scenario: Scenario,
  policy: RolloutPolicy,
  operation: string,
  hangMs: number,
): Promise<HungCall> => {
  const simulation = makeSimulation(scenario, {
    faults: { hungCalls: [{ operation, atMs: 0, durationMs: hangMs }] },
  })
  const cluster = clusterIn(simulation, scenario)
  const log = makeMemoryEventLog()
  const settings = defaultExecutorSettings
  const rollout = (holder: string) =>
    Effect.exit(runRollout({ clusterName: cluster.clusterName, policy, holder, settings }))
  const exit = await runOnSimulation(
    simulation,
    log,
    Effect.all(
      [rollout("holder"), Effect.sleep(settings.leaseMs + 60_000).pipe(Effect.andThen(rollout("successor")))],
      {
        concurrency: "unbounded",
      },
    ),
  )
  const [holder, successor] = Exit.isSuccess(exit) ? exit.value : []
  const events = await firstRunEvents(simulation, log, cluster.clusterName)
  const abandoned = simulation.callLog.find(
    (call) => call.operation === operation && call.outcome === "abandoned",
  )
  const failed = events.find((event) => event._tag === "CommandFailed")
  const intent = events.find(
    (event) => event._tag === "CommandIssued" && event.command.id === failed?.commandId,
  )
  const hungAt = intent?.at ?? Number.NaN
  const ended = (result: typeof holder) =>
    result === undefined
      ? "not run"
      : Exit.isSuccess(result)
        ? `${result.value._tag}${result.value._tag === "Finished" ? ` ${result.value.outcome}` : ""}`
        : (failureTag(result) ?? "defect")
  return {
    scenario: scenario.name,
    operation,
    hangMs,
    leaseMs: settings.leaseMs,
    abandonedAfterMs: abandoned === undefined ? undefined : abandoned.at - hungAt,
    recorded:
      failed?._tag === "CommandFailed"
        ? `CommandFailed (${failed.retryable ? "retryable" : "not retryable"}): ${failed.message}`
        : "nothing",
    holderEnded: ended(holder),
    successorGot: ended(successor),
  }
}

export interface LostResponses {
  readonly trials: number
  /** Appends whose PutItem response was lost that succeeded, the event stored once. */
  readonly appendsSucceeded: number
  /** Acquisitions whose UpdateItem response was lost that returned the lease (not LockHeld naming itself). */
  readonly acquisitionsSucceeded: number
}

/** On dynalite (port 0, stopped at the end): each trial loses the first response of one append and one acquisition. */
export const lostResponses = async (trials: number): Promise<LostResponses> => {
  const dynamo = await startDynalite()
  let appendsSucceeded = 0
  let acquisitionsSucceeded = 0
  try {
    for (let trial = 0; trial < trials; trial++) {
      const client = localDynamoDbClient(dynamo.endpoint)
      const tableName = `lost-responses-${trial}`
      const cluster = { accountId: "123456789012", region: "eu-west-1", clusterName: "prod" }
      const outcome = await Effect.runPromise(
        Effect.gen(function* () {
          yield* createTable({ tableName, client })
          const log = makeDynamoDbEventLog(tableName, client)
          const lostAcquire = losingFirstResponseOf(client, "UpdateItemCommand")
          const acquired = yield* Effect.result(
            log.acquire({ ...cluster, holder: "lambda", leaseMs, now: Date.now() }),
          )
          if (!lostAcquire() || acquired._tag !== "Success") return { acquired: false, appended: false }
          const lostPut = losingFirstResponseOf(client, "PutItemCommand")
          const event = {
            _tag: "Noted",
            schemaVersion: EVENT_SCHEMA_VERSION,
            runId: "run-1",
            seq: 0,
            at: Date.now(),
            level: "info",
            message: "its response was lost",
          } as const
          const appendedOnce = yield* Effect.result(log.append(acquired.success, [event]))
          const stored = yield* log.load("run-1")
          return {
            acquired: true,
            appended: lostPut() && appendedOnce._tag === "Success" && stored.length === 1,
          }
        }),
      ).finally(() => client.destroy())
      if (outcome.acquired) acquisitionsSucceeded++
      if (outcome.appended) appendsSucceeded++
    }
  } finally {
    await dynamo.stop()
  }
  return { trials, appendsSucceeded, acquisitionsSucceeded }
}

export interface PerRegionLocks {
  readonly scenario: string
  readonly regions: ReadonlyArray<string>
  /** The first Region's run was left open, its lease live, when the second Region's rollout started. */
  readonly firstHeldOpen: boolean
  /** How the second Region's rollout of the same cluster name ended (`Finished succeeded` expected, not LockHeld). */
  readonly secondEnded: string
  /** Runs each Region lists for the cluster name. */
  readonly runsPerRegion: ReadonlyArray<number>
}

/** One event log, one cluster name in two Regions: the first's run is held open while the second rolls out. */
export const perRegionLocks = async (scenario: Scenario, policy: RolloutPolicy): Promise<PerRegionLocks> => {
  const regions = ["eu-west-1", "us-east-1"]
  const [first, second] = regions.map((region) => makeSimulation({ ...scenario, region }))
  if (first === undefined || second === undefined) throw new Error("two Regions expected")
  const log = makeMemoryEventLog()
  const rollout = (holder: string) =>
    runRollout({ clusterName: clusterOf(scenario), policy, holder, settings: reliabilitySettings })
  const held = await runOnSimulation(first, killable(log, 9, "after"), rollout("first"))
  const secondExit = await runOnSimulation(second, log, rollout("second"))
  const runsPerRegion = await Promise.all(
    [first, second].map(async (simulation) => {
      const runs = await runOnSimulation(simulation, log, log.runs(clusterIn(simulation, scenario)))
      return Exit.isSuccess(runs) ? runs.value.length : 0
    }),
  )
  return {
    scenario: scenario.name,
    regions,
    firstHeldOpen: isKilled(held),
    secondEnded: Exit.isSuccess(secondExit)
      ? `${secondExit.value._tag}${secondExit.value._tag === "Finished" ? ` ${secondExit.value.outcome}` : ""}`
      : (failureTag(secondExit) ?? "defect"),
    runsPerRegion,
  }
}
