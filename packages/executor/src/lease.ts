/**
 * Keeping the cluster's lease while acting on it. The lease fences more than the event log: it is
 * checked (and renewed once less than half of it is left) before every AWS call a command makes —
 * each attempt of each call, plugin calls included — so an executor that lost its lease (stalled past
 * its expiry and taken over) fails with `StaleLease` before its next call instead of acting on a
 * cluster another executor now drives. Renewal is a conditional write on the lease's fencing token, so
 * it succeeds only while nobody else holds the lock; an AWS call starts with at least half a lease
 * left, and the AWS clients' request timeout (well under half a lease) bounds how long it can last.
 */
import { Clock, Effect, Ref } from "effect"
import type { EventLogCorrupt, EventLogUnavailable, StaleLease } from "@ecs-ami-deploy/domain"
import { EventLog, type Lease } from "@ecs-ami-deploy/ports"

/** Why an executor may no longer act: another holder took the lease, or it could not be renewed. */
export type LeaseLost = StaleLease | EventLogUnavailable | EventLogCorrupt

const leaseLostTags: ReadonlySet<unknown> = new Set(["StaleLease", "EventLogUnavailable", "EventLogCorrupt"])

export const isLeaseLost = (error: unknown): error is LeaseLost =>
  typeof error === "object" && error !== null && leaseLostTags.has((error as { _tag?: unknown })._tag)

/** Renews the lease once less than half of it is left, so it never lapses between two steps or two calls. */
export const keepLease = (input: { readonly lease: Ref.Ref<Lease>; readonly leaseMs: number }) =>
  Effect.gen(function* () {
    const eventLog = yield* EventLog
    const now = yield* Clock.currentTimeMillis
    const lease = yield* Ref.get(input.lease)
    if (lease.expiresAt - now > input.leaseMs / 2) return
    yield* Ref.set(input.lease, yield* eventLog.renew(lease, { leaseMs: input.leaseMs, now }))
  })
