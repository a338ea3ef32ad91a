/**
 * What one invocation of the executor works with: its settings, its deadline, and the cluster's lock —
 * acquired for the invocation, its lease kept while it acts (see lease.ts), released at its end.
 *
 * Time budget: every step — one observation, or one command with all its retries — is given
 * `stepBudgetMs`. With a deadline, the loop starts a step only if it ends at least one budget before
 * the deadline (room left for the step itself and for recording the suspension), and a retry never
 * starts when it would carry its step past its budget.
 */
import { Clock, Effect, Ref } from "effect"
import { type GateFailure, LockHeld, type RunOutcome } from "@ecs-ami-deploy/domain"
import { EventLog, type ClusterRef, type Lease } from "@ecs-ami-deploy/ports"
import { clusterRefOf } from "./cluster-ref.ts"
import { callTimeoutMs, withCallTimeouts } from "./call-timeout.ts"
import { keepLease as keepLeaseOf } from "./lease.ts"

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
      /** The gate (alarm, service) that stopped the run, when one did. */
      readonly gate?: GateFailure
    }
  | {
      readonly _tag: "Suspended"
      readonly clusterName: string
      readonly runId: string
      readonly reason: string
      /** Set when the run waits at this checkpoint (a percentage) for an explicit `continue`: nothing resumes it before. */
      readonly waitsAtCheckpoint?: number
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

export const isoTime = (epochMs: number): string => new Date(epochMs).toISOString()

/**
 * The last moment a step may start: a step started before it ends with one more step's room left
 * before the deadline, for recording the suspension.
 */
export const lastStepStart = (invocation: Invocation): number =>
  invocation.deadline === undefined
    ? Number.POSITIVE_INFINITY
    : invocation.deadline - 2 * invocation.settings.stepBudgetMs

/** Why a suspension at the deadline happened: the caller's reason, else the deadline itself. */
export const stoppedAtDeadline = (invocation: Invocation, now: number): string =>
  invocation.stopReason ?? `stopped before the deadline ${isoTime(invocation.deadline ?? now)}`

export const fitsBeforeDeadline = (invocation: Invocation, now: number): boolean =>
  now < lastStepStart(invocation)

/** Sleeps `millis` on the Clock, but never past the last moment a step may start (the loop then suspends the run). */
export const pause = (invocation: Invocation, millis: number) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.sleep(Math.max(0, Math.min(millis, lastStepStart(invocation) - now))),
  )

/**
 * Acquires the cluster's lock, runs `use` with the lease — every AWS call it makes given up after
 * `callTimeoutMs` (call-timeout.ts) — and releases whatever lease is current at the end, also when
 * interrupted while taking the lock.
 */
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
    // The lock's write, once sent, goes on whether or not anyone waits for it (a file link, a DynamoDB
    // conditional put): an interruption waits for the acquisition, and a lease it brings is released.
    return yield* Effect.acquireUseRelease(
      eventLog
        .acquire({
          ...cluster,
          holder: input.holder,
          leaseMs: input.settings.leaseMs,
          now,
          ...(input.replacing === undefined ? {} : { replacing: input.replacing }),
        })
        .pipe(
          Effect.catchTag("LockHeld", (held) => Effect.flatMap(namingOpenRun(cluster, held), Effect.fail)),
          Effect.flatMap((lease) => Ref.make(lease)),
        ),
      (leaseRef) =>
        use({ ...input, ...cluster, lease: leaseRef }).pipe(withCallTimeouts(callTimeoutMs(input.settings))),
      // A failed release is harmless: the lease simply runs out and the next executor takes over.
      (leaseRef) => Ref.get(leaseRef).pipe(Effect.flatMap(eventLog.release), Effect.ignore),
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

/** Keeps this invocation's lease: renewed once less than half of it is left (see lease.ts). */
export const keepLease = (invocation: Invocation) =>
  keepLeaseOf({ lease: invocation.lease, leaseMs: invocation.settings.leaseMs })
