/**
 * What can invoke the Lambda, decoded at the boundary: the EventBridge schedule, the AWS announcement
 * of new ECS-optimized AMIs (an SNS message from AWS's own topic), the continue event the Lambda
 * sends itself while a run is open, an operator's go-ahead at a checkpoint, and the frequent resume sweep that picks up a run whose hand-over
 * was lost (an invocation killed before it could hand over). Each decodes to a `Trigger`; anything else — another topic, a
 * malformed announcement, an unknown shape — is refused here, before anything touches AWS.
 */
import { Effect, Schema } from "effect"

/** The account that publishes the ECS-optimized AMI announcements (AWS documentation). */
export const amiAnnouncementAccount = "177427601217"
export const amiAnnouncementTopicName = "ecs-optimized-amazon-ami-update"

/** The announcement topic in `region` (the Lambda subscribes to its own region's topic). */
export const amiAnnouncementTopicArn = (region: string, partition = "aws"): string =>
  `arn:${partition}:sns:${region}:${amiAnnouncementAccount}:${amiAnnouncementTopicName}`

const announcementTopicPattern = new RegExp(
  `^arn:aws[a-z-]*:sns:[a-z0-9-]+:${amiAnnouncementAccount}:${amiAnnouncementTopicName}$`,
)

/** An EventBridge scheduled event (`source: aws.events`). */
export const ScheduledEvent = Schema.Struct({
  source: Schema.Literal("aws.events"),
  "detail-type": Schema.Literal("Scheduled Event"),
  id: Schema.String,
  time: Schema.String,
})

/** The announcement message: only used as a trigger and for the log line; the AMI comes from the configured source. */
export const AmiAnnouncement = Schema.Struct({
  ECSAgent: Schema.optionalKey(Schema.Struct({ ReleaseVersion: Schema.String })),
  ECSAmis: Schema.Array(
    Schema.Struct({
      ReleaseVersion: Schema.String,
      OsType: Schema.optionalKey(Schema.String),
      OperatingSystemName: Schema.optionalKey(Schema.String),
    }),
  ).check(Schema.isMinLength(1)),
})

const SnsRecord = Schema.Struct({
  EventSource: Schema.Literal("aws:sns"),
  Sns: Schema.Struct({
    MessageId: Schema.String,
    TopicArn: Schema.String.check(
      Schema.isPattern(announcementTopicPattern, {
        message: `only the AWS announcement topic ...:${amiAnnouncementAccount}:${amiAnnouncementTopicName} may trigger a rollout`,
      }),
    ),
    Message: Schema.fromJsonString(AmiAnnouncement),
  }),
})

/** SNS delivers one record per Lambda invocation; more are accepted as long as each is an announcement. */
export const SnsEvent = Schema.Struct({ Records: Schema.Array(SnsRecord).check(Schema.isMinLength(1)) })

export const continueEventKind = "ecs-ami-deploy.continue"

/** The event a Lambda sends itself to carry an open run into a fresh invocation. */
export const ContinueEvent = Schema.Struct({
  kind: Schema.Literal(continueEventKind),
  clusterName: Schema.String.check(Schema.isMinLength(1)),
  /** How many continuations precede this one in the chain: bounds a run that would never end. */
  hop: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
})
export type ContinueEvent = typeof ContinueEvent.Type

export const continueAtCheckpointKind = "ecs-ami-deploy.continue-at-checkpoint"

/** An operator's go-ahead for a run waiting at a checkpoint (`--checkpoint` / CHECKPOINTS), sent by invoking the Lambda. */
export const ContinueAtCheckpointEvent = Schema.Struct({
  kind: Schema.Literal(continueAtCheckpointKind),
  clusterName: Schema.String.check(Schema.isMinLength(1)),
  /** Who says continue, recorded in the run's log. */
  by: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
})
export type ContinueAtCheckpointEvent = typeof ContinueAtCheckpointEvent.Type

export const resumeOpenRunsKind = "ecs-ami-deploy.resume-open-runs"

/** The resume sweep's event (the input of its EventBridge rule): resume open runs, start none. */
export const ResumeOpenRunsEvent = Schema.Struct({ kind: Schema.Literal(resumeOpenRunsKind) })

const LambdaEvent = Schema.Union([
  ScheduledEvent,
  SnsEvent,
  ContinueEvent,
  ContinueAtCheckpointEvent,
  ResumeOpenRunsEvent,
])

export type Trigger =
  | { readonly _tag: "Schedule"; readonly eventId: string }
  | {
      readonly _tag: "AmiAnnouncement"
      readonly messageIds: ReadonlyArray<string>
      readonly releaseVersions: ReadonlyArray<string>
    }
  | { readonly _tag: "Continue"; readonly clusterName: string; readonly hop: number }
  | { readonly _tag: "ContinueAtCheckpoint"; readonly clusterName: string; readonly by: string }
  | { readonly _tag: "ResumeOpenRuns" }

/** The event is not one the Lambda accepts; `problem` is the decoder's account of why. */
export class EventRejected extends Schema.TaggedError<EventRejected>()("EventRejected", {
  problem: Schema.String,
}) {
  override get message(): string {
    return `event rejected, nothing done: ${this.problem}`
  }
}

const toTrigger = (event: typeof LambdaEvent.Type): Trigger => {
  if ("kind" in event) {
    if (event.kind === resumeOpenRunsKind) return { _tag: "ResumeOpenRuns" }
    if (event.kind === continueAtCheckpointKind)
      return {
        _tag: "ContinueAtCheckpoint",
        clusterName: event.clusterName,
        by: "by" in event && event.by !== undefined ? event.by : "a Lambda invocation",
      }
    return { _tag: "Continue", clusterName: event.clusterName, hop: event.hop }
  }
  if ("Records" in event)
    return {
      _tag: "AmiAnnouncement",
      messageIds: event.Records.map((record) => record.Sns.MessageId),
      releaseVersions: event.Records.flatMap((record) =>
        record.Sns.Message.ECSAmis.map((ami) => ami.ReleaseVersion),
      ),
    }
  return { _tag: "Schedule", eventId: event.id }
}

/** Decodes a raw invocation event into a trigger, or refuses it. */
export const decodeTrigger = (event: unknown): Effect.Effect<Trigger, EventRejected> =>
  Schema.decodeUnknownEffect(LambdaEvent)(event).pipe(
    Effect.map(toTrigger),
    Effect.mapError((error) => new EventRejected({ problem: error.message })),
  )

/** The continue event that follows `hop` (0 for the invocation that starts the chain). */
export const continueEvent = (clusterName: string, hop: number): ContinueEvent => ({
  kind: continueEventKind,
  clusterName,
  hop: hop + 1,
})
