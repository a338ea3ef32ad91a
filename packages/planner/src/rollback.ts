/**
 * Rollback: restore what RunStarted recorded. Put back the launch spec, return drained old
 * instances to service, attach back what detach mode detached, remove what the run launched and
 * does not need, settle the group, then restore capacity and resume processes.
 */
import type { Command, Decision } from "@ecs-ami-deploy/domain"
import { isProvenNew, liveTasksOn } from "./cluster.ts"
import { commandIds } from "./command-ids.ts"
import {
  act,
  capacityMembers,
  type Context,
  detachedByRun,
  isDone,
  isGone,
  liveMembers,
  next,
} from "./decide-context.ts"
import { leftovers, restoreCapacity, resumeSuspended } from "./finish.ts"
import { rollbackSettlement, settleGroup, settling } from "./settle.ts"
import { commandRecord } from "./state.ts"
import { endGameIds, rollbackTrimIds, surplusDrained } from "./surplus.ts"

export const rollBack = (ctx: Context): Decision => {
  const commands: Array<Command> = []
  const waits: Array<Extract<Decision, { _tag: "Wait" }>> = []
  const notes: Array<string> = []
  for (const g of ctx.run.groups) {
    const group = ctx.index.groupByName.get(g.asgName)
    if (group === undefined) continue
    const issuedBefore = commands.length
    const specRecord = commandRecord(ctx.state, commandIds.launchSpec(g.asgName))
    const specId = commandIds.restoreSpec(g.asgName)
    if (specRecord !== undefined && !isDone(ctx, specId, group.launchSpecImageId === g.launchSpecImageId))
      commands.push(
        next(ctx, specId, () => ({
          _tag: "RestoreLaunchSpec",
          id: specId,
          reason: `put back the launch spec ${g.asgName} used before the run`,
          asgName: g.asgName,
          launchSpec: specRecord.launchSpecBefore ?? g.launchSpec,
        })),
      )
    // The end game's drained surplus is returned to service too.
    const draining = [...g.oldInstanceIds, ...surplusDrained(ctx, g.asgName, endGameIds)].flatMap((id) => {
      const container = ctx.index.containerByInstanceId.get(id)
      return !isGone(ctx, id) && container?.status === "DRAINING" ? [container.containerInstanceArn] : []
    })
    const activateId = commandIds.activate(g.asgName)
    if (draining.length > 0 && commandRecord(ctx.state, activateId)?.outcome !== "succeeded")
      commands.push({
        _tag: "ActivateInstances",
        id: activateId,
        reason: `return the drained old instances of ${g.asgName} to service`,
        clusterName: ctx.run.clusterName,
        containerInstanceArns: draining,
      })
    // Detach mode: the old instances this run detached and that still run go back into the group
    // before anything it launched is removed, so the group never runs short of them. Attaching raises
    // desired capacity by their number and is refused above max size: max size is raised first. The
    // removal below waits for the attach: it is sized from the desired capacity the attach sets.
    const attachId = commandIds.rollbackAttach(g.asgName)
    const attachRecord = commandRecord(ctx.state, attachId)
    if (attachRecord?.outcome !== "succeeded") {
      const inGroup = new Set(liveMembers(ctx, group))
      const toAttach = (
        attachRecord?.command._tag === "AttachInstances"
          ? attachRecord.command.instanceIds
          : [...detachedByRun(ctx, g.asgName)].sort()
      ).filter((id) => !isGone(ctx, id) && !inGroup.has(id))
      if (toAttach.length > 0) {
        const maxSizeId = commandIds.rollbackAttachMaxSize(g.asgName)
        const maxSize = group.desiredCapacity + toAttach.length
        if (!isDone(ctx, maxSizeId, group.maxSize >= maxSize))
          commands.push(
            next(ctx, maxSizeId, () => ({
              _tag: "SetCapacity",
              id: maxSizeId,
              reason: `raise the max size of ${g.asgName} so that its ${toAttach.length} detached old instance(s) can be attached back`,
              asgName: g.asgName,
              desiredCapacity: group.desiredCapacity,
              minSize: group.minSize,
              maxSize,
            })),
          )
        commands.push(
          next(ctx, attachId, () => ({
            _tag: "AttachInstances",
            id: attachId,
            reason: `attach the ${toAttach.length} old instance(s) this run detached back to ${g.asgName}`,
            asgName: g.asgName,
            instanceIds: toAttach,
          })),
        )
        continue
      }
    }
    // New instances this run launched: every unproven one (it failed), and proven ones that run nothing
    // as far as the group is above its start size; a new instance running tasks is never removed. An
    // instance EC2 does not describe yet was launched after the start (every member was described then).
    const removeId = commandIds.removeNew(g.asgName)
    const removeRecord = commandRecord(ctx.state, removeId)
    // Once a balancing round has launched (below), what is above the start size is its surplus to
    // drain and remove, not instances to terminate here.
    const balancing = commandRecord(ctx.state, commandIds.rollbackBalance(g.asgName, 1)) !== undefined
    if (!balancing && removeRecord?.outcome !== "succeeded") {
      const members = liveMembers(ctx, group)
      // Surplus that rollback itself drains is terminated by its own round, once drained.
      const trimming = new Set(surplusDrained(ctx, g.asgName, rollbackTrimIds))
      // Instances on another image than the target were launched from the restored launch spec: not
      // failed new capacity.
      const launchedByRun = members.filter((id) => {
        const instance = ctx.index.instanceById.get(id)
        return (
          !ctx.oldIds.has(id) &&
          !trimming.has(id) &&
          (instance === undefined || instance.imageId === ctx.run.targetImage.imageId) &&
          (instance?.launchTime ?? ctx.run.startedAt) >= ctx.run.startedAt
        )
      })
      const unproven = launchedByRun
        .filter((id) => !isProvenNew(ctx.index, group, id, ctx.run.targetImage.imageId))
        .sort()
      const idle = launchedByRun
        .filter((id) => !unproven.includes(id) && liveTasksOn(ctx.index, id).length === 0)
        .sort()
      const excess = Math.max(0, members.length - g.desiredCapacity)
      const removable = [...unproven, ...idle.slice(0, Math.max(0, excess - unproven.length))]
      const pending =
        removeRecord?.command._tag === "TerminateInstances"
          ? removeRecord.command.instanceIds.filter((id) => members.includes(id))
          : removable
      // Removing with decrement cannot take desired capacity below min size (Auto Scaling refuses):
      // lower min size first; rollback-capacity puts it back.
      const minSizeId = commandIds.rollbackMinSize(g.asgName)
      const floor = Math.max(0, group.desiredCapacity - pending.length)
      if (pending.length > 0 && !isDone(ctx, minSizeId, group.minSize <= floor))
        commands.push(
          next(ctx, minSizeId, () => ({
            _tag: "SetCapacity",
            id: minSizeId,
            reason: `lower the min size of ${g.asgName} so that ${pending.length} instance(s) can be removed with decrement`,
            asgName: g.asgName,
            desiredCapacity: group.desiredCapacity,
            minSize: floor,
            maxSize: group.maxSize,
          })),
        )
      if (pending.length > 0)
        commands.push(
          next(ctx, removeId, () => ({
            _tag: "TerminateInstances",
            id: removeId,
            reason: `remove ${removable.length} instance(s) this run launched in ${g.asgName} and that are not needed`,
            asgName: g.asgName,
            instanceIds: removable,
            decrementDesiredCapacity: true,
          })),
        )
    }
    // Once the steps above took effect (old instances back in service), new ones still above the start
    // size (running tasks) are drained onto them and removed by id, and unbalanced zones are evened
    // out, as in the end game; capacity and processes are restored after that.
    if (commands.length > issuedBefore) continue
    const rollbackAt = ctx.state.rollback?.at ?? ctx.now
    const settle = settling(ctx, group, rollbackAt + ctx.policy.timeouts.newCapacityMs, "rolling-back")
    if (settle?._tag === "Wait") {
      waits.push(settle)
      continue
    }
    const trim = settleGroup(ctx, g, group, rollbackSettlement(ctx, g))
    if (trim?._tag === "Finish") return trim
    if (trim?._tag === "Act") commands.push(...trim.commands)
    if (trim?._tag === "Wait") waits.push(trim)
    if (trim !== undefined) continue
    // Desired capacity never below the members that stay (surplus that fits nowhere is kept).
    const staying = capacityMembers(group).length
    commands.push(...restoreCapacity(ctx, commandIds.rollbackCapacity(g.asgName), g, group, staying))
    notes.push(...leftovers(ctx, group, g, staying, rollbackSettlement(ctx, g)))
    commands.push(...resumeSuspended(ctx, commandIds.rollbackResume(g.asgName), g, group))
  }
  if (commands.length > 0) return act("rolling-back", commands)
  const firstWait = [...waits].sort((a, b) => a.deadline - b.deadline)[0]
  if (firstWait !== undefined) return firstWait
  return {
    _tag: "Finish",
    outcome: "rolled-back",
    reason: [ctx.state.rollback?.reason ?? "rolled back", ...notes].join("; "),
  }
}
