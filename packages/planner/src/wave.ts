/**
 * One wave of one group: add capacity (surge: raise desired; detach: detach old instances so the
 * group replaces them), wait until it is proven and baked, drain a wave that fits, wait until it is
 * drained (stopping tasks as the policy allows; extending the drain to instances it kept out,
 * wave-extension.ts), terminate it. Once no old instance is left, the
 * group's end game (settle.ts).
 */
import {
  type Decision,
  formatDuration,
  type GroupAtStart,
  isLeavingGroup,
  type Task,
} from "@ecs-ami-deploy/domain"
import { awaitProof, provenCapacityOf, relyingOn } from "./capacity-proof.ts"
import { displacementAllowance, isTaskLeaving, taskKind } from "./cluster.ts"
import { commandIds } from "./command-ids.ts"
import {
  act,
  activeContainerArns,
  blockingTasks,
  capacityMembers,
  type Context,
  currentWave,
  detachedByRun,
  drainGivesUpAt,
  drainStatus,
  failRun,
  inZoneBalancedOrder,
  isGone,
  maxSizeRaise,
  next,
  runsStandaloneTasks,
  startedAt,
  progressOf,
  takenBy,
} from "./decide-context.ts"
import { decidesAsOf } from "./decider-version.ts"
import { drainLimitFor } from "./plan.ts"
import { endGameSettlement, settleGroup } from "./settle.ts"
import { detachableMovingOnce, selectWaveMovingOnce } from "./single-task-moves.ts"
import { commandRecord } from "./state.ts"
import { extendWave } from "./wave-extension.ts"
import { newWaveSize } from "./wave-size.ts"
import { displaceableTogether, selectWave } from "./waves.ts"

/** A task of a service whose deployment configuration lets ECS neither stop nor start one: draining never moves it. */
const neverDrains = (ctx: Context, task: Task): boolean => {
  const service = task.serviceName === undefined ? undefined : ctx.index.serviceByName.get(task.serviceName)
  return (
    service !== undefined &&
    taskKind(ctx.index, task) === "replica" &&
    !isTaskLeaving(task) &&
    displacementAllowance(service) === 0
  )
}

/**
 * One wave of one group; once no old instance is left, the group's end game. Returns a decision, or
 * `undefined` when the group is done.
 */
export const replaceGroup = (ctx: Context, g: GroupAtStart): Decision | undefined => {
  const group = ctx.index.groupByName.get(g.asgName)
  if (group === undefined) return failRun(ctx, `Auto Scaling group ${g.asgName} no longer exists`)
  const surge = ctx.policy.capacityMode === "surge"
  const wave = currentWave(ctx, g.asgName)
  const inGroup = new Set(
    group.instances.filter((m) => !isLeavingGroup(m.lifecycleState)).map((m) => m.instanceId),
  )
  // Old instances still to replace; with standaloneTasks=skip-instance, those running standalone tasks stay.
  const remainingOld = g.oldInstanceIds.filter(
    (id) =>
      !isGone(ctx, id) &&
      inGroup.has(id) &&
      !(ctx.policy.standaloneTasks === "skip-instance" && runsStandaloneTasks(ctx, id)),
  )
  // Old instances that had left the group before the run (the Go tool detached them with replacement):
  // their replacements are already members, so their waves add no capacity; they go after the others.
  const ownDetached = detachedByRun(ctx, g.asgName)
  const remainingDetached = g.oldInstanceIds.filter(
    (id) => !isGone(ctx, id) && !inGroup.has(id) && !ownDetached.has(id),
  )
  const drainId = commandIds.drain(g.asgName, wave)
  const capacityId = surge ? commandIds.capacity(g.asgName, wave) : commandIds.detach(g.asgName, wave)
  const capacityRecord = commandRecord(ctx.state, capacityId)

  // Step 1: add capacity (surge: raise desired; detach: detach old instances so the group replaces them).
  let members = takenBy(progressOf(ctx, g.asgName).waves.get(wave))
  if (members === undefined && remainingOld.length === 0 && remainingDetached.length === 0)
    return settleGroup(ctx, g, group, endGameSettlement(ctx, g))
  const detachedBefore = capacityRecord === undefined && (members !== undefined || remainingOld.length === 0)
  if (!detachedBefore && capacityRecord === undefined && members === undefined) {
    const size = newWaveSize(ctx, g, remainingOld.length)
    if (surge) {
      // Never below the members Auto Scaling counts: lowering desired capacity lets it terminate undrained.
      const desired = Math.max(g.desiredCapacity + size, capacityMembers(group).length)
      return act("launching", [
        {
          _tag: "SetCapacity",
          id: capacityId,
          reason: `add ${size} instance(s) on ${ctx.run.targetImage.imageId} to ${g.asgName} before draining wave ${wave}${maxSizeRaise(g.maxSize, desired)}`,
          asgName: g.asgName,
          desiredCapacity: desired,
          minSize: g.minSize,
          maxSize: Math.max(g.maxSize, desired),
        },
      ])
    }
    const detachable = remainingOld.filter(
      (id) => group.instances.find((m) => m.instanceId === id)?.lifecycleState === "InService",
    )
    if (detachable.length === 0)
      return {
        _tag: "Wait",
        phase: "launching",
        reason: `old instances of ${g.asgName} are not InService yet`,
        deadline: ctx.now + ctx.policy.pollIntervalMs,
      }
    // A detached wave drains together: it takes no more tasks of a service than ECS moves at once.
    const detaching = (decidesAsOf(ctx.run, 2) ? detachableMovingOnce : displaceableTogether)(
      ctx.index,
      inZoneBalancedOrder(ctx, group, detachable),
      size,
    )
    return act("launching", [
      {
        _tag: "DetachInstances",
        id: capacityId,
        reason: `detach wave ${wave} of ${g.asgName} so the group launches ${detaching.length} replacement(s)`,
        asgName: g.asgName,
        instanceIds: detaching,
        decrementDesiredCapacity: false,
      },
    ])
  }
  if (capacityRecord !== undefined && capacityRecord.outcome !== "succeeded") {
    const command = capacityRecord.command
    const visible =
      command._tag === "SetCapacity"
        ? group.desiredCapacity === command.desiredCapacity && group.maxSize === command.maxSize
        : command._tag === "DetachInstances" && command.instanceIds.every((id) => !inGroup.has(id))
    if (!visible) return act("launching", [command])
  }

  // Step 2: new capacity proven (invariant 3): InService, target image, registered ACTIVE with a connected agent.
  // A wave of instances detached before the run added no capacity: its clock starts when the previous wave ended.
  const capacityAt =
    startedAt(ctx, capacityId) ??
    startedAt(ctx, commandIds.terminate(g.asgName, wave - 1)) ??
    ctx.run.startedAt
  if (members === undefined || commandRecord(ctx.state, drainId) === undefined) {
    const capacity = provenCapacityOf(ctx, g, group, capacityRecord)
    if (capacity.instances.length < capacity.required) return awaitProof(ctx, g, capacity, capacityAt)

    // Bake time: new capacity must have been there this long before the first task moves onto it.
    const bakedAt = capacityAt + ctx.policy.bakeTimeMs
    if (ctx.now < bakedAt)
      return {
        _tag: "Wait",
        phase: "proving",
        reason: `new capacity of ${g.asgName} is proven; baking until ${bakedAt}`,
        deadline: bakedAt,
      }

    // Step 3: choose the wave that fits (invariant 2) and drain it.
    // Each next instance from the zone with the most instances, so the group stays balanced as it shrinks.
    const candidates =
      members?.filter((id) => !isGone(ctx, id)) ??
      (detachedBefore
        ? remainingDetached
        : inZoneBalancedOrder(
            ctx,
            group,
            remainingOld.filter((id) => ctx.index.containerByInstanceId.get(id)?.status !== "DRAINING"),
          ))
    const limit =
      members !== undefined
        ? candidates.length
        : detachedBefore
          ? drainLimitFor(g.desiredCapacity, ctx.policy)
          : newWaveSize(ctx, g, remainingOld.length)
    // A new wave takes an instance hosting a single task after the other old instances of its zone.
    // A new surge wave keeps one task of each service with no floor running (decider 3, wave-extension.ts).
    const choice = (members === undefined && decidesAsOf(ctx.run, 2) ? selectWaveMovingOnce : selectWave)(
      ctx.index,
      candidates,
      ctx.oldIds,
      limit,
      ctx.policy.standaloneTasks,
      ctx.policy.unsafeServices,
      { keepOneRunning: members === undefined && surge && decidesAsOf(ctx.run, 3) },
    )
    // A detached wave drains together or not at all: its instances are already out of the group.
    const ready =
      members === undefined ? choice.instanceIds.length > 0 : choice.instanceIds.length === candidates.length
    if (!ready) {
      const deadline = capacityAt + ctx.policy.timeouts.newCapacityMs + ctx.policy.timeouts.drainWaveMs
      const why = choice.held.map((h) => `${h.instanceId}: ${h.reason}`).join("; ")
      if (ctx.now >= deadline) return failRun(ctx, `wave ${wave} of ${g.asgName} cannot drain: ${why}`)
      return {
        _tag: "Wait",
        phase: "draining",
        reason: `wave ${wave} of ${g.asgName} waits for room: ${why}`,
        deadline,
      }
    }
    members = choice.instanceIds
    const services =
      choice.displaced.map((d) => `${d.serviceName}×${d.tasks}`).join(", ") || "no service tasks"
    return act("draining", [
      {
        _tag: "DrainInstances",
        id: drainId,
        reason: `drain wave ${wave} of ${g.asgName} together (moves ${services}; all fit on new capacity)`,
        clusterName: ctx.run.clusterName,
        wave,
        containerInstanceArns: activeContainerArns(ctx, members),
        instanceIds: members,
        ...relyingOn(capacity),
      },
    ])
  }

  // A drain (or its extension) whose outcome is unknown or failed is issued again until ECS shows it.
  const extendId = commandIds.extendDrain(g.asgName, wave)
  for (const record of [commandRecord(ctx.state, drainId), commandRecord(ctx.state, extendId)]) {
    if (record?.command._tag !== "DrainInstances" || record.outcome === "succeeded") continue
    const visible = record.command.instanceIds.every(
      (id) => ctx.index.containerByInstanceId.get(id)?.status !== "ACTIVE",
    )
    if (visible) continue
    // Re-issued only onto new capacity proven now: what the first issue relied on may be gone since.
    const capacity = provenCapacityOf(ctx, g, group, capacityRecord)
    if (capacity.instances.length < capacity.required) return awaitProof(ctx, g, capacity, capacityAt)
    const { provenCapacity: _reliedOnBefore, ...command } = record.command
    return act("draining", [{ ...command, ...relyingOn(capacity) }])
  }

  // Step 4: wait until drained; standalone tasks per policy.
  const alive = members.filter((id) => !isGone(ctx, id))
  const blocking = alive.flatMap((id) => blockingTasks(ctx, id))
  if (blocking.length > 0) {
    // Step 3b: extend the drain to the instances the wave kept out, once what they kept runs elsewhere.
    const extension =
      surge && !detachedBefore && decidesAsOf(ctx.run, 3) && commandRecord(ctx.state, extendId) === undefined
        ? extendWave(ctx, g, group, wave, members, remainingOld, capacityRecord)
        : undefined
    if (extension?._tag === "Extend") return act("draining", [extension.command])
    const drainAt = startedAt(ctx, extendId) ?? startedAt(ctx, drainId) ?? ctx.now
    const deadline = drainAt + ctx.policy.timeouts.drainWaveMs
    const onlyStandalone = blocking.every((t) => taskKind(ctx.index, t) === "standalone")
    // Tasks of a service that can neither stop nor start one never leave by draining: the planner knows
    // the wave would stall, and `proceed` accepted the outage, so they are stopped at once.
    const stalled = ctx.policy.unsafeServices === "proceed" ? blocking.filter((t) => neverDrains(ctx, t)) : []
    const stopStalledId = commandIds.stopStalled(g.asgName, wave)
    if (stalled.length > 0 && commandRecord(ctx.state, stopStalledId)?.outcome !== "succeeded") {
      const services = [...new Set(stalled.map((t) => t.serviceName))].sort().join(", ")
      return act("draining", [
        next(ctx, stopStalledId, () => ({
          _tag: "StopTasks",
          id: stopStalledId,
          reason: `service(s) ${services} can neither stop nor start a task, so wave ${wave} of ${g.asgName} would never drain: stop their task(s) there so ECS starts them on new capacity (a brief outage, which policy unsafeServices=proceed accepted)`,
          clusterName: ctx.run.clusterName,
          taskArns: stalled.map((t) => t.taskArn).sort(),
        })),
      ])
    }
    const givesUpAt = drainGivesUpAt(ctx, drainAt, blocking)
    if (ctx.now < givesUpAt)
      return {
        _tag: "Wait",
        phase: "draining",
        reason:
          `wave ${wave} of ${g.asgName}: ${drainStatus(blocking)}` +
          (extension === undefined ? "" : `; its drain extends once ${extension.reason}`),
        // Looked at again soon while an extension waits for tasks to move: that takes seconds.
        deadline:
          extension === undefined ? givesUpAt : Math.min(givesUpAt, ctx.now + ctx.policy.pollIntervalMs),
      }
    if (ctx.policy.standaloneTasks === "stop-after-timeout" && onlyStandalone) {
      const stopId = commandIds.stopTasks(g.asgName, wave)
      if (commandRecord(ctx.state, stopId)?.outcome !== "succeeded")
        return act("draining", [
          next(ctx, stopId, () => ({
            _tag: "StopTasks",
            id: stopId,
            reason: `standalone tasks still run on wave ${wave} of ${g.asgName} after the drain timeout (policy stop-after-timeout)`,
            clusterName: ctx.run.clusterName,
            taskArns: blocking.map((t) => t.taskArn).sort(),
          })),
        ])
      const stopDeadline = deadline + ctx.policy.timeouts.drainWaveMs
      if (ctx.now < stopDeadline)
        return {
          _tag: "Wait",
          phase: "draining",
          reason: `wave ${wave} of ${g.asgName}: stopped standalone tasks are shutting down`,
          deadline: stopDeadline,
        }
    }
    return failRun(
      ctx,
      `wave ${wave} of ${g.asgName} did not drain within ${formatDuration(ctx.policy.timeouts.drainWaveMs)} (--drain-timeout) (${drainStatus(blocking)})`,
    )
  }

  // Step 5: terminate the drained wave (invariant 1: old set, drained or never registered).
  const terminateId = commandIds.terminate(g.asgName, wave)
  return act("terminating", [
    next(ctx, terminateId, () => ({
      _tag: "TerminateInstances",
      id: terminateId,
      reason: `wave ${wave} of ${g.asgName} is drained`,
      asgName: g.asgName,
      instanceIds: alive,
      // Instances detached before the run are no longer members: EC2 terminates them, nothing to decrement.
      // Never decrement below the capacity the run ends at (decider 3): after another actor raised it
      // mid-run, Auto Scaling replaces the wave instead, on the new launch spec.
      decrementDesiredCapacity:
        surge &&
        !detachedBefore &&
        (!decidesAsOf(ctx.run, 3) || group.desiredCapacity - alive.length >= g.desiredCapacity),
    })),
  ])
}
