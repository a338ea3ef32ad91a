/**
 * The executor's own tagged errors. Errors that come from the contracts (lock, log, AWS calls,
 * plugins) pass through unchanged; these cover what only the run loop can detect.
 */
import { Schema } from "effect"

/** `rollbackRun` was asked to roll back a cluster that has no open run. */
export class NoOpenRun extends Schema.TaggedError<NoOpenRun>()("NoOpenRun", {
  clusterName: Schema.String,
}) {
  /** Trying the same again cannot help. */
  get retryable(): boolean {
    return false
  }
  override get message(): string {
    return `cluster ${this.clusterName} has no open run to roll back`
  }
}

/** What the ports returned does not decode as a cluster snapshot: the run must not act on it. */
export class ObservationInvalid extends Schema.TaggedError<ObservationInvalid>()("ObservationInvalid", {
  clusterName: Schema.String,
  problem: Schema.String,
}) {
  /** Trying the same again cannot help. */
  get retryable(): boolean {
    return false
  }
  override get message(): string {
    return `the observation of cluster ${this.clusterName} is invalid: ${this.problem}`
  }
}

/**
 * The planner emitted again a destructive command (terminate, detach, drain, stop tasks) whose earlier
 * issue the log records as succeeded: a planner defect, refused before any AWS call.
 */
export class DestructiveCommandRepeated extends Schema.TaggedError<DestructiveCommandRepeated>()(
  "DestructiveCommandRepeated",
  { clusterName: Schema.String, commandId: Schema.String, command: Schema.String },
) {
  /** Trying the same again cannot help. */
  get retryable(): boolean {
    return false
  }
  override get message(): string {
    return `refused to issue ${this.command} ${this.commandId} on cluster ${this.clusterName} again: the log records it as succeeded (a planner defect; nothing was called)`
  }
}

/**
 * The run to resume was recorded for the same cluster name in another account or Region: resuming it
 * here would act on another cluster. Refused before any AWS call.
 */
export class RunOfAnotherCluster extends Schema.TaggedError<RunOfAnotherCluster>()("RunOfAnotherCluster", {
  runId: Schema.String,
  clusterName: Schema.String,
  recordedFor: Schema.String,
  current: Schema.String,
}) {
  /** Trying the same again cannot help. */
  get retryable(): boolean {
    return false
  }
  override get message(): string {
    return `run ${this.runId} of cluster ${this.clusterName} was recorded for ${this.recordedFor}, but the credentials and Region in use are ${this.current}: run it with the account and Region it was recorded for (--profile, --region)`
  }
}
