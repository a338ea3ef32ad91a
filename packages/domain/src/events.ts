/**
 * Run events: every transition of a run, appended to the event log before and after each action.
 * Folding them (planner `evolve`) rebuilds the run's state exactly, which is what makes a killed run
 * resumable. Every event carries the schema version, run id, sequence number and time; a record of an
 * unknown version is refused, never guessed at.
 */
import { Effect, Schema } from "effect"
import { Command } from "./commands.ts"
import { Phase } from "./decision.ts"
import { EventLogCorrupt } from "./errors.ts"
import { RolloutPolicy } from "./policy.ts"
import { Count, EpochMillis, Image, LaunchSpec } from "./snapshot.ts"

export const EVENT_SCHEMA_VERSION = 1 as const

const envelope = {
  schemaVersion: Schema.Literal(EVENT_SCHEMA_VERSION),
  runId: Schema.String,
  seq: Count,
  at: EpochMillis,
}

/** The state of one Auto Scaling group when the run began: what rollback restores. */
export const GroupAtStart = Schema.Struct({
  asgName: Schema.String,
  desiredCapacity: Count,
  minSize: Count,
  maxSize: Count,
  launchSpec: LaunchSpec,
  launchSpecImageId: Schema.String,
  suspendedProcesses: Schema.Array(Schema.String),
  /** The instances this run will replace: the only ones it may ever terminate. */
  oldInstanceIds: Schema.Array(Schema.String),
})
export type GroupAtStart = typeof GroupAtStart.Type

export const RunStarted = Schema.TaggedStruct("RunStarted", {
  ...envelope,
  clusterName: Schema.String,
  /** The account and Region of the cluster; absent in runs recorded before runs were keyed by them. */
  accountId: Schema.optionalKey(Schema.String),
  region: Schema.optionalKey(Schema.String),
  policy: RolloutPolicy,
  targetImage: Image,
  groups: Schema.Array(GroupAtStart),
  reason: Schema.String,
  /** Replica services already below their healthy floor when the run started: not the run's doing. */
  servicesBelowFloorAtStart: Schema.optionalKey(Schema.Array(Schema.String)),
  /**
   * The planner behaviour the run started under (planner `DECIDER_VERSION`); absent in runs recorded
   * before it was, which are version 1. An open run keeps deciding as its version did.
   */
  deciderVersion: Schema.optionalKey(Count),
})

/** An executor took the cluster lease for this run (a fresh start or a resume). */
export const LeaseAcquired = Schema.TaggedStruct("LeaseAcquired", {
  ...envelope,
  holder: Schema.String,
  fencingToken: Count,
})

/** Intent: appended before the call. A command with an intent and no outcome is re-observed, not blindly re-issued. */
export const CommandIssued = Schema.TaggedStruct("CommandIssued", {
  ...envelope,
  command: Command,
  attempt: Count,
  /** The phase of the decision that issued it; absent in logs recorded before it was kept. */
  phase: Schema.optionalKey(Phase),
  /** The wave of its group it belongs to, when it belongs to one (absent in older logs). */
  wave: Schema.optionalKey(Count),
})

export const CommandSucceeded = Schema.TaggedStruct("CommandSucceeded", {
  ...envelope,
  commandId: Schema.String,
  /** Set by launch-spec commands: what the group used before and after, for rollback and cleanup. */
  launchSpecBefore: Schema.optionalKey(LaunchSpec),
  launchSpecAfter: Schema.optionalKey(LaunchSpec),
})

export const CommandFailed = Schema.TaggedStruct("CommandFailed", {
  ...envelope,
  commandId: Schema.String,
  errorTag: Schema.String,
  message: Schema.String,
  retryable: Schema.Boolean,
})

/** Something an operator should know that is not a transition (a blocked drain, a skipped instance). */
export const Noted = Schema.TaggedStruct("Noted", {
  ...envelope,
  level: Schema.Literals(["info", "warning"]),
  message: Schema.String,
})

export const RollbackStarted = Schema.TaggedStruct("RollbackStarted", {
  ...envelope,
  reason: Schema.String,
})

/** The executor stopped before its deadline; the next run resumes through the same path as a fresh one. */
export const RunSuspended = Schema.TaggedStruct("RunSuspended", {
  ...envelope,
  reason: Schema.String,
})

/**
 * How a run ended, as the fleet shows it: `succeeded` (every member on the target image, or skipped
 * by policy with the reason named), `rolled-back` (the cluster as it was found), `incomplete` (a
 * forward run that left members on another image, or a service below its healthy floor), `halted` (a rollback that stopped with old
 * instances already replaced: a mixed fleet), `failed` (a command failed for good; the reason names
 * the fleet).
 */
export const RunOutcome = Schema.Literals(["succeeded", "failed", "rolled-back", "incomplete", "halted"])
export type RunOutcome = typeof RunOutcome.Type

export const RunFinished = Schema.TaggedStruct("RunFinished", {
  ...envelope,
  outcome: RunOutcome,
  reason: Schema.String,
})

export const RunEvent = Schema.Union([
  RunStarted,
  LeaseAcquired,
  CommandIssued,
  CommandSucceeded,
  CommandFailed,
  Noted,
  RollbackStarted,
  RunSuspended,
  RunFinished,
])
export type RunEvent = typeof RunEvent.Type
export type RunEventTag = RunEvent["_tag"]

type Envelope = "schemaVersion" | "runId" | "seq" | "at"
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
/** An event as the executor composes it, before the log stamps version, run id, sequence and time. */
export type RunEventBody = DistributiveOmit<RunEvent, Envelope>

/**
 * A decoder of stored records of one schema version: a record of another version gets its own message
 * (the log was written by a newer or older release), never a best guess. `what` names the record kind.
 */
export const versionedRecordDecoder = <S extends Schema.Decoder<unknown>>(
  schema: S,
  version: number,
  what: string,
) => {
  const decode = Schema.decodeUnknownEffect(schema)
  return (record: unknown, location: string): Effect.Effect<S["Type"], EventLogCorrupt> => {
    const found =
      typeof record === "object" && record !== null
        ? (record as Record<string, unknown>)["schemaVersion"]
        : undefined
    if (found !== version)
      return Effect.fail(
        new EventLogCorrupt({
          location,
          problem: `${what} has schemaVersion ${JSON.stringify(found)}, this release reads version ${version} only; use the release that wrote the log`,
        }),
      )
    return decode(record).pipe(
      Effect.mapError((error) => new EventLogCorrupt({ location, problem: error.message })),
    )
  }
}

/** Decodes one stored run event record. */
export const decodeRunEvent: (record: unknown, location: string) => Effect.Effect<RunEvent, EventLogCorrupt> =
  versionedRecordDecoder(RunEvent, EVENT_SCHEMA_VERSION, "record")

export const encodeRunEvent = Schema.encodeSync(RunEvent)
