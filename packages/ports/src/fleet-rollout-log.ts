/**
 * The fleet rollout log port: each fleet's own stream of {@link FleetRolloutEvent}s in the event log,
 * beside the clusters' runs. A fleet is locked with the event log's own lease lock, under the
 * pseudo-cluster {@link fleetLockOf} (account `fleet`, which no AWS account id can be), so the same
 * lease, fencing token and takeover rules keep one executor per fleet; an append under a lease that is
 * no longer current fails with `StaleLease`, one whose sequence number is taken with `SequenceConflict`.
 */
import { Context, type Effect } from "effect"
import type {
  EventLogCorrupt,
  EventLogUnavailable,
  FleetRolloutEvent,
  SequenceConflict,
  StaleLease,
} from "@ecs-ami-deploy/domain"
import type { ClusterRef, Lease } from "./event-log.ts"

/** The event log lock a fleet's executor holds: take it with `EventLog.acquire(fleetLockOf(name))`. */
export const fleetLockOf = (fleetName: string): ClusterRef => ({
  accountId: "fleet",
  region: "all",
  clusterName: fleetName,
})

type LogError = EventLogUnavailable | EventLogCorrupt

export class FleetRolloutLog extends Context.Service<
  FleetRolloutLog,
  {
    /** Appends events whose `seq` continue the fleet's stream, under the fleet's lease (which must still be current). */
    readonly append: (
      lease: Lease,
      events: ReadonlyArray<FleetRolloutEvent>,
    ) => Effect.Effect<void, SequenceConflict | StaleLease | LogError>
    /** Every event of the fleet's stream (all its rollouts) in sequence order; empty for an unknown fleet. */
    readonly load: (fleetName: string) => Effect.Effect<ReadonlyArray<FleetRolloutEvent>, LogError>
  }
>()("@ecs-ami-deploy/ports/FleetRolloutLog") {}
