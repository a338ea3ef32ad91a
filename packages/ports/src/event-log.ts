/**
 * The event log port: an append-only log of run events per run, a per-cluster lease lock with a
 * fencing token, and an index of runs by cluster. A cluster is named by account, Region and name
 * ({@link ClusterRef}): the same name in another Region or account has its own lock and runs. Appends are conditional: an event whose sequence
 * number is taken fails with `SequenceConflict`, and an append under a lease that was taken over fails
 * with `StaleLease`, so two executors can never both advance one run.
 */
import { Context, type Effect } from "effect"
import type {
  EventLogCorrupt,
  EventLogUnavailable,
  LockHeld,
  RunEvent,
  RunOutcome,
  SequenceConflict,
  StaleLease,
} from "@ecs-ami-deploy/domain"

/** Which cluster a lock or a run belongs to. */
export interface ClusterRef {
  readonly accountId: string
  readonly region: string
  readonly clusterName: string
}

export interface Lease extends ClusterRef {
  readonly holder: string
  /** Increases by one at every acquisition of the cluster's lock; appends carry it and stale ones are refused. */
  readonly fencingToken: number
  readonly expiresAt: number
}

export interface RunSummary {
  readonly runId: string
  readonly clusterName: string
  /**
   * Where the run was recorded (its `RunStarted`); absent for a run recorded before runs were keyed by
   * account and Region, which every account and Region with its cluster name lists.
   */
  readonly accountId?: string
  readonly region?: string
  readonly startedAt: number
  readonly lastSeq: number
  /** `open` until a `RunFinished` event is appended. */
  readonly status: "open" | RunOutcome
}

type LogError = EventLogUnavailable | EventLogCorrupt

export class EventLog extends Context.Service<
  EventLog,
  {
    /**
     * Takes the cluster's lock when it is free or its lease expired (`now` from the caller's Clock) —
     * or, with `replacing`, when the lock is still exactly that lease (same holder, same expiry): the
     * caller knows its holder is dead (a process of this host that no longer exists). A holder that
     * renewed since has another expiry, so a live one is never replaced. A live lock a release
     * before account and Region keying took under the bare cluster name holds every Region's lock.
     */
    readonly acquire: (
      input: ClusterRef & {
        readonly holder: string
        readonly leaseMs: number
        readonly now: number
        readonly replacing?: { readonly holder: string; readonly leaseExpiresAt: number }
      },
    ) => Effect.Effect<Lease, LockHeld | LogError>
    /** Extends a lease this holder still owns. */
    readonly renew: (
      lease: Lease,
      input: { readonly leaseMs: number; readonly now: number },
    ) => Effect.Effect<Lease, StaleLease | LogError>
    /** Frees the lock if this lease still owns it; releasing a lost lease does nothing. */
    readonly release: (lease: Lease) => Effect.Effect<void, LogError>
    /** Appends events whose `seq` continue the run's log, under a lease that must still be current. */
    readonly append: (
      lease: Lease,
      events: ReadonlyArray<RunEvent>,
    ) => Effect.Effect<void, SequenceConflict | StaleLease | LogError>
    /**
     * Who holds the cluster's lock and until when, read only (for `status`): `undefined` when it was
     * never taken or was released. An expiry in the past means its holder stopped renewing.
     */
    readonly lock: (cluster: ClusterRef) => Effect.Effect<Lease | undefined, LogError>
    /** Every event of the run in sequence order (empty for an unknown run). */
    readonly load: (runId: string) => Effect.Effect<ReadonlyArray<RunEvent>, LogError>
    /** The cluster's runs (and those recorded before runs were keyed by account and Region), newest first. */
    readonly runs: (cluster: ClusterRef) => Effect.Effect<ReadonlyArray<RunSummary>, LogError>
  }
>()("@ecs-ami-deploy/ports/EventLog") {}
