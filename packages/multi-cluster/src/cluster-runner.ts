/**
 * The fleet executor's port to the clusters: list a cluster's runs, run (or resume, or read) one
 * cluster's rollout, and read a cluster's policy alarms while its stage bakes. Implementations reach each cluster
 * through its own environment — AWS in the cluster's account (an assumed role) and Region, or one
 * simulated world per cluster — and the cluster's runs are ordinary resumable runs in the event log.
 */
import { Context, Data, type Effect } from "effect"
import type { FleetClusterOutcome, GateFailure } from "@ecs-ami-deploy/domain"
import type { FleetClusterSpec } from "./fleet-file.ts"

/** How a cluster's part ended in this invocation: for good, or suspended at the deadline (the next invocation resumes it). */
export type ClusterRunEnd =
  | {
      readonly _tag: "Ended"
      readonly runId?: string
      readonly outcome: FleetClusterOutcome
      readonly reason: string
    }
  | { readonly _tag: "Suspended"; readonly runId?: string; readonly reason: string }

/** The cluster could not be reached (the role could not be assumed, the event log failed): why. */
export class ClusterUnreachable extends Data.TaggedError("ClusterUnreachable")<{
  readonly cluster: string
  readonly reason: string
}> {}

export interface ClusterRunInput {
  readonly cluster: FleetClusterSpec
  /** The cluster's run ids known before this rollout requested its run: a newer one is this rollout's. */
  readonly runsBefore: ReadonlyArray<string>
  /** When the fleet requested the run (the fleet's clock). */
  readonly requestedAt: number
  readonly holder: string
  readonly deadline?: number
  /** Called whenever the cluster's run appends an event, so the fleet's lease is renewed while it rolls. */
  readonly heartbeat: Effect.Effect<void>
}

export class FleetClusterRunner extends Context.Service<
  FleetClusterRunner,
  {
    /** How many clusters of a batch may roll at the same time (AWS: the whole batch; the simulator: one). */
    readonly concurrency: (batchSize: number) => number
    /** The cluster's run ids, newest first. */
    readonly runIds: (cluster: FleetClusterSpec) => Effect.Effect<ReadonlyArray<string>, ClusterUnreachable>
    /**
     * Rolls the cluster: resumes the run this rollout started (a run id not in `runsBefore`) if it is
     * open, reports it if it finished, else starts one. Never fails: a failure is an `error` outcome.
     */
    readonly run: (input: ClusterRunInput) => Effect.Effect<ClusterRunEnd>
    /**
     * The alarms the cluster's policy names that are in ALARM (or not found) at the fleet's time
     * `now`: one DescribeAlarms request in the cluster's account and Region; none when it names no alarm.
     */
    readonly alarmFailures: (
      cluster: FleetClusterSpec,
      now: number,
    ) => Effect.Effect<ReadonlyArray<GateFailure>, ClusterUnreachable>
  }
>()("@ecs-ami-deploy/multi-cluster/FleetClusterRunner") {}
