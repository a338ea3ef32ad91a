/**
 * The run loop: lock the cluster, fold the run's log, observe, decide, act, wait — until the run
 * finishes or the deadline comes. Every command is bracketed by an intent event (CommandIssued)
 * appended before its first call and an outcome event (CommandSucceeded / CommandFailed) after its
 * last, so a run killed at any point is resumed by the same path as a fresh one: load, fold, observe,
 * decide. A command whose outcome is unknown is not replayed from the log; the planner re-derives it
 * from what it observes, and a re-issue is recorded as the next attempt.
 *
 * Time comes only from Effect's Clock, and waiting only through `Effect.sleep`, so the simulator's
 * virtual clock drives whole rollouts in milliseconds.
 *
 * Time budget: every step — one observation, or one command with all its retries — is given
 * `stepBudgetMs`. With a deadline, the loop starts a step only if it ends at least one budget before
 * the deadline (room left for the step itself and for recording the suspension), and a retry never
 * starts when it would carry its step past its budget.
 */
import { Clock, Effect, HashMap, Option, Random, Ref, Result } from "effect"
import {
  EVENT_SCHEMA_VERSION,
  EventLogCorrupt,
  formatDuration,
  isDestructive,
  LockHeld,
  type EventLogUnavailable,
  type SequenceConflict,
  type StaleLease,
  type ClusterSnapshot,
  type Command,
  type Decision,
  type RolloutPolicy,
  type RunEvent,
  type RunEventBody,
  type RunOutcome,
} from "@ecs-ami-deploy/domain"
import { EventLog, Notifier, type ClusterRef, type Lease, type RunNotification } from "@ecs-ami-deploy/ports"
import {
  decide,
  evolve,
  foreignActivity,
  initialState,
  type CommandRecord,
  type RunState,
} from "@ecs-ami-deploy/planner"
import { clusterRefOf, describeScope } from "./cluster-ref.ts"
import { DestructiveCommandRepeated, RunOfAnotherCluster, UnexpectedDecision } from "./errors.ts"
import { executeCommand } from "./execute.ts"
import { holdLeaseForCall, isLeaseLost, keepLease as keepLeaseOf } from "./lease.ts"
import { ObservationMemory } from "./observation-memory.ts"
import { observeSnapshot } from "./observe.ts"
import { isRetryable } from "./retry.ts"
import { phaseOf, RunObserver } from "./run-observer.ts"
import { DeactivationClock, tasksOnDrainingOldInstances, watchWait } from "./wait-watch.ts"

/** How the executor spends its time; every field has a default. */
export interface ExecutorSettings {
  /** How long a lease lasts; it is renewed whenever less than half of it is left. Default 5 minutes. */
  readonly leaseMs: number
  /** The time one step (an observation, or a command with its retries) may take. Default 60 s. */
  readonly stepBudgetMs: number
}

export const defaultExecutorSettings: ExecutorSettings = {
  leaseMs: 5 * 60_000,
  stepBudgetMs: 60_000,
}

/** How an invocation of the executor ended. */
export type RunResult =
  | { readonly _tag: "NothingToDo"; readonly clusterName: string; readonly reason: string }
  | {
      readonly _tag: "Refused"
      readonly clusterName: string
      readonly problems: ReadonlyArray<{ readonly problem: string; readonly fix: string }>
    }
  /** No run was started because the deadline leaves no room for its first step. */
  | { readonly _tag: "Deferred"; readonly clusterName: string; readonly reason: string }
  | {
      readonly _tag: "Finished"
      readonly clusterName: string
      readonly runId: string
      readonly outcome: RunOutcome
      readonly reason: string
    }
  | {
      readonly _tag: "Suspended"
      readonly clusterName: string
      readonly runId: string
      readonly reason: string
    }

/** What one invocation works with once it holds the cluster's lock (the cluster: account, Region, name). */
export interface Invocation extends ClusterRef {
  readonly holder: string
  readonly deadline: number | undefined
  /** The reason a suspension at the deadline records, when the caller knows better than "the deadline". */
  readonly stopReason: string | undefined
  readonly settings: ExecutorSettings
  readonly lease: Ref.Ref<Lease>
}

type Running = Extract<RunState, { _tag: "Running" }>

const isoTime = (epochMs: number): string => new Date(epochMs).toISOString()

/**
 * The last moment a step may start: a step started before it ends with one more step's room left
 * before the deadline, for recording the suspension.
 */
const lastStepStart = (invocation: Invocation): number =>
  invocation.deadline === undefined
    ? Number.POSITIVE_INFINITY
    : invocation.deadline - 2 * invocation.settings.stepBudgetMs

/** Why a suspension at the deadline happened: the caller's reason, else the deadline itself. */
const stoppedAtDeadline = (invocation: Invocation, now: number): string =>
  invocation.stopReason ?? `stopped before the deadline ${isoTime(invocation.deadline ?? now)}`

const fitsBeforeDeadline = (invocation: Invocation, now: number): boolean => now < lastStepStart(invocation)

/** Sleeps `millis` on the Clock, but never past the last moment a step may start (the loop then suspends the run). */
const pause = (invocation: Invocation, millis: number) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.sleep(Math.max(0, Math.min(millis, lastStepStart(invocation) - now))),
  )

/** Acquires the cluster's lock, runs `use` with the lease, and releases whatever lease is current at the end. */
export const withClusterLock = <A, E, R>(
  input: {
    readonly clusterName: string
    readonly holder: string
    readonly deadline: number | undefined
    readonly stopReason: string | undefined
    readonly replacing: { readonly holder: string; readonly leaseExpiresAt: number } | undefined
    readonly settings: ExecutorSettings
  },
  use: (invocation: Invocation) => Effect.Effect<A, E, R>,
) =>
  Effect.gen(function* () {
    const eventLog = yield* EventLog
    const cluster = yield* clusterRefOf(input.clusterName)
    const now = yield* Clock.currentTimeMillis
    const lease = yield* eventLog
      .acquire({
        ...cluster,
        holder: input.holder,
        leaseMs: input.settings.leaseMs,
        now,
        ...(input.replacing === undefined ? {} : { replacing: input.replacing }),
      })
      .pipe(Effect.catchTag("LockHeld", (held) => Effect.flatMap(namingOpenRun(cluster, held), Effect.fail)))
    const leaseRef = yield* Ref.make(lease)
    // A failed release is harmless: the lease simply runs out and the next executor takes over.
    return yield* use({ ...input, ...cluster, lease: leaseRef }).pipe(
      Effect.ensuring(Ref.get(leaseRef).pipe(Effect.flatMap(eventLog.release), Effect.ignore)),
    )
  })

/** Adds the open run's id to a LockHeld error when the driver did not know it. */
const namingOpenRun = (cluster: ClusterRef, held: LockHeld) =>
  Effect.gen(function* () {
    if (held.runId !== undefined) return held
    const runs = yield* EventLog.use((eventLog) => eventLog.runs(cluster))
    const open = runs.find((run) => run.status === "open")
    return open === undefined ? held : new LockHeld({ ...held, runId: open.runId })
  })

/** The run's log as seen by this invocation: appends stamp, fold and report each event. */
interface Journal {
  readonly runId: string
  readonly state: Effect.Effect<RunState>
  readonly append: (body: RunEventBody) => Effect.Effect<RunEvent, AppendError, EventLog>
  /** Appends a Noted event unless the run already recorded the same message. */
  readonly note: (level: "info" | "warning", message: string) => Effect.Effect<void, AppendError, EventLog>
}

type AppendError = SequenceConflict | StaleLease | EventLogUnavailable | EventLogCorrupt

const makeJournal = (invocation: Invocation, runId: string, events: ReadonlyArray<RunEvent>) =>
  Effect.gen(function* () {
    const stateRef = yield* Ref.make(events.reduce(evolve, initialState))
    const noted = new Set(events.flatMap((event) => (event._tag === "Noted" ? [event.message] : [])))
    const observer = yield* RunObserver
    const append = (body: RunEventBody) =>
      Effect.gen(function* () {
        const eventLog = yield* EventLog
        const at = yield* Clock.currentTimeMillis
        const state = yield* Ref.get(stateRef)
        const event = {
          ...body,
          schemaVersion: EVENT_SCHEMA_VERSION,
          runId,
          seq: state.lastSeq + 1,
          at,
        } as RunEvent
        yield* eventLog.append(yield* Ref.get(invocation.lease), [event])
        const evolved = evolve(state, event)
        yield* Ref.set(stateRef, evolved)
        yield* observer.eventAppended(event, evolved)
        return event
      })
    const journal: Journal = {
      runId,
      state: Ref.get(stateRef),
      append,
      note: (level, message) =>
        noted.has(message)
          ? Effect.void
          : Effect.tap(append({ _tag: "Noted", level, message }), () =>
              Effect.sync(() => noted.add(message)),
            ),
    }
    return journal
  })

/** Keeps this invocation's lease: renewed once less than half of it is left (see lease.ts). */
const keepLease = (invocation: Invocation) =>
  keepLeaseOf({ lease: invocation.lease, leaseMs: invocation.settings.leaseMs })

const notify = (
  kind: RunNotification["kind"],
  invocation: Invocation,
  runId: string,
  subject: string,
  summary: string,
) =>
  Notifier.use((notifier) =>
    notifier.notify({ kind, clusterName: invocation.clusterName, runId, subject, summary }),
  )

const describeRun = (state: Running): string => {
  const oldInstances = state.run.groups.reduce((total, group) => total + group.oldInstanceIds.length, 0)
  const groups = state.run.groups.map((group) => group.asgName).join(", ")
  return `${oldInstances} instance(s) in ${state.run.groups.length} group(s) (${groups}) to ${state.run.targetImage.name} (${state.run.targetImage.imageId})`
}

const suspend = (invocation: Invocation, journal: Journal, reason: string) =>
  Effect.gen(function* () {
    yield* journal.append({ _tag: "RunSuspended", reason })
    yield* notify(
      "suspended",
      invocation,
      journal.runId,
      `Rollout on ${invocation.clusterName} suspended`,
      `${reason}; the next invocation resumes it`,
    )
    return { _tag: "Suspended", clusterName: invocation.clusterName, runId: journal.runId, reason } as const
  })

const outcomeVerb: Record<RunOutcome, string> = {
  succeeded: "succeeded",
  failed: "failed",
  "rolled-back": "was rolled back",
  incomplete: "ended incomplete (the fleet is mixed)",
  halted: "halted (the fleet is mixed)",
}

const finish = (invocation: Invocation, journal: Journal, outcome: RunOutcome, reason: string) =>
  Effect.gen(function* () {
    const before = yield* journal.state
    yield* journal.append({ _tag: "RunFinished", outcome, reason })
    const what = before._tag === "Running" ? describeRun(before) : "the run"
    const verb = outcomeVerb[outcome]
    yield* notify(
      outcome,
      invocation,
      journal.runId,
      `Rollout on ${invocation.clusterName} ${verb}`,
      `Rolling ${what} ${verb}: ${reason}`,
    )
    return {
      _tag: "Finished",
      clusterName: invocation.clusterName,
      runId: journal.runId,
      outcome,
      reason,
    } as const
  })

interface StandaloneBlocker {
  readonly taskArn: string
  readonly group: string
  readonly instanceId: string
}

/** Standalone tasks still running on the run's old instances that are draining: what holds a drain up. */
const standaloneBlockers = (
  snapshot: ClusterSnapshot,
  run: Running["run"],
): ReadonlyArray<StandaloneBlocker> =>
  tasksOnDrainingOldInstances(snapshot, run.groups)
    .filter(({ task }) => task.serviceName === undefined)
    .map(({ task, instanceId }) => ({ taskArn: task.taskArn, group: task.group, instanceId }))

const standaloneBehaviour: Record<RolloutPolicy["standaloneTasks"], string> = {
  wait: "waiting for it to finish until the drain timeout",
  "stop-after-timeout": "it is stopped once the drain timeout has passed",
  "skip-instance": "the instance is left on its current image",
}

const blockerMessage = (blocker: StandaloneBlocker, policy: RolloutPolicy): string =>
  `standalone task ${blocker.taskArn} (${blocker.group}) keeps instance ${blocker.instanceId} from draining; ` +
  `policy standaloneTasks=${policy.standaloneTasks}: ${standaloneBehaviour[policy.standaloneTasks]}`

/** Consecutive observations that may fail with retryable errors before the invocation gives up (the run stays open). */
const MAX_FAILED_OBSERVATIONS = 10

type IssueOutcome = "succeeded" | "failed" | "out-of-time"

/** A destructive command is issued once per id: a planner that asks again gets this error, and nothing is called. */
export const repeatedDestructive = (
  clusterName: string,
  record: CommandRecord | undefined,
  command: Command,
): DestructiveCommandRepeated | undefined =>
  record?.outcome === "succeeded" && isDestructive(command)
    ? new DestructiveCommandRepeated({ clusterName, commandId: command.id, command: command._tag })
    : undefined

type Act = Extract<Decision, { _tag: "Act" }>

/** Records the intent (with the phase and wave of the decision), runs the command within its budget, records the outcome. */
const issue = (invocation: Invocation, journal: Journal, state: Running, decision: Act, command: Command) =>
  Effect.gen(function* () {
    const eventLog = yield* EventLog
    const record: CommandRecord | undefined = Option.getOrUndefined(HashMap.get(state.commands, command.id))
    const repeated = repeatedDestructive(invocation.clusterName, record, command)
    if (repeated !== undefined) return yield* repeated
    const now = yield* Clock.currentTimeMillis
    if (!fitsBeforeDeadline(invocation, now)) return "out-of-time" satisfies IssueOutcome
    yield* keepLease(invocation)
    yield* journal.append({
      _tag: "CommandIssued",
      command,
      attempt: (record?.attempts ?? 0) + 1,
      phase: decision.phase,
      ...(decision.wave === undefined ? {} : { wave: decision.wave }),
    })
    const result = yield* executeCommand(command, {
      runId: journal.runId,
      budgetEnd: now + invocation.settings.stepBudgetMs,
      holdLease: holdLeaseForCall({ lease: invocation.lease, leaseMs: invocation.settings.leaseMs }).pipe(
        Effect.provideService(EventLog, eventLog),
      ),
    }).pipe(Effect.result)
    if (result._tag === "Success") {
      yield* journal.append({ _tag: "CommandSucceeded", commandId: command.id, ...result.success })
      return "succeeded" satisfies IssueOutcome
    }
    const error = result.failure
    // The lease is lost: this executor may neither call AWS nor write the log any more. The command's
    // intent is recorded; whoever holds the lease re-observes its effect.
    if (isLeaseLost(error)) return yield* error
    yield* journal.append({
      _tag: "CommandFailed",
      commandId: command.id,
      errorTag: error._tag,
      message: error.message,
      retryable: error._tag === "AwsCallError" && error.retryable,
    })
    return "failed" satisfies IssueOutcome
  })

/** Observe, decide, act, wait — until the run finishes or the deadline comes. */
const drive = (invocation: Invocation, journal: Journal, memory: ObservationMemory) =>
  Effect.gen(function* () {
    const observer = yield* RunObserver
    const deactivation = new DeactivationClock()
    let failedObservations = 0
    while (true) {
      const state = yield* journal.state
      if (state._tag === "Finished")
        return {
          _tag: "Finished",
          clusterName: invocation.clusterName,
          runId: journal.runId,
          outcome: state.outcome,
          reason: state.reason,
        } as const
      if (state._tag !== "Running")
        return yield* new EventLogCorrupt({
          location: `run ${journal.runId}`,
          problem: "the runs index lists it as open but its log has no RunStarted event",
        })
      const startedAt = yield* Clock.currentTimeMillis
      if (!fitsBeforeDeadline(invocation, startedAt))
        return yield* suspend(invocation, journal, stoppedAtDeadline(invocation, startedAt))
      yield* keepLease(invocation)
      const observed = yield* observeSnapshot(invocation.clusterName, {
        targetImage: state.run.targetImage,
        runGroups: state.run.groups,
        budgetEnd: startedAt + invocation.settings.stepBudgetMs,
        memory,
      }).pipe(Effect.result)
      if (Result.isFailure(observed)) {
        // A throttling storm outlasting one step's retries changes nothing in the world: look again later.
        if (!isRetryable(observed.failure) || failedObservations >= MAX_FAILED_OBSERVATIONS)
          return yield* observed.failure
        failedObservations += 1
        memory.waited()
        yield* pause(invocation, state.run.policy.pollIntervalMs)
        continue
      }
      failedObservations = 0
      const snapshot = observed.success
      const decidedAt = yield* Clock.currentTimeMillis
      const decision: Decision = decide(state, snapshot, state.run.policy, decidedAt)
      yield* observer.decided(decision, phaseOf(decision), { snapshot, now: decidedAt })
      switch (decision._tag) {
        case "Act":
          for (const command of decision.commands) {
            memory.commandIssued(command)
            const outcome = yield* issue(invocation, journal, state, decision, command)
            if (outcome === "out-of-time")
              return yield* suspend(invocation, journal, stoppedAtDeadline(invocation, startedAt))
            // After a failure the rest of the batch may no longer make sense: observe and decide again.
            if (outcome === "failed") break
          }
          break
        case "Wait": {
          memory.waited()
          if (decision.phase === "draining")
            for (const blocker of standaloneBlockers(snapshot, state.run))
              yield* journal.note("warning", blockerMessage(blocker, state.run.policy))
          const now = yield* Clock.currentTimeMillis
          // Wake at the planner's deadline when it comes before the next poll, so a timeout is acted on at once.
          const untilDeadline = decision.deadline - now
          const watched =
            untilDeadline > 0 &&
            (yield* watchWait({
              clusterName: invocation.clusterName,
              phase: decision.phase,
              snapshot,
              groups: state.run.groups,
              pollIntervalMs: state.run.policy.pollIntervalMs,
              latestAt: Math.min(decision.deadline, lastStepStart(invocation)),
              memory,
              deactivation,
              // The lease is kept as at every poll: a watch can last longer than half a lease.
              sleep: (millis) =>
                Effect.andThen(
                  keepLease(invocation),
                  pause(invocation, Math.min(millis, invocation.settings.leaseMs / 4)),
                ),
            }))
          if (!watched)
            yield* pause(
              invocation,
              untilDeadline > 0
                ? Math.min(untilDeadline, state.run.policy.pollIntervalMs)
                : state.run.policy.pollIntervalMs,
            )
          break
        }
        case "RollBack":
          yield* journal.append({ _tag: "RollbackStarted", reason: decision.reason })
          break
        case "Finish":
          return yield* finish(invocation, journal, decision.outcome, decision.reason)
        case "Start":
        case "NothingToDo":
        case "Refuse":
          return yield* new UnexpectedDecision({
            clusterName: invocation.clusterName,
            decision: decision._tag,
            state: "open",
          })
      }
    }
  })

/** Loads and folds an open run, records that this invocation took its lease, and drives it. */
const resume = (
  invocation: Invocation,
  runId: string,
  beforeDriving?: (journal: Journal) => Effect.Effect<void, AppendError, EventLog>,
) =>
  Effect.gen(function* () {
    const events = yield* EventLog.use((eventLog) => eventLog.load(runId))
    const started = events.find((event) => event._tag === "RunStarted")
    const recordedScope =
      started?._tag === "RunStarted" && started.accountId !== undefined
        ? { accountId: started.accountId, region: started.region ?? "" }
        : undefined
    if (
      recordedScope !== undefined &&
      (recordedScope.accountId !== invocation.accountId || recordedScope.region !== invocation.region)
    )
      return yield* new RunOfAnotherCluster({
        runId,
        clusterName: invocation.clusterName,
        recordedFor: describeScope(recordedScope),
        current: describeScope(invocation),
      })
    const journal = yield* makeJournal(invocation, runId, events)
    const lease = yield* Ref.get(invocation.lease)
    yield* journal.append({ _tag: "LeaseAcquired", holder: lease.holder, fencingToken: lease.fencingToken })
    if (recordedScope === undefined)
      yield* journal.note(
        "warning",
        `run recorded before runs were keyed by account and Region: resumed in ${describeScope(invocation)}`,
      )
    if (beforeDriving !== undefined) yield* beforeDriving(journal)
    return yield* drive(invocation, journal, new ObservationMemory())
  })

/** `<cluster>-<yyyymmddThhmmssZ>-<6 hex>`: sortable, readable, unique enough across invocations. */
const newRunId = (clusterName: string, now: number) =>
  Effect.map(Random.nextIntBetween(0, 0xffffff), (suffix) => {
    const stamp = isoTime(now)
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z")
    return `${clusterName}-${stamp}-${suffix.toString(16).padStart(6, "0")}`
  })

/**
 * The observation a run starts from, tolerating throttling as the loop does: up to
 * MAX_FAILED_OBSERVATIONS retryable failures, a poll interval apart. `undefined` when the deadline
 * leaves no room for (another) attempt.
 */
const firstObservation = (invocation: Invocation, policy: RolloutPolicy, memory: ObservationMemory) =>
  Effect.gen(function* () {
    let failedObservations = 0
    while (true) {
      const now = yield* Clock.currentTimeMillis
      if (!fitsBeforeDeadline(invocation, now)) return undefined
      yield* keepLease(invocation)
      const observed = yield* observeSnapshot(invocation.clusterName, {
        budgetEnd: now + invocation.settings.stepBudgetMs,
        memory,
        terminationProtection: policy.capacityMode === "detach",
      }).pipe(Effect.result)
      if (Result.isSuccess(observed)) return observed.success
      if (!isRetryable(observed.failure) || failedObservations >= MAX_FAILED_OBSERVATIONS)
        return yield* observed.failure
      failedObservations += 1
      yield* pause(invocation, policy.pollIntervalMs)
    }
  })

/**
 * Starts a run (or answers why not) from a fresh observation, then drives it. While the planner waits
 * before starting (a scale-out under way), it observes again at each poll, up to the new-capacity
 * timeout; then it refuses, saying what it waited for.
 */
const start = (invocation: Invocation, policy: RolloutPolicy) =>
  Effect.gen(function* () {
    const observer = yield* RunObserver
    const memory = new ObservationMemory()
    let waitingSince: number | undefined
    while (true) {
      const snapshot = yield* firstObservation(invocation, policy, memory)
      if (snapshot === undefined) {
        const now = yield* Clock.currentTimeMillis
        return {
          _tag: "Deferred",
          clusterName: invocation.clusterName,
          reason: `the deadline ${isoTime(invocation.deadline ?? now)} leaves no room for a first step`,
        } as const
      }
      const now = yield* Clock.currentTimeMillis
      const decision = decide(initialState, snapshot, policy, now)
      yield* observer.decided(decision, phaseOf(decision), { snapshot, now })
      if (decision._tag === "Wait") {
        waitingSince ??= now
        if (now - waitingSince < policy.timeouts.newCapacityMs) {
          yield* pause(invocation, policy.pollIntervalMs)
          continue
        }
        return {
          _tag: "Refused",
          clusterName: invocation.clusterName,
          problems: [
            {
              problem: `${decision.reason}; still so after ${formatDuration(policy.timeouts.newCapacityMs)}`,
              fix: "let the group finish launching (or fix what keeps its instances from launching), then start the run again",
            },
          ],
        } as const
      }
      switch (decision._tag) {
        case "NothingToDo":
          return {
            _tag: "NothingToDo",
            clusterName: invocation.clusterName,
            reason: decision.reason,
          } as const
        case "Refuse":
          return {
            _tag: "Refused",
            clusterName: invocation.clusterName,
            problems: decision.problems,
          } as const
        case "Start": {
          // Another actor mid-change (a run this log does not know, a drain under way): refuse, before any call.
          const knownRuns = yield* EventLog.use((eventLog) => eventLog.runs(invocation))
          const foreign = foreignActivity(snapshot, new Set(knownRuns.map((run) => run.runId)))
          if (foreign.length > 0)
            return { _tag: "Refused", clusterName: invocation.clusterName, problems: foreign } as const
          const runId = yield* newRunId(invocation.clusterName, snapshot.observedAt)
          const journal = yield* makeJournal(invocation, runId, [])
          const lease = yield* Ref.get(invocation.lease)
          yield* journal.append({
            _tag: "RunStarted",
            clusterName: invocation.clusterName,
            accountId: invocation.accountId,
            region: invocation.region,
            policy,
            targetImage: decision.targetImage,
            groups: decision.groups,
            reason: decision.reason,
            ...(decision.servicesBelowFloorAtStart.length === 0
              ? {}
              : { servicesBelowFloorAtStart: decision.servicesBelowFloorAtStart }),
            deciderVersion: decision.deciderVersion,
          })
          yield* journal.append({
            _tag: "LeaseAcquired",
            holder: lease.holder,
            fencingToken: lease.fencingToken,
          })
          const started = yield* journal.state
          if (started._tag === "Running")
            yield* notify(
              "started",
              invocation,
              runId,
              `Rollout on ${invocation.clusterName} started`,
              `Rolling ${describeRun(started)}: ${decision.reason}`,
            )
          return yield* drive(invocation, journal, memory)
        }
        default:
          return yield* new UnexpectedDecision({
            clusterName: invocation.clusterName,
            decision: decision._tag,
            state: "not started",
          })
      }
    }
  })

/** The cluster's open run, if any. */
export const openRunOf = (cluster: ClusterRef) =>
  EventLog.use((eventLog) => eventLog.runs(cluster)).pipe(
    Effect.map((runs) => runs.find((run) => run.status === "open")),
  )

/** Resumes the cluster's open run, or starts one under `policy`. The caller holds the lock. */
export const startOrResume = (invocation: Invocation, policy: RolloutPolicy) =>
  Effect.flatMap(openRunOf(invocation), (open) =>
    open === undefined ? start(invocation, policy) : resume(invocation, open.runId),
  )

/** Resumes the cluster's open run after recording a rollback request, unless one is already under way. */
export const resumeRollingBack = (invocation: Invocation, runId: string, reason: string) =>
  resume(invocation, runId, (journal) =>
    Effect.gen(function* () {
      const state = yield* journal.state
      if (state._tag === "Running" && state.rollback === undefined)
        yield* journal.append({ _tag: "RollbackStarted", reason })
    }),
  )
