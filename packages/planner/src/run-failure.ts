/**
 * Failures that end a run whatever its phase: a command that keeps failing, the run deadline, and
 * service tasks failing on the new image.
 */
import { formatDuration } from "@ecs-ami-deploy/domain"
import type { Context } from "./decide-context.ts"

/** A retryable command that has failed this many times is treated as a failure of the run. */
export const MAX_COMMAND_FAILURES = 3
/**
 * New-image task failure rule: the run fails when at least this many service tasks on instances running
 * the target image have stopped or turned UNHEALTHY since the run started, and they outnumber the
 * healthy service tasks on those instances.
 */
export const NEW_IMAGE_TASK_FAILURES = 3

/** Failures that end the run whatever the phase: a command that keeps failing, the run deadline, failing new tasks. */
export const runFailure = (ctx: Context): string | undefined => {
  for (const [id, record] of ctx.state.commands)
    if (record.outcome === "failed" && record.lastFailure !== undefined)
      if (!record.lastFailure.retryable || record.failures >= MAX_COMMAND_FAILURES)
        return `command ${id} (${record.command._tag}) failed before rollback${record.lastFailure.retryable ? ` ${record.failures} times` : ""}: ${record.lastFailure.errorTag}: ${record.lastFailure.message}`
  if (ctx.now >= ctx.run.startedAt + ctx.policy.timeouts.runMs)
    return `the run timeout (${formatDuration(ctx.policy.timeouts.runMs)}, --run-timeout) has passed`
  let failed = 0
  let healthy = 0
  for (const instance of ctx.index.snapshot.instances) {
    if (ctx.oldIds.has(instance.instanceId) || instance.imageId !== ctx.run.targetImage.imageId) continue
    const container = ctx.index.containerByInstanceId.get(instance.instanceId)
    if (container === undefined) continue
    for (const task of ctx.index.tasksByContainerArn.get(container.containerInstanceArn) ?? []) {
      if (task.serviceName === undefined) continue
      const stopped = task.lastStatus === "STOPPED" && (task.startedAt ?? 0) >= ctx.run.startedAt
      if (stopped || (task.lastStatus === "RUNNING" && task.healthStatus === "UNHEALTHY")) failed++
      else if (task.lastStatus === "RUNNING") healthy++
    }
  }
  if (failed >= NEW_IMAGE_TASK_FAILURES && failed > healthy)
    return `${failed} service tasks on new-image instances stopped or are unhealthy (${healthy} healthy): the new image looks broken`
  return undefined
}
