import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { amiAnnouncementTopicArn, continueEvent, decodeTrigger } from "./triggers.ts"

const announcement = {
  ECSAgent: { ReleaseVersion: "1.89.0" },
  ECSAmis: [
    {
      ReleaseVersion: "2023.0.20261120",
      AgentVersion: "1.89.0",
      ReleaseNotes: "This AMI includes the latest ECS agent 1.89.0",
      OsType: "linux",
      OperatingSystemName: "Amazon Linux 2023",
      Regions: {
        "eu-west-1": { Name: "al2023-ami-ecs-hvm-2023.0.20261120-kernel-6.1-x86_64", ImageId: "ami-0abc" },
      },
    },
  ],
}

const snsEvent = (topicArn: string, message: string) => ({
  Records: [
    {
      EventSource: "aws:sns",
      EventVersion: "1.0",
      EventSubscriptionArn: `${topicArn}:0b1c2d3e`,
      Sns: {
        Type: "Notification",
        MessageId: "m-1",
        TopicArn: topicArn,
        Subject: null,
        Message: message,
        Timestamp: "2026-11-20T10:00:00.000Z",
      },
    },
  ],
})

const scheduled = {
  version: "0",
  id: "e-1",
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "123456789012",
  time: "2026-11-21T01:00:00Z",
  region: "eu-west-1",
  resources: ["arn:aws:events:eu-west-1:123456789012:rule/weekly"],
  detail: {},
}

describe("decodeTrigger", () => {
  it.effect("given the EventBridge schedule, when decoded, then it is a schedule trigger", () =>
    Effect.gen(function* () {
      expect(yield* decodeTrigger(scheduled)).toEqual({ _tag: "Schedule", eventId: "e-1" })
    }),
  )

  it.effect(
    "given the AWS announcement, when decoded, then it is an announcement trigger carrying the release",
    () =>
      Effect.gen(function* () {
        const trigger = yield* decodeTrigger(
          snsEvent(amiAnnouncementTopicArn("eu-west-1"), JSON.stringify(announcement)),
        )
        expect(trigger).toEqual({
          _tag: "AmiAnnouncement",
          messageIds: ["m-1"],
          releaseVersions: ["2023.0.20261120"],
        })
      }),
  )

  it.effect("given a continue event, when decoded, then it names the cluster and the hop", () =>
    Effect.gen(function* () {
      expect(yield* decodeTrigger(continueEvent("prod", 0))).toEqual({
        _tag: "Continue",
        clusterName: "prod",
        hop: 1,
      })
    }),
  )

  it.effect("given the resume sweep's event, when decoded, then it is a resume-open-runs trigger", () =>
    Effect.gen(function* () {
      expect(yield* decodeTrigger({ kind: "ecs-ami-deploy.resume-open-runs" })).toEqual({
        _tag: "ResumeOpenRuns",
      })
    }),
  )

  const refused: ReadonlyArray<readonly [string, unknown]> = [
    [
      "an SNS message from another account's topic",
      snsEvent(
        "arn:aws:sns:eu-west-1:123456789012:ecs-optimized-amazon-ami-update",
        JSON.stringify(announcement),
      ),
    ],
    ["an announcement that is not JSON", snsEvent(amiAnnouncementTopicArn("eu-west-1"), "new AMI!")],
    [
      "an announcement without AMIs",
      snsEvent(amiAnnouncementTopicArn("eu-west-1"), JSON.stringify({ ECSAmis: [] })),
    ],
    ["an S3 event", { Records: [{ eventSource: "aws:s3", s3: {} }] }],
    ["a continue event without a cluster", { kind: "ecs-ami-deploy.continue", hop: 1 }],
    ["a continue event with hop 0", { kind: "ecs-ami-deploy.continue", clusterName: "prod", hop: 0 }],
    [
      "another EventBridge event",
      { ...scheduled, "detail-type": "EC2 Instance State-change Notification", source: "aws.ec2" },
    ],
    ["nothing", null],
  ]
  for (const [what, event] of refused)
    it.effect(`given ${what}, when decoded, then it is rejected`, () =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(decodeTrigger(event))
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("EventRejected")
      }),
    )
})
