/**
 * The rules every driver enforces, written once: how a cluster (account, Region, name) is keyed, when
 * its lock may be taken, which lease is current, which sequence number an append must carry, and how a
 * run's events summarise into the runs index. The memory and file drivers apply them to state they hold exclusively; the DynamoDB driver
 * expresses the same rules as condition expressions.
 */
import { LockHeld, SequenceConflict, StaleLease, type RunEvent } from "@ecs-ami-deploy/domain"
import type { ClusterRef, EventLog, Lease, RunSummary } from "@ecs-ami-deploy/ports"
import { Result } from "effect"

/** The key of a cluster's lock and runs: `<account>/<Region>/<name>` (none of the three contains `/`). */
export const clusterKey = (cluster: ClusterRef): string =>
  `${cluster.accountId}/${cluster.region}/${cluster.clusterName}`

/**
 * Whether a run belongs to the cluster: recorded for its account and Region, or recorded before runs
 * were keyed by them (no account in its `RunStarted`) under the same name — the readable migration of
 * older logs, which knew the cluster by name only.
 */
export const belongsTo = (summary: RunSummary, cluster: ClusterRef): boolean =>
  summary.clusterName === cluster.clusterName &&
  (summary.accountId === undefined ||
    (summary.accountId === cluster.accountId && summary.region === cluster.region))

/** What a driver stores for a cluster's lock. The token survives release, so it never repeats. */
export interface LockRecord extends ClusterRef {
  readonly holder: string
  readonly fencingToken: number
  readonly expiresAt: number
  readonly released: boolean
}

export type AcquireInput = Parameters<EventLog["Service"]["acquire"]>[0]

/** Whether the lock is still exactly the lease the caller asked to replace (its holder is known dead). */
const isReplaced = (current: LockRecord, input: AcquireInput): boolean =>
  input.replacing !== undefined &&
  current.holder === input.replacing.holder &&
  current.expiresAt === input.replacing.leaseExpiresAt

/** The part of a lock record that says whether it is held. */
type LockHolding = Pick<LockRecord, "holder" | "expiresAt" | "released">

const isLive = (lock: LockHolding | undefined, now: number): lock is LockHolding =>
  lock !== undefined && !lock.released && lock.expiresAt > now

/**
 * A lock is free when it never existed, was released, its lease ran out, or it is the dead lease being
 * replaced — and no live lock of an older release, keyed by the cluster name alone (`legacy`), covers it.
 */
export const acquireLock = (
  current: LockRecord | undefined,
  input: AcquireInput,
  legacy?: LockHolding,
): Result.Result<LockRecord, LockHeld> => {
  const holding = isLive(current, input.now) && !isReplaced(current, input) ? current : undefined
  const blocking = holding ?? (isLive(legacy, input.now) ? legacy : undefined)
  return blocking !== undefined
    ? Result.fail(
        new LockHeld({
          clusterName: input.clusterName,
          holder: blocking.holder,
          leaseExpiresAt: blocking.expiresAt,
        }),
      )
    : Result.succeed({
        accountId: input.accountId,
        region: input.region,
        clusterName: input.clusterName,
        holder: input.holder,
        fencingToken: (current?.fencingToken ?? 0) + 1,
        expiresAt: input.now + input.leaseMs,
        released: false,
      })
}

/**
 * A lease is current while its token is the lock's token and it was not released. An expired lease
 * nobody took over is still current: its holder may renew it and append.
 */
export const checkLeaseCurrent = (
  current: LockRecord | undefined,
  lease: Lease,
): Result.Result<LockRecord, StaleLease> =>
  current !== undefined && current.fencingToken === lease.fencingToken && !current.released
    ? Result.succeed(current)
    : Result.fail(
        new StaleLease({
          clusterName: lease.clusterName,
          fencingToken: lease.fencingToken,
          currentFencingToken: current?.fencingToken ?? 0,
        }),
      )

export const leaseOf = (record: LockRecord): Lease => ({
  accountId: record.accountId,
  region: record.region,
  clusterName: record.clusterName,
  holder: record.holder,
  fencingToken: record.fencingToken,
  expiresAt: record.expiresAt,
})

/** The lease a stored lock stands for, if it is held (taken and not released); an expired one included. */
export const heldLease = (record: LockRecord | undefined): Lease | undefined =>
  record === undefined || record.released ? undefined : leaseOf(record)

/** The sequence number a run's first event carries; the planner's initial state has `lastSeq` one below. */
export const FIRST_SEQ = 0

/**
 * Checks that each event's `seq` is exactly the next one of its run, given the runs' last stored
 * sequence numbers (`FIRST_SEQ - 1` for a run without events). A batch may continue several runs.
 */
export const checkSequence = (
  lastSeqOf: (runId: string) => number,
  events: ReadonlyArray<RunEvent>,
): Result.Result<void, SequenceConflict> => {
  const lastSeqs = new Map<string, number>()
  for (const event of events) {
    const expected = (lastSeqs.get(event.runId) ?? lastSeqOf(event.runId)) + 1
    if (event.seq !== expected)
      return Result.fail(new SequenceConflict({ runId: event.runId, seq: event.seq }))
    lastSeqs.set(event.runId, event.seq)
  }
  return Result.void
}

/**
 * A run's summary from its events in sequence order: its `RunStarted` names the cluster and start
 * time, a `RunFinished` closes it. A run without `RunStarted` is not indexed.
 */
export const summarizeRun = (events: ReadonlyArray<RunEvent>): RunSummary | undefined => {
  const started = events.find((event) => event._tag === "RunStarted")
  const finished = events.findLast((event) => event._tag === "RunFinished")
  const last = events.at(-1)
  if (started?._tag !== "RunStarted" || last === undefined) return undefined
  return {
    runId: started.runId,
    clusterName: started.clusterName,
    ...(started.accountId === undefined ? {} : { accountId: started.accountId }),
    ...(started.region === undefined ? {} : { region: started.region }),
    startedAt: started.at,
    lastSeq: last.seq,
    status: finished?._tag === "RunFinished" ? finished.outcome : "open",
  }
}

/** Newest first; equal start times fall back to the run id so the order is stable. */
export const newestFirst = (a: RunSummary, b: RunSummary): number =>
  b.startedAt - a.startedAt || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0)
