/**
 * Fleet rollout events: the progress of one rollout across many clusters (stages of clusters, rolled
 * in batches, each stage baked before the next), recorded in the fleet's own stream of the event log
 * — one stream per fleet name, holding its rollouts one after another. Folding them rebuilds the
 * rollout exactly, which is what makes a killed fleet rollout resumable. Each cluster's own rollout is
 * an ordinary cluster run in the same log; these events only name it (cluster, run id, outcome).
 */
import { type Effect, Schema } from "effect"
import type { EventLogCorrupt } from "./errors.ts"
import { RunOutcome, versionedRecordDecoder } from "./events.ts"
import { Count, EpochMillis } from "./snapshot.ts"

export const FLEET_ROLLOUT_SCHEMA_VERSION = 1 as const

const envelope = {
  schemaVersion: Schema.Literal(FLEET_ROLLOUT_SCHEMA_VERSION),
  fleetName: Schema.String,
  rolloutId: Schema.String,
  seq: Count,
  at: EpochMillis,
}

/** One cluster of a fleet: where it is, and the role assumed to reach it (none: the caller's own credentials). */
export const FleetCluster = Schema.Struct({
  /** `<account or "caller">/<Region>/<cluster name>`: unique within a fleet. */
  id: Schema.String,
  clusterName: Schema.String,
  region: Schema.String,
  roleArn: Schema.optionalKey(Schema.String),
})
export type FleetCluster = typeof FleetCluster.Type

/** A stage as the rollout recorded it when it started: later edits of the fleet file do not change it. */
export const FleetStage = Schema.Struct({
  name: Schema.String,
  clusters: Schema.Array(FleetCluster),
  /** How many of the stage's clusters roll at once. */
  batchSize: Count,
  /** How long the stage bakes after its last cluster succeeded, before the next stage may start. */
  bakeMs: Count,
})
export type FleetStage = typeof FleetStage.Type

export const FleetRolloutStarted = Schema.TaggedStruct("FleetRolloutStarted", {
  ...envelope,
  /** SHA-256 of the fleet file's text: a resume from another version of the file is refused. */
  fileDigest: Schema.String,
  stages: Schema.Array(FleetStage),
})

/** An executor took the fleet's lock for this rollout (a start or a resume). */
export const FleetLeaseTaken = Schema.TaggedStruct("FleetLeaseTaken", {
  ...envelope,
  holder: Schema.String,
  fencingToken: Count,
})

export const FleetStageStarted = Schema.TaggedStruct("FleetStageStarted", {
  ...envelope,
  stage: Schema.String,
})

/**
 * Intent: appended before a cluster's run is started. `runsBefore` lists the cluster's run ids known
 * then, so a resume tells the run this request started (a new id) from older ones.
 */
export const FleetClusterRunRequested = Schema.TaggedStruct("FleetClusterRunRequested", {
  ...envelope,
  stage: Schema.String,
  cluster: Schema.String,
  runsBefore: Schema.Array(Schema.String),
})

/**
 * How a cluster's part of the rollout ended: a run outcome, `nothing-to-do` (already on the target
 * image), `refused` (the planner refused to start) or `error` (the run could not be carried out:
 * the role could not be assumed, the cluster's lock is held, AWS failed for good).
 */
export const FleetClusterOutcome = Schema.Union([
  RunOutcome,
  Schema.Literals(["nothing-to-do", "refused", "error"]),
])
export type FleetClusterOutcome = typeof FleetClusterOutcome.Type

export const FleetClusterRunEnded = Schema.TaggedStruct("FleetClusterRunEnded", {
  ...envelope,
  stage: Schema.String,
  cluster: Schema.String,
  runId: Schema.optionalKey(Schema.String),
  outcome: FleetClusterOutcome,
  reason: Schema.String,
})

export const FleetStageBakeStarted = Schema.TaggedStruct("FleetStageBakeStarted", {
  ...envelope,
  stage: Schema.String,
  until: EpochMillis,
})

/**
 * One reason a stage did not bake: an alarm of one of its clusters in ALARM (or no longer found), or
 * a cluster whose alarms could not be read at the bake's end (`alarm` absent).
 */
export const FleetBakeFailure = Schema.Struct({
  cluster: Schema.String,
  alarm: Schema.optionalKey(Schema.String),
  detail: Schema.String,
})
export type FleetBakeFailure = typeof FleetBakeFailure.Type

/** `<cluster id>: <alarm>`, as `firing` lists a bake failure. */
export const fleetBakeFailureName = (failure: FleetBakeFailure): string =>
  `${failure.cluster}: ${failure.alarm ?? "alarms unreadable"}`

/** `<cluster id>: alarm <name> <what CloudWatch said>`, or why the cluster's alarms could not be read. */
export const describeBakeFailure = (failure: FleetBakeFailure): string =>
  `${failure.cluster}: ${failure.alarm === undefined ? "" : `alarm ${failure.alarm} `}${failure.detail}`

/**
 * The bake ended: `firing` names each failure (as `<cluster id>: <alarm>`); none means baked. The
 * alarms are polled while the stage bakes, so a bake ends early at the first alarm found in ALARM.
 */
export const FleetStageBakeEnded = Schema.TaggedStruct("FleetStageBakeEnded", {
  ...envelope,
  stage: Schema.String,
  firing: Schema.Array(Schema.String),
  /** The same failures with what CloudWatch said (absent in rollouts recorded before alarms were polled). */
  failures: Schema.optionalKey(Schema.Array(FleetBakeFailure)),
  /** What was checked, for the record: which alarms, how often. */
  checked: Schema.String,
})

/** The invocation stopped before its deadline; the next one resumes from the log. */
export const FleetRolloutSuspended = Schema.TaggedStruct("FleetRolloutSuspended", {
  ...envelope,
  reason: Schema.String,
})

/** Where a stopped rollout stopped. */
export const FleetStopPoint = Schema.Struct({
  stage: Schema.String,
  cluster: Schema.optionalKey(Schema.String),
  runId: Schema.optionalKey(Schema.String),
  outcome: Schema.optionalKey(FleetClusterOutcome),
  /** The alarm of `cluster` that stopped the rollout while its stage baked. */
  alarm: Schema.optionalKey(Schema.String),
})
export type FleetStopPoint = typeof FleetStopPoint.Type

export const FleetRolloutOutcome = Schema.Literals(["succeeded", "stopped"])
export type FleetRolloutOutcome = typeof FleetRolloutOutcome.Type

export const FleetRolloutFinished = Schema.TaggedStruct("FleetRolloutFinished", {
  ...envelope,
  outcome: FleetRolloutOutcome,
  reason: Schema.String,
  stoppedAt: Schema.optionalKey(FleetStopPoint),
})

export const FleetRolloutEvent = Schema.Union([
  FleetRolloutStarted,
  FleetLeaseTaken,
  FleetStageStarted,
  FleetClusterRunRequested,
  FleetClusterRunEnded,
  FleetStageBakeStarted,
  FleetStageBakeEnded,
  FleetRolloutSuspended,
  FleetRolloutFinished,
])
export type FleetRolloutEvent = typeof FleetRolloutEvent.Type

type FleetEnvelope = "schemaVersion" | "fleetName" | "rolloutId" | "seq" | "at"
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
/** An event as the fleet executor composes it, before it is stamped with version, fleet, rollout, sequence and time. */
export type FleetRolloutEventBody = DistributiveOmit<FleetRolloutEvent, FleetEnvelope>

/** Decodes one stored fleet record; a record of another schema version is refused with its own message. */
export const decodeFleetRolloutEvent: (
  record: unknown,
  location: string,
) => Effect.Effect<FleetRolloutEvent, EventLogCorrupt> = versionedRecordDecoder(
  FleetRolloutEvent,
  FLEET_ROLLOUT_SCHEMA_VERSION,
  "fleet record",
)

export const encodeFleetRolloutEvent = Schema.encodeSync(FleetRolloutEvent)
