/**
 * The Notifier port over Amazon SNS: each run notification (started, succeeded, failed, rolled back,
 * suspended) is published to the configured topic, whose e-mail subscribers read the subject and the
 * human-readable summary. Message attributes carry the kind, cluster and run id so subscribers can
 * filter (e.g. only failures). A suspension is only logged: the Lambda suspends a long run every
 * invocation, and a mail per invocation would bury the ones that matter. A notification that cannot be
 * published is logged, never raised: telling people about a run must not stop the run.
 */
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns"
import { Effect, Layer } from "effect"
import { Notifier, type RunNotification } from "@ecs-ami-deploy/ports"

/** SNS rejects subjects longer than 100 characters or containing line breaks. */
export const snsSubject = (subject: string): string => {
  const oneLine = subject.replace(/[\r\n]+/g, " ").trim()
  return oneLine.length <= 100 ? oneLine : `${oneLine.slice(0, 99)}…`
}

const stringAttribute = (value: string) => ({ DataType: "String", StringValue: value })

/** Publishes to `topicArn` through `client`. */
export const layerSnsNotifier = (input: {
  readonly client: SNSClient
  readonly topicArn: string
}): Layer.Layer<Notifier> =>
  Layer.succeed(
    Notifier,
    Notifier.of({
      notify: (notification: RunNotification) =>
        notification.kind === "suspended"
          ? Effect.logInfo(notification.subject)
          : Effect.tryPromise((abortSignal) =>
              input.client.send(
                new PublishCommand({
                  TopicArn: input.topicArn,
                  Subject: snsSubject(notification.subject),
                  Message: notification.summary,
                  MessageAttributes: {
                    kind: stringAttribute(notification.kind),
                    cluster: stringAttribute(notification.clusterName),
                    runId: stringAttribute(notification.runId),
                  },
                }),
                { abortSignal },
              ),
            ).pipe(
              Effect.asVoid,
              Effect.catchCause((cause) =>
                Effect.logError(
                  `could not publish the ${notification.kind} notification to ${input.topicArn}`,
                  cause,
                ),
              ),
            ),
    }),
  )

/** When no topic is configured: the notification is a log line, and nothing else. */
export const layerLogNotifier: Layer.Layer<Notifier> = Layer.succeed(
  Notifier,
  Notifier.of({
    notify: (notification) =>
      Effect.logInfo(notification.subject).pipe(
        Effect.annotateLogs({ notification: notification.kind, summary: notification.summary }),
      ),
  }),
)
