/**
 * Keeping the cluster's lease while acting on it. The lease fences more than the event log: it is
 * checked (and renewed once less than half of it is left) before every AWS call a command makes —
 * each attempt of each call, plugin calls included — so an executor that lost its lease (stalled past
 * its expiry and taken over) fails with `StaleLease` before its next call instead of acting on a
 * cluster another executor now drives. Renewal is a conditional write on the lease's fencing token, so
 * it succeeds only while nobody else holds the lock; an AWS call starts with at least half a lease
 * left, and the executor gives it up after at most a quarter of the lease (call-timeout.ts), so it
 * ends before the lease could lapse.
 *
 * A lease can also be taken over while it is live: a successor on the same host replaces a holder
 * whose process is gone (`replacing`) — which may be wrong when the pid was reused or another
 * container shares the host name, so the holder is in fact alive. The expiry arithmetic cannot fence
 * that holder, so before a command's call it also reads the lock (unless it has just renewed, which
 * proved the same): a lock that moved to another token fails it with `StaleLease` at once.
 */
import { Clock, Effect, Ref } from "effect"
import { StaleLease, type EventLogCorrupt, type EventLogUnavailable } from "@ecs-ami-deploy/domain"
import { EventLog, type Lease } from "@ecs-ami-deploy/ports"

/** Why an executor may no longer act: another holder took the lease, or it could not be renewed. */
export type LeaseLost = StaleLease | EventLogUnavailable | EventLogCorrupt

const leaseLostTags: ReadonlySet<unknown> = new Set(["StaleLease", "EventLogUnavailable", "EventLogCorrupt"])

export const isLeaseLost = (error: unknown): error is LeaseLost =>
  typeof error === "object" && error !== null && leaseLostTags.has((error as { _tag?: unknown })._tag)

interface HeldLease {
  readonly lease: Ref.Ref<Lease>
  readonly leaseMs: number
}

/**
 * Renews the lease once less than half of it is left, so it never lapses between two steps or two
 * calls. Answers whether it renewed: a renewal is a conditional write, so it also proved the lease current.
 */
export const keepLease = (input: HeldLease) =>
  Effect.gen(function* () {
    const eventLog = yield* EventLog
    const now = yield* Clock.currentTimeMillis
    const lease = yield* Ref.get(input.lease)
    if (lease.expiresAt - now > input.leaseMs / 2) return false
    yield* Ref.set(input.lease, yield* eventLog.renew(lease, { leaseMs: input.leaseMs, now }))
    return true
  })

/**
 * Before a command's AWS call: keeps the lease, and when it did not need renewing, reads the lock to
 * check that nobody replaced it (the dead-local-holder takeover of a live lease, see above).
 */
export const holdLeaseForCall = (input: HeldLease) =>
  Effect.gen(function* () {
    if (yield* keepLease(input)) return
    const eventLog = yield* EventLog
    const lease = yield* Ref.get(input.lease)
    const lock = yield* eventLog.lock(lease)
    if (lock?.holder === lease.holder && lock.fencingToken === lease.fencingToken) return
    return yield* new StaleLease({
      clusterName: lease.clusterName,
      fencingToken: lease.fencingToken,
      // No lock: released, which this holder does only once it stops acting.
      currentFencingToken: lock?.fencingToken ?? lease.fencingToken,
    })
  })
