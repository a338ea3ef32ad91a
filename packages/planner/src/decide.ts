/**
 * The decider's `decide`: from the folded run state, a fresh snapshot, the policy and the time, the
 * one next step of a rollout. A run goes through: prepare every group (tag the old set, suspend
 * AZRebalance, update the launch spec); then, group by group and wave by wave, add capacity, wait
 * until it is proven, drain a wave that fits, wait until it is drained, terminate it; then restore
 * capacity, resume processes, clean up launch specs and finish. Rollback restores what RunStarted
 * recorded. Every command id is derived from the group and wave (`drain:<asg>:w<k>`), so deciding
 * twice on the same inputs yields the same commands; a command whose outcome is unknown is re-emitted
 * (same id, same content) only when its effect is not visible in the snapshot, and a destructive
 * command that succeeded is never emitted again.
 */
import {
  RunTagKeys,
  type AutoScalingGroup,
  type ClusterSnapshot,
  type Command,
  type Decision,
  type GroupAtStart,
  type Phase,
  type RolloutPolicy,
} from "@ecs-ami-deploy/domain"
import { indexCluster, isProvenNew, liveTasksOn, taskKind, type ClusterIndex } from "./cluster.ts"
import { groupsAtStart, planRollout, waveSizeFor } from "./plan.ts"
import { commandRecord, type RunFacts, type RunState } from "./state.ts"
import { selectWave } from "./waves.ts"

type Running = Extract<RunState, { _tag: "Running" }>

/** A retryable command that has failed this many times is treated as a failure of the run. */
export const MAX_COMMAND_FAILURES = 3
/**
 * New-image task failure rule: the run fails when at least this many service tasks on instances running
 * the target image have stopped or turned UNHEALTHY since the run started, and they outnumber the
 * healthy service tasks on those instances.
 */
export const NEW_IMAGE_TASK_FAILURES = 3

const AZ_REBALANCE = "AZRebalance"

/** Ids of the commands a run issues; stable for a group and wave. */
export const commandIds = {
  tag: (asg: string) => `tag-old:${asg}`,
  suspend: (asg: string) => `suspend:${asg}`,
  launchSpec: (asg: string) => `launch-spec:${asg}`,
  capacity: (asg: string, wave: number) => `capacity:${asg}:w${wave}`,
  detach: (asg: string, wave: number) => `detach:${asg}:w${wave}`,
  drain: (asg: string, wave: number) => `drain:${asg}:w${wave}`,
  stopTasks: (asg: string, wave: number) => `stop-tasks:${asg}:w${wave}`,
  terminate: (asg: string, wave: number) => `terminate:${asg}:w${wave}`,
  restoreCapacity: (asg: string) => `restore-capacity:${asg}`,
  resume: (asg: string) => `resume:${asg}`,
  cleanup: (asg: string) => `cleanup:${asg}`,
  restoreSpec: (asg: string) => `rollback-launch-spec:${asg}`,
  activate: (asg: string) => `rollback-activate:${asg}`,
  removeNew: (asg: string) => `rollback-terminate-new:${asg}`,
  rollbackCapacity: (asg: string) => `rollback-capacity:${asg}`,
  rollbackResume: (asg: string) => `rollback-resume:${asg}`,
} as const

interface Context {
  readonly state: Running
  readonly run: RunFacts
  readonly policy: RolloutPolicy
  readonly index: ClusterIndex
  readonly now: number
  readonly oldIds: ReadonlySet<string>
}

/** Done when the log records success, or when the snapshot already shows the effect (outcome unknown). */
const isDone = (ctx: Context, id: string, visible: boolean): boolean =>
  commandRecord(ctx.state, id)?.outcome === "succeeded" || visible

/** A command not yet done: the recorded one when it was issued before (same id, same content), else a fresh one. */
const next = (ctx: Context, id: string, fresh: () => Command): Command =>
  commandRecord(ctx.state, id)?.command ?? fresh()

/** When a command's effect started: its recorded success, else its latest intent. */
const startedAt = (ctx: Context, id: string): number | undefined => {
  const record = commandRecord(ctx.state, id)
  return record === undefined
    ? undefined
    : record.outcome === "succeeded"
      ? record.outcomeAt
      : record.issuedAt
}

/** An old instance is gone once terminated or no longer described (old instances were all described at start). */
const isGone = (ctx: Context, instanceId: string): boolean => {
  const instance = ctx.index.instanceById.get(instanceId)
  return instance === undefined || instance.state === "shutting-down" || instance.state === "terminated"
}

/**
 * Group members that still count: not leaving the group, and not known to EC2 as terminated. A member
 * EC2 does not describe yet (just launched, eventual consistency) still counts.
 */
const liveMembers = (ctx: Context, group: AutoScalingGroup): ReadonlyArray<string> =>
  group.instances
    .filter((m) => {
      if (gone.has(m.lifecycleState)) return false
      const state = ctx.index.instanceById.get(m.instanceId)?.state
      return state !== "shutting-down" && state !== "terminated"
    })
    .map((m) => m.instanceId)

const failRun = (ctx: Context, reason: string): Decision =>
  ctx.policy.rollbackOnFailure
    ? { _tag: "RollBack", reason }
    : {
        _tag: "Finish",
        outcome: "failed",
        reason: `${reason} (rollbackOnFailure is off: the cluster is left as it is)`,
      }

const act = (phase: Phase, commands: ReadonlyArray<Command>): Decision => ({ _tag: "Act", phase, commands })

const gone: ReadonlySet<string> = new Set([
  "Terminating",
  "Terminating:Wait",
  "Terminating:Proceed",
  "Terminated",
  "Detaching",
  "Detached",
])

/**
 * Group members that count toward desired capacity and are not new capacity: the old set, and members
 * known to run another image. A member EC2 does not describe yet is new capacity still to be proven.
 */
const nonNewMembers = (ctx: Context, group: AutoScalingGroup): number =>
  liveMembers(ctx, group).filter((id) => {
    const imageId = ctx.index.instanceById.get(id)?.imageId
    return ctx.oldIds.has(id) || (imageId !== undefined && imageId !== ctx.run.targetImage.imageId)
  }).length

const provenNewMembers = (ctx: Context, group: AutoScalingGroup): number =>
  group.instances.filter(
    (m) =>
      !ctx.oldIds.has(m.instanceId) &&
      isProvenNew(ctx.index, group, m.instanceId, ctx.run.targetImage.imageId),
  ).length

/** Failures that end the run whatever the phase: a command that keeps failing, the run deadline, failing new tasks. */
const runFailure = (ctx: Context): string | undefined => {
  for (const [id, record] of ctx.state.commands)
    if (record.outcome === "failed" && record.lastFailure !== undefined)
      if (!record.lastFailure.retryable || record.failures >= MAX_COMMAND_FAILURES)
        return `command ${id} failed${record.lastFailure.retryable ? ` ${record.failures} times` : ""}: ${record.lastFailure.errorTag}: ${record.lastFailure.message}`
  if (ctx.now >= ctx.run.startedAt + ctx.policy.timeouts.runMs)
    return `the run timeout (${ctx.policy.timeouts.runMs} ms) has passed`
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

const prepare = (ctx: Context): ReadonlyArray<Command> => {
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
    if (
      ctx.policy.suspendAzRebalance &&
      !g.suspendedProcesses.includes(AZ_REBALANCE) &&
      !isDone(ctx, suspendId, group?.suspendedProcesses.includes(AZ_REBALANCE) ?? false)
    )
      commands.push(
        next(ctx, suspendId, () => ({
          _tag: "SuspendProcesses",
          id: suspendId,
          reason: `keep AZRebalance from terminating instances of ${g.asgName} while its capacity changes`,
          asgName: g.asgName,
          processes: [AZ_REBALANCE],
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

const waveMembers = (ctx: Context, id: string): ReadonlyArray<string> | undefined => {
  const command = commandRecord(ctx.state, id)?.command
  return command !== undefined && (command._tag === "DrainInstances" || command._tag === "DetachInstances")
    ? command.instanceIds
    : undefined
}

const runsStandaloneTasks = (ctx: Context, instanceId: string): boolean =>
  liveTasksOn(ctx.index, instanceId).some((t) => taskKind(ctx.index, t) === "standalone")

/**
 * The wave a group is at: one past the last finished wave. A wave is finished when its terminate
 * succeeded, or when every instance it took is gone (a terminate whose outcome is unknown, or
 * instances that disappeared by other hands).
 */
const currentWave = (ctx: Context, asgName: string): number => {
  const surge = ctx.policy.capacityMode === "surge"
  const finished = (wave: number): boolean => {
    if (commandRecord(ctx.state, commandIds.terminate(asgName, wave))?.outcome === "succeeded") return true
    const members = waveMembers(
      ctx,
      surge ? commandIds.drain(asgName, wave) : commandIds.detach(asgName, wave),
    )
    return members !== undefined && members.every((id) => isGone(ctx, id))
  }
  let wave = 1
  while (finished(wave)) wave++
  return wave
}

/** Live tasks that keep an instance from counting as drained (daemon tasks are stopped by ECS last, after the rest). */
const blockingTasks = (ctx: Context, instanceId: string) =>
  liveTasksOn(ctx.index, instanceId).filter((t) => taskKind(ctx.index, t) !== "daemon")

/**
 * One wave of one group. Returns a decision, or `undefined` when the group has no old instance left.
 */
const replaceGroup = (ctx: Context, g: GroupAtStart): Decision | undefined => {
  const group = ctx.index.groupByName.get(g.asgName)
  if (group === undefined) return failRun(ctx, `Auto Scaling group ${g.asgName} no longer exists`)
  const surge = ctx.policy.capacityMode === "surge"
  const wave = currentWave(ctx, g.asgName)
  const inGroup = new Set(group.instances.filter((m) => !gone.has(m.lifecycleState)).map((m) => m.instanceId))
  // Old instances still to replace; with standaloneTasks=skip-instance, those running standalone tasks stay.
  const remainingOld = g.oldInstanceIds.filter(
    (id) =>
      !isGone(ctx, id) &&
      inGroup.has(id) &&
      !(ctx.policy.standaloneTasks === "skip-instance" && runsStandaloneTasks(ctx, id)),
  )
  const drainId = commandIds.drain(g.asgName, wave)
  const capacityId = surge ? commandIds.capacity(g.asgName, wave) : commandIds.detach(g.asgName, wave)

  // Step 1: add capacity (surge: raise desired; detach: detach old instances so the group replaces them).
  let members = waveMembers(ctx, surge ? drainId : capacityId)
  if (remainingOld.length === 0 && members === undefined) return undefined
  if (commandRecord(ctx.state, capacityId) === undefined && members === undefined) {
    const size = waveSizeFor(g.desiredCapacity, ctx.policy, remainingOld.length)
    if (surge) {
      const desired = g.desiredCapacity + size
      return act("launching", [
        {
          _tag: "SetCapacity",
          id: capacityId,
          reason: `add ${size} instance(s) on ${ctx.run.targetImage.imageId} to ${g.asgName} before draining wave ${wave}`,
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
    return act("launching", [
      {
        _tag: "DetachInstances",
        id: capacityId,
        reason: `detach wave ${wave} of ${g.asgName} so the group launches ${Math.min(size, detachable.length)} replacement(s)`,
        asgName: g.asgName,
        instanceIds: detachable.slice(0, size),
        decrementDesiredCapacity: false,
      },
    ])
  }
  const capacityRecord = commandRecord(ctx.state, capacityId)
  if (capacityRecord !== undefined && capacityRecord.outcome !== "succeeded") {
    const command = capacityRecord.command
    const visible =
      command._tag === "SetCapacity"
        ? group.desiredCapacity === command.desiredCapacity && group.maxSize === command.maxSize
        : command._tag === "DetachInstances" && command.instanceIds.every((id) => !inGroup.has(id))
    if (!visible) return act("launching", [command])
  }

  // Step 2: new capacity proven (invariant 3): InService, target image, registered ACTIVE with a connected agent.
  if (members === undefined || commandRecord(ctx.state, drainId) === undefined) {
    const desired =
      capacityRecord?.command._tag === "SetCapacity"
        ? capacityRecord.command.desiredCapacity
        : g.desiredCapacity
    const needed = desired - nonNewMembers(ctx, group)
    const proven = provenNewMembers(ctx, group)
    const capacityAt = startedAt(ctx, capacityId) ?? ctx.now
    if (proven < needed) {
      const deadline = capacityAt + ctx.policy.timeouts.newCapacityMs
      if (ctx.now >= deadline)
        return failRun(
          ctx,
          `new capacity of ${g.asgName} not proven in time: ${proven} of ${needed} instance(s) InService and ACTIVE on ${ctx.run.targetImage.imageId}`,
        )
      return {
        _tag: "Wait",
        phase: "proving",
        reason: `${proven} of ${needed} new instance(s) of ${g.asgName} proven`,
        deadline,
      }
    }

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
    const candidates =
      members?.filter((id) => !isGone(ctx, id)) ??
      remainingOld.filter((id) => ctx.index.containerByInstanceId.get(id)?.status !== "DRAINING")
    const limit =
      members === undefined
        ? waveSizeFor(g.desiredCapacity, ctx.policy, remainingOld.length)
        : candidates.length
    const choice = selectWave(ctx.index, candidates, ctx.oldIds, limit, ctx.policy.standaloneTasks)
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
        containerInstanceArns: members.flatMap((id) => {
          const container = ctx.index.containerByInstanceId.get(id)
          return container?.status === "ACTIVE" ? [container.containerInstanceArn] : []
        }),
        instanceIds: members,
      },
    ])
  }

  const drainRecord = commandRecord(ctx.state, drainId)
  if (drainRecord !== undefined && drainRecord.outcome !== "succeeded") {
    const visible = members.every((id) => ctx.index.containerByInstanceId.get(id)?.status !== "ACTIVE")
    if (!visible) return act("draining", [drainRecord.command])
  }

  // Step 4: wait until drained; standalone tasks per policy.
  const alive = members.filter((id) => !isGone(ctx, id))
  const blocking = alive.flatMap((id) => blockingTasks(ctx, id))
  if (blocking.length > 0) {
    const drainAt = startedAt(ctx, drainId) ?? ctx.now
    const deadline = drainAt + ctx.policy.timeouts.drainWaveMs
    const onlyStandalone = blocking.every((t) => taskKind(ctx.index, t) === "standalone")
    if (ctx.now < deadline)
      return {
        _tag: "Wait",
        phase: "draining",
        reason: `wave ${wave} of ${g.asgName}: ${blocking.length} task(s) still running`,
        deadline,
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
      `wave ${wave} of ${g.asgName} did not drain within ${ctx.policy.timeouts.drainWaveMs} ms (${blocking.length} task(s) still running)`,
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
      decrementDesiredCapacity: surge,
    })),
  ])
}

const finalize = (ctx: Context): Decision => {
  const commands: Array<Command> = []
  for (const g of ctx.run.groups) {
    const group = ctx.index.groupByName.get(g.asgName)
    const capacityId = commandIds.restoreCapacity(g.asgName)
    const restored =
      group !== undefined &&
      group.desiredCapacity === g.desiredCapacity &&
      group.minSize === g.minSize &&
      group.maxSize === g.maxSize
    if (!isDone(ctx, capacityId, restored))
      commands.push(
        next(ctx, capacityId, () => ({
          _tag: "SetCapacity",
          id: capacityId,
          reason: `put ${g.asgName} back to the capacity it had when the run started`,
          asgName: g.asgName,
          desiredCapacity: g.desiredCapacity,
          minSize: g.minSize,
          maxSize: g.maxSize,
        })),
      )
    const resumeId = commandIds.resume(g.asgName)
    const suspendedByRun = commandRecord(ctx.state, commandIds.suspend(g.asgName)) !== undefined
    if (
      suspendedByRun &&
      !isDone(ctx, resumeId, !(group?.suspendedProcesses.includes(AZ_REBALANCE) ?? false))
    )
      commands.push(
        next(ctx, resumeId, () => ({
          _tag: "ResumeProcesses",
          id: resumeId,
          reason: `resume AZRebalance on ${g.asgName}, which this run suspended`,
          asgName: g.asgName,
          processes: [AZ_REBALANCE],
        })),
      )
    const cleanupId = commandIds.cleanup(g.asgName)
    if (
      commandRecord(ctx.state, commandIds.launchSpec(g.asgName))?.outcome === "succeeded" &&
      !isDone(ctx, cleanupId, false)
    )
      commands.push(
        next(ctx, cleanupId, () => ({
          _tag: "CleanupLaunchSpecs",
          id: cleanupId,
          reason: `keep the newest ${ctx.policy.keepLaunchSpecs} launch spec version(s) of ${g.asgName}`,
          asgName: g.asgName,
          keep: ctx.policy.keepLaunchSpecs,
        })),
      )
  }
  if (commands.length > 0)
    return act(commands.some((c) => c._tag === "CleanupLaunchSpecs") ? "cleaning-up" : "restoring", commands)
  return {
    _tag: "Finish",
    outcome: "succeeded",
    reason: `the old instances of ${ctx.run.groups.map((g) => g.asgName).join(", ")} are replaced by instances on ${ctx.run.targetImage.imageId}`,
  }
}

const rollBack = (ctx: Context): Decision => {
  const commands: Array<Command> = []
  for (const g of ctx.run.groups) {
    const group = ctx.index.groupByName.get(g.asgName)
    if (group === undefined) continue
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
    const draining = g.oldInstanceIds.flatMap((id) => {
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
    // New instances this run launched: every unproven one (it failed), and proven ones that run nothing
    // as far as the group is above its start size; a new instance running tasks is never removed. An
    // instance EC2 does not describe yet was launched after the start (every member was described then).
    const removeId = commandIds.removeNew(g.asgName)
    const removeRecord = commandRecord(ctx.state, removeId)
    if (removeRecord === undefined || removeRecord.outcome !== "succeeded") {
      const members = liveMembers(ctx, group)
      const launchedByRun = members.filter(
        (id) =>
          !ctx.oldIds.has(id) &&
          (ctx.index.instanceById.get(id)?.launchTime ?? ctx.run.startedAt) >= ctx.run.startedAt,
      )
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
    const capacityId = commandIds.rollbackCapacity(g.asgName)
    const restored =
      group.desiredCapacity === g.desiredCapacity &&
      group.minSize === g.minSize &&
      group.maxSize === g.maxSize
    if (!isDone(ctx, capacityId, restored))
      commands.push(
        next(ctx, capacityId, () => ({
          _tag: "SetCapacity",
          id: capacityId,
          reason: `put ${g.asgName} back to the capacity it had when the run started`,
          asgName: g.asgName,
          desiredCapacity: g.desiredCapacity,
          minSize: g.minSize,
          maxSize: g.maxSize,
        })),
      )
    const resumeId = commandIds.rollbackResume(g.asgName)
    if (
      commandRecord(ctx.state, commandIds.suspend(g.asgName)) !== undefined &&
      !isDone(ctx, resumeId, !group.suspendedProcesses.includes(AZ_REBALANCE))
    )
      commands.push(
        next(ctx, resumeId, () => ({
          _tag: "ResumeProcesses",
          id: resumeId,
          reason: `resume AZRebalance on ${g.asgName}, which this run suspended`,
          asgName: g.asgName,
          processes: [AZ_REBALANCE],
        })),
      )
  }
  if (commands.length > 0) return act("rolling-back", commands)
  return { _tag: "Finish", outcome: "rolled-back", reason: ctx.state.rollback?.reason ?? "rolled back" }
}

const decideRunning = (state: Running, snapshot: ClusterSnapshot, now: number): Decision => {
  const ctx: Context = {
    state,
    run: state.run,
    policy: state.run.policy,
    index: indexCluster(snapshot),
    now,
    oldIds: new Set(state.run.groups.flatMap((g) => g.oldInstanceIds)),
  }
  if (state.rollback !== undefined) {
    for (const [id, record] of state.commands)
      if (
        record.outcome === "failed" &&
        record.lastFailure !== undefined &&
        record.issuedAt >= state.rollback.at
      )
        if (!record.lastFailure.retryable || record.failures >= MAX_COMMAND_FAILURES)
          return {
            _tag: "Finish",
            outcome: "failed",
            reason: `rollback command ${id} failed: ${record.lastFailure.message}`,
          }
    return rollBack(ctx)
  }
  const failure = runFailure(ctx)
  if (failure !== undefined) return failRun(ctx, failure)
  const preparing = prepare(ctx)
  if (preparing.length > 0) return act("preparing", preparing)
  for (const g of state.run.groups) {
    const decision = replaceGroup(ctx, g)
    if (decision !== undefined) return decision
  }
  return finalize(ctx)
}

/**
 * The next step of a rollout. Pure: the same state, snapshot, policy and time always give the same
 * decision. `policy` applies when no run is open; an open run keeps the policy it started with.
 */
export const decide = (
  state: RunState,
  snapshot: ClusterSnapshot,
  policy: RolloutPolicy,
  now: number,
): Decision => {
  if (state._tag === "Running") return decideRunning(state, snapshot, now)
  const plan = planRollout(snapshot, policy, now)
  if (plan.verdict === "refused") return { _tag: "Refuse", problems: plan.problems }
  if (plan.verdict === "nothing-to-do")
    return {
      _tag: "NothingToDo",
      reason: `every instance and launch spec of ${snapshot.clusterName} already uses ${snapshot.targetImage.imageId}`,
    }
  const groups = groupsAtStart(snapshot, plan)
  return {
    _tag: "Start",
    targetImage: snapshot.targetImage,
    groups,
    reason: `${plan.outdatedInstances.length} instance(s) in ${groups.length} group(s) to move to ${snapshot.targetImage.imageId}`,
  }
}
