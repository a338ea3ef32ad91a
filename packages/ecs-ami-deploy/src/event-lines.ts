/**
 * A run's events as the lines people read — what the CLI prints while a run goes on, in `history`
 * and under `status --watch` — for any caller that logs a run, so a Lambda log or a script reads the
 * same words: `[+1m40s] DrainInstances: drain wave 1 of small-asg …`. A formatter follows one run's
 * events in order: it keeps the run's start (for the `[+elapsed]` clock) and the commands issued (to
 * name the command a success belongs to).
 */
import { describeGateFailure, formatDuration, type RunEvent } from "@ecs-ami-deploy/domain"

/** Options of `eventLineFormatter`. */
export interface EventLineOptions {
  /**
   * `"hidden"` (default): a command's success adds nothing to the line that announced it, so it gives
   * no line (`undefined`), as a live view wants; `"shown"`: one line for it too, as a history wants.
   */
  readonly successes?: "hidden" | "shown"
}

/** Makes a formatter for one run's events, given in order: each event's line, or `undefined` for none. */
export const eventLineFormatter = (
  options: EventLineOptions = {},
): ((event: RunEvent) => string | undefined) => {
  let startedAt: number | undefined
  const commandTags = new Map<string, string>()
  return (event) => {
    startedAt = event._tag === "RunStarted" ? event.at : (startedAt ?? event.at)
    const clock = `[+${formatDuration(event.at - startedAt)}] `
    switch (event._tag) {
      case "RunStarted": {
        const oldInstances = event.groups.reduce((sum, group) => sum + group.oldInstanceIds.length, 0)
        return `${clock}run ${event.runId} started on ${event.clusterName}: ${oldInstances} old instance(s) → ${event.targetImage.imageId} (${event.reason})`
      }
      case "LeaseAcquired":
        return `${clock}lock taken by ${event.holder}`
      case "CommandIssued":
        commandTags.set(event.command.id, event.command._tag)
        return `${clock}${event.command._tag}: ${event.command.reason}`
      case "CommandFailed":
        return `${clock}failed (${event.errorTag}): ${event.message}${event.retryable ? " — will retry" : ""}`
      case "Noted":
        return `${clock}${event.level}: ${event.message}`
      case "RollbackStarted":
        return `${clock}rolling back: ${event.reason}`
      case "RunSuspended":
        return `${clock}suspended: ${event.reason}`
      case "RunFinished":
        return `${clock}run finished ${event.outcome}: ${event.reason}`
      case "GateFailed":
        return `${clock}gate failed: ${describeGateFailure(event.gate)} — ${event.action === "rollback" ? "rolling back" : "halting (onGateFailure=halt)"}`
      case "CheckpointReached":
        return `${clock}checkpoint ${event.percent}% reached (${event.replaced} of ${event.of} old instances replaced): ${event.resumesAt === undefined ? "waiting for `ecs-ami-deploy continue`" : `paused until ${new Date(event.resumesAt).toISOString()}`}`
      case "CheckpointContinued":
        return `${clock}continued past checkpoint ${event.percent}% (${event.by})`
      case "CommandSucceeded":
        return options.successes === "shown"
          ? `${clock}done: ${commandTags.get(event.commandId) ?? event.commandId}`
          : undefined
    }
  }
}
