/**
 * Tagged errors shared by the ports, the planner and the apps. They are schemas, so they survive a
 * trip through the event log and JSON output, and each says whether retrying can help.
 */
import { Schema } from "effect"

/** What every error of a rollout says about itself: whether trying the same again can help. */
export interface Retryability {
  readonly retryable: boolean
}

/** What went wrong in a call to AWS (or the simulator), classified once at the adapter boundary. */
export const AwsErrorKind = Schema.Literals([
  "throttled",
  "transient",
  "not-found",
  "invalid-parameter",
  "conflict",
  "access-denied",
  "limit-exceeded",
  "unknown",
])
export type AwsErrorKind = typeof AwsErrorKind.Type

const retryableKinds: ReadonlySet<AwsErrorKind> = new Set(["throttled", "transient", "conflict"])

export class AwsCallError extends Schema.TaggedError<AwsCallError>()("AwsCallError", {
  operation: Schema.String,
  kind: AwsErrorKind,
  code: Schema.String,
  message: Schema.String,
}) {
  /** Throttling, server errors and contention clear up by themselves; the rest will not. */
  get retryable(): boolean {
    return retryableKinds.has(this.kind)
  }
}

/** Another executor holds the cluster's lock. */
export class LockHeld extends Schema.TaggedError<LockHeld>()("LockHeld", {
  clusterName: Schema.String,
  holder: Schema.String,
  runId: Schema.optionalKey(Schema.String),
  leaseExpiresAt: Schema.Number,
}) {
  /** Trying the same again cannot help. */
  get retryable(): boolean {
    return false
  }
  override get message(): string {
    return (
      `cluster ${this.clusterName} is locked by ${this.holder}` +
      (this.runId === undefined ? "" : ` (run ${this.runId})`) +
      ` until ${new Date(this.leaseExpiresAt).toISOString()}; wait for it to finish or for the lease to expire`
    )
  }
}

/** An append or lock operation by a holder whose lease was taken over: it must stop at once. */
export class StaleLease extends Schema.TaggedError<StaleLease>()("StaleLease", {
  clusterName: Schema.String,
  fencingToken: Schema.Number,
  currentFencingToken: Schema.Number,
}) {
  /** Trying the same again cannot help. */
  get retryable(): boolean {
    return false
  }
}

/** Two writers raced for the same sequence number; the loser must reload and re-decide. */
export class SequenceConflict extends Schema.TaggedError<SequenceConflict>()("SequenceConflict", {
  runId: Schema.String,
  seq: Schema.Number,
}) {
  /** Trying the same again cannot help. */
  get retryable(): boolean {
    return false
  }
}

/** A log record that cannot be read: corrupt, or written by a newer schema version. */
export class EventLogCorrupt extends Schema.TaggedError<EventLogCorrupt>()("EventLogCorrupt", {
  location: Schema.String,
  problem: Schema.String,
}) {
  /** Trying the same again cannot help. */
  get retryable(): boolean {
    return false
  }
  override get message(): string {
    return `event log ${this.location} cannot be read: ${this.problem}`
  }
}

/** The event log's storage failed (disk, DynamoDB): retryable when the cause is. */
export class EventLogUnavailable extends Schema.TaggedError<EventLogUnavailable>()("EventLogUnavailable", {
  location: Schema.String,
  problem: Schema.String,
  retryable: Schema.Boolean,
}) {}
