/**
 * The notifier port: tells people that a run started, was suspended, or finished (with its outcome),
 * with a human-readable summary (an SNS topic in the Lambda, the terminal in the CLI).
 */
import { Context, type Effect } from "effect"
import type { RunOutcome } from "@ecs-ami-deploy/domain"

export interface RunNotification {
  readonly kind: "started" | "suspended" | RunOutcome
  readonly clusterName: string
  readonly runId: string
  readonly subject: string
  readonly summary: string
}

export class Notifier extends Context.Service<
  Notifier,
  { readonly notify: (notification: RunNotification) => Effect.Effect<void> }
>()("@ecs-ami-deploy/ports/Notifier") {}
