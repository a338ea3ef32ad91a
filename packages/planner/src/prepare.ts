/**
 * Preparation of every group before its first wave: tag the old set, suspend the scaling processes
 * that would undo or disturb the run (AZRebalance; AlarmNotification under ECS managed scaling), and
 * point the launch spec at the target image.
 */
import { HashMap } from "effect"
import { type Command, RunTagKeys } from "@ecs-ami-deploy/domain"
import { commandIds } from "./command-ids.ts"
import { type Context, isDone, isGone, next } from "./decide-context.ts"
import { ALARM_NOTIFICATION, AZ_REBALANCE, processesToSuspend } from "./scaling-processes.ts"
import { commandRecord } from "./state.ts"

/**
 * Once the run has issued any command beyond preparation, preparation is over: a preparation command
 * whose outcome was lost (its effect seen at the time) is never re-issued later, when the end game may
 * have undone its effect on purpose (ResumeProcesses after SuspendProcesses).
 */
export const pastPreparation = (ctx: Context): boolean => {
  const preparationIds = new Set(
    ctx.run.groups.flatMap((g) => [
      commandIds.tag(g.asgName),
      commandIds.suspend(g.asgName),
      commandIds.launchSpec(g.asgName),
    ]),
  )
  for (const id of HashMap.keys(ctx.state.commands)) if (!preparationIds.has(id)) return true
  return false
}

export const prepare = (ctx: Context): ReadonlyArray<Command> => {
  const commands: Array<Command> = []
  const target = ctx.run.targetImage.imageId
  for (const g of ctx.run.groups) {
    const group = ctx.index.groupByName.get(g.asgName)
    const aliveOld = g.oldInstanceIds.filter((id) => !isGone(ctx, id))
    const tagId = commandIds.tag(g.asgName)
    const tagged = aliveOld.every(
      (id) => ctx.index.instanceById.get(id)?.tags[RunTagKeys.runId] === ctx.run.runId,
    )
    if (g.oldInstanceIds.length > 0 && !isDone(ctx, tagId, tagged))
      commands.push(
        next(ctx, tagId, () => ({
          _tag: "TagInstances",
          id: tagId,
          reason: `mark the ${g.oldInstanceIds.length} instance(s) this run replaces in ${g.asgName}`,
          instanceIds: g.oldInstanceIds,
          tags: {
            [RunTagKeys.runId]: ctx.run.runId,
            [RunTagKeys.role]: "old",
            [RunTagKeys.legacyAsg]: g.asgName,
          },
        })),
      )
    const suspendId = commandIds.suspend(g.asgName)
    const recorded = commandRecord(ctx.state, suspendId)?.command
    const toSuspend =
      recorded?._tag === "SuspendProcesses"
        ? recorded.processes
        : group === undefined
          ? []
          : processesToSuspend(group, ctx.policy).filter((p) => !g.suspendedProcesses.includes(p))
    if (
      toSuspend.length > 0 &&
      !isDone(
        ctx,
        suspendId,
        toSuspend.every((p) => group?.suspendedProcesses.includes(p) ?? false),
      )
    )
      commands.push(
        next(ctx, suspendId, () => ({
          _tag: "SuspendProcesses",
          id: suspendId,
          reason: `keep ${toSuspend.map(suspensionPurpose).join(" and ")} while the run changes the capacity of ${g.asgName}`,
          asgName: g.asgName,
          processes: toSuspend,
        })),
      )
    const specId = commandIds.launchSpec(g.asgName)
    if (g.launchSpecImageId !== target && !isDone(ctx, specId, group?.launchSpecImageId === target))
      commands.push(
        next(ctx, specId, () => ({
          _tag: "UpdateLaunchSpec",
          id: specId,
          reason: `launch new instances of ${g.asgName} from ${target} instead of ${g.launchSpecImageId}`,
          asgName: g.asgName,
          imageId: target,
        })),
      )
  }
  return commands
}

/** What each process the run suspends would otherwise do (said in the command's reason). */
const suspensionPurpose = (process: string): string =>
  process === AZ_REBALANCE
    ? "AZRebalance from terminating instances undrained"
    : process === ALARM_NOTIFICATION
      ? "scaling policies (ECS managed scaling's included) from undoing its surge"
      : `${process} from acting`
