/**
 * The notifier port: tells people that a run started, succeeded, failed, rolled back or was suspended,
 * with a human-readable summary (an SNS topic in the Lambda, the terminal in the CLI).
 */
import { Context, type Effect } from "effect"

export interface RunNotification {
  readonly kind: "started" | "succeeded" | "failed" | "rolled-back" | "suspended"
  readonly clusterName: string
  readonly runId: string
  readonly subject: string
  readonly summary: string
}

export class Notifier extends Context.Service<
  Notifier,
  { readonly notify: (notification: RunNotification) => Effect.Effect<void> }
>()("@ecs-ami-deploy/ports/Notifier") {}
