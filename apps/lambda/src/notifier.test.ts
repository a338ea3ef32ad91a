import { PublishCommand, SNSClient } from "@aws-sdk/client-sns"
import { describe, expect, it } from "@effect/vitest"
import { mockClient } from "aws-sdk-client-mock"
import { Effect, Logger } from "effect"
import { Notifier, type RunNotification } from "@ecs-ami-deploy/ports"
import { jsonLogger } from "./logging.ts"
import { layerSnsNotifier, snsSubject } from "./notifier.ts"

const topicArn = "arn:aws:sns:eu-west-1:123456789012:ami-rollouts"
const notification: RunNotification = {
  kind: "failed",
  clusterName: "prod",
  runId: "run-1",
  subject: "ecs-ami-deploy: prod rollout failed",
  summary: "The rollout of prod to ami-0new failed in phase draining: drain wave 2 timed out.",
}

describe("layerSnsNotifier", () => {
  it.effect(
    "given a notification, when notified, then one message is published with the subject, summary and filterable attributes",
    () =>
      Effect.gen(function* () {
        const sns = mockClient(SNSClient)
        sns.on(PublishCommand).resolves({ MessageId: "m-1" })
        yield* Notifier.use((notifier) => notifier.notify(notification)).pipe(
          Effect.provide(layerSnsNotifier({ client: new SNSClient({ region: "eu-west-1" }), topicArn })),
        )
        const calls = sns.commandCalls(PublishCommand)
        expect(calls.map((call) => call.args[0].input)).toEqual([
          {
            TopicArn: topicArn,
            Subject: notification.subject,
            Message: notification.summary,
            MessageAttributes: {
              kind: { DataType: "String", StringValue: "failed" },
              cluster: { DataType: "String", StringValue: "prod" },
              runId: { DataType: "String", StringValue: "run-1" },
            },
          },
        ])
        sns.restore()
      }),
  )

  it.effect(
    "given SNS refuses the message, when notified, then the failure is logged and the caller carries on",
    () =>
      Effect.gen(function* () {
        const sns = mockClient(SNSClient)
        sns.on(PublishCommand).rejects(new Error("AuthorizationError: not allowed to publish"))
        const lines: Array<string> = []
        yield* Notifier.use((notifier) => notifier.notify(notification)).pipe(
          Effect.provide(layerSnsNotifier({ client: new SNSClient({ region: "eu-west-1" }), topicArn })),
          Effect.provide(Logger.layer([jsonLogger((line) => lines.push(line))])),
        )
        expect(lines).toHaveLength(1)
        expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({
          level: "ERROR",
          cause: expect.stringContaining("not allowed to publish"),
        })
        sns.restore()
      }),
  )
})

describe("layerSnsNotifier and suspensions", () => {
  it.effect(
    "given a suspension, when notified, then nothing is published (one would go out every invocation)",
    () =>
      Effect.gen(function* () {
        const sns = mockClient(SNSClient)
        yield* Notifier.use((notifier) => notifier.notify({ ...notification, kind: "suspended" })).pipe(
          Effect.provide(layerSnsNotifier({ client: new SNSClient({ region: "eu-west-1" }), topicArn })),
          Effect.provide(Logger.layer([jsonLogger(() => undefined)])),
        )
        expect(sns.commandCalls(PublishCommand)).toEqual([])
        sns.restore()
      }),
  )
})

describe("snsSubject", () => {
  it("given a subject over SNS's 100-character limit or with line breaks, when shortened, then it fits on one line", () => {
    const subject = snsSubject(`rollout of ${"c".repeat(120)}\nfailed`)
    expect(subject).toHaveLength(100)
    expect(subject).not.toContain("\n")
    expect(snsSubject("short")).toBe("short")
  })
})
