/**
 * The run loop: lock the cluster, fold the run's log, observe, decide, act, wait — until the run
 * finishes or the deadline comes. Every command is bracketed by an intent event (CommandIssued)
 * appended before its first call and an outcome event (CommandSucceeded / CommandFailed) after its
 * last, so a run killed at any point is resumed by the same path as a fresh one: load, fold, observe,
 * decide. A command whose outcome is unknown is not replayed from the log; the planner re-derives it
 * from what it observes, and a re-issue is recorded as the next attempt. The invocation (lock, lease,
 * deadline) is in invocation.ts, the log as this invocation writes it in journal.ts, and what the
 * notifier hears in notify.ts.
 *
 * Time comes only from Effect's Clock, and waiting only through `Effect.sleep`, so the simulator's
 * virtual clock drives whole rollouts in milliseconds.
 */
import { Cause, Clock, Effect, HashMap, Option, Random, Ref, Result } from "effect"
import {
  EventLogCorrupt,
  formatDuration,
  isDestructive,
  type Command,
  type Decision,
  type RolloutPolicy,
} from "@ecs-ami-deploy/domain"
import { EventLog, type ClusterRef } from "@ecs-ami-deploy/ports"
import {
  awaitingContinue,
  decideStart,
  foreignActivity,
  GATE_CHECK_INTERVAL_MS,
  gateEventOf,
  type CommandRecord,
} from "@ecs-ami-deploy/planner"
import { describeScope } from "./cluster-ref.ts"
import { DestructiveCommandRepeated, RunOfAnotherCluster } from "./errors.ts"
import { newCapacityLost } from "./drain-proof.ts"
import { executeCommand } from "./execute.ts"
import {
  fitsBeforeDeadline,
  isoTime,
  keepLease,
  lastStepStart,
  pause,
  stoppedAtDeadline,
  type Invocation,
} from "./invocation.ts"
import { makeJournal, type AppendError, type Journal, type Running } from "./journal.ts"
import { holdLeaseForCall, isLeaseLost } from "./lease.ts"
import { describeRun, finish, notify, suspend } from "./notify.ts"
import { ObservationMemory } from "./observation-memory.ts"
import { observeSnapshot } from "./observe.ts"
import { isRetryable } from "./retry.ts"
import { phaseOf, RunObserver } from "./run-observer.ts"
import { decideWithTargetHealth } from "./target-health.ts"
import { StopReason } from "./stop-reason.ts"
import { DeactivationClock, watchWait } from "./wait-watch.ts"

/** A checkpoint's reason with the command that continues the run. */
const continueHint = (invocation: Invocation, reason: string): string =>
  `${reason}; run \`ecs-ami-deploy continue --cluster ${invocation.clusterName}\``

/** Consecutive observations that may fail with retryable errors before the invocation gives up (the run stays open). */
const MAX_FAILED_OBSERVATIONS = 10

/**
 * One observation of the cluster, before a run or during one, tolerating throttling: up to
 * MAX_FAILED_OBSERVATIONS retryable failures in a row, a poll interval apart (a throttling storm
 * outlasting one step's retries changes nothing in the world: look again later). `undefined` when the
 * deadline leaves no room for (another) attempt.
 */
const observeWithRetries = (
  invocation: Invocation,
  memory: ObservationMemory,
  pollIntervalMs: number,
  options: Omit<Parameters<typeof observeSnapshot>[1], "budgetEnd" | "memory">,
) =>
  Effect.gen(function* () {
    let failedObservations = 0
    while (true) {
      const now = yield* Clock.currentTimeMillis
      if (!fitsBeforeDeadline(invocation, now)) return undefined
      yield* keepLease(invocation)
      const observed = yield* observeSnapshot(invocation.clusterName, {
        ...options,
        budgetEnd: now + invocation.settings.stepBudgetMs,
        memory,
      }).pipe(Effect.result)
      if (Result.isSuccess(observed)) return observed.success
      if (!isRetryable(observed.failure) || failedObservations >= MAX_FAILED_OBSERVATIONS)
        return yield* observed.failure
      failedObservations += 1
      memory.waited()
      yield* pause(invocation, pollIntervalMs)
    }
  })

type IssueOutcome = "succeeded" | "failed" | "deferred" | "out-of-time"

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
    if (command._tag === "DrainInstances") {
      const lost = yield* newCapacityLost(command, now + invocation.settings.stepBudgetMs)
      if (lost !== undefined) {
        yield* journal.note("warning", lost)
        return "deferred" satisfies IssueOutcome
      }
    }
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
      retryable: error.retryable,
    })
    return "failed" satisfies IssueOutcome
  })

/**
 * Records `RunSuspended` when the invocation is interrupted (an aborted call, a signal) or dies (a
 * progress callback or plugin that throws) while it drives an open run: it still holds the lease, so
 * the suspension is written under the same fencing token, before the lock is released. A typed failure
 * records nothing: it already says why. Best effort: the run is resumable either way.
 */
const suspendedWhenStopped =
  (invocation: Invocation, journal: Journal) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.onError(effect, (cause) =>
      Cause.hasInterrupts(cause) || Cause.hasDies(cause)
        ? Effect.gen(function* () {
            if ((yield* journal.state)._tag !== "Running") return
            const reason = Cause.hasInterrupts(cause)
              ? (yield* StopReason).current
              : `stopped by an unexpected error: ${Cause.pretty(cause).split("\n")[0] ?? "defect"}`
            yield* suspend(invocation, journal, reason)
          }).pipe(
            Effect.catchCause((failure) =>
              Effect.logWarning(
                `could not record the suspension of ${invocation.clusterName}'s run`,
                failure,
              ),
            ),
          )
        : Effect.void,
    )

/** Observe, decide, act, wait — until the run finishes or the deadline comes; a stop is recorded as a suspension. */
const drive = (invocation: Invocation, journal: Journal, memory: ObservationMemory) =>
  Effect.gen(function* () {
    const observer = yield* RunObserver
    const deactivation = new DeactivationClock()
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
      const observed = yield* observeWithRetries(invocation, memory, state.run.policy.pollIntervalMs, {
        targetImage: state.run.targetImage,
        runGroups: state.run.groups,
        ...(state.run.policy.alarms === undefined ? {} : { alarms: state.run.policy.alarms }),
      })
      if (observed === undefined)
        return yield* suspend(
          invocation,
          journal,
          stoppedAtDeadline(invocation, yield* Clock.currentTimeMillis),
        )
      const decidedAt = yield* Clock.currentTimeMillis
      const { decision, snapshot } = yield* decideWithTargetHealth(
        state,
        observed,
        decidedAt,
        decidedAt + invocation.settings.stepBudgetMs,
        memory,
      )
      yield* observer.decided(decision, phaseOf(decision), { snapshot, now: decidedAt })
      switch (decision._tag) {
        case "Act":
          for (const command of decision.commands) {
            memory.commandIssued(command)
            const outcome = yield* issue(invocation, journal, state, decision, command)
            if (outcome === "out-of-time")
              return yield* suspend(invocation, journal, stoppedAtDeadline(invocation, startedAt))
            // After a failure or a deferred drain the rest of the batch may no longer make sense:
            // observe and decide again.
            if (outcome === "failed" || outcome === "deferred") break
          }
          break
        case "Wait": {
          memory.waited()
          for (const note of decision.notes ?? []) yield* journal.note(note.level, note.message)
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
              // Gates are read with each observation: with alarms named, or target groups watched under
              // a bake time, one comes at least once a period.
              latestAt: Math.min(
                decision.deadline,
                lastStepStart(invocation),
                (state.run.policy.alarms ?? []).length > 0 ||
                  ((snapshot.targetHealth ?? []).length > 0 && state.run.policy.bakeTimeMs > 0)
                  ? now + GATE_CHECK_INTERVAL_MS
                  : Infinity,
              ),
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
        case "Gate":
          if (decision.step._tag === "AwaitContinue")
            return yield* suspend(
              invocation,
              journal,
              continueHint(invocation, decision.step.reason),
              decision.step.percent,
            )
          yield* journal.append(gateEventOf(decision.step))
          break
        case "Finish":
          return yield* finish(invocation, journal, decision.outcome, decision.reason)
      }
    }
  }).pipe(suspendedWhenStopped(invocation, journal))

/** Loads and folds an open run, records that this invocation took its lease, and drives it. */
export const resume = (
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
    // A run waiting at a checkpoint stays suspended, unrecorded, until a `continue` (or a rollback).
    const waiting = beforeDriving === undefined ? awaitingContinue(yield* journal.state) : undefined
    if (waiting !== undefined)
      return {
        _tag: "Suspended",
        clusterName: invocation.clusterName,
        runId,
        reason: continueHint(
          invocation,
          `waiting at checkpoint ${waiting.percent}% since ${isoTime(waiting.since)} for an explicit continue`,
        ),
        waitsAtCheckpoint: waiting.percent,
      } as const
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
      const snapshot = yield* observeWithRetries(invocation, memory, policy.pollIntervalMs, {
        terminationProtection: policy.capacityMode === "detach",
        ...(policy.alarms === undefined ? {} : { alarms: policy.alarms }),
      })
      if (snapshot === undefined) {
        const now = yield* Clock.currentTimeMillis
        return {
          _tag: "Deferred",
          clusterName: invocation.clusterName,
          reason: `the deadline ${isoTime(invocation.deadline ?? now)} leaves no room for a first step`,
        } as const
      }
      const now = yield* Clock.currentTimeMillis
      const decision = decideStart(snapshot, policy, now)
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
            ...(decision.serviceHealthAtStart === undefined
              ? {}
              : { serviceHealthAtStart: decision.serviceHealthAtStart }),
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

/** Resumes the cluster's open run after recording a `continue` at the checkpoint it waits at (see gates.ts). */
export const resumeContinuing = (invocation: Invocation, runId: string, by: string) =>
  resume(invocation, runId, (journal) =>
    Effect.flatMap(journal.state, (state) => {
      const percent = state._tag === "Running" ? state.checkpoints?.at(-1)?.percent : undefined
      return percent === undefined
        ? Effect.void
        : Effect.asVoid(journal.append({ _tag: "CheckpointContinued", percent, by }))
    }),
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
