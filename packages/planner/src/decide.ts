/**
 * The decider's `decide`: from the folded run state, a fresh snapshot, the policy and the time, the
 * one next step of a rollout. A run goes through: prepare every group (tag the old set, suspend
 * AZRebalance and, under ECS managed scaling, AlarmNotification; update the launch spec); then, group by group and wave by wave, add capacity, wait
 * until it is proven, drain a wave that fits, wait until it is drained, terminate it; then restore
 * capacity, resume processes, clean up launch specs and finish. Rollback restores what RunStarted
 * recorded. Every command id is derived from the group and wave (`drain:<asg>:w<k>`), so deciding
 * twice on the same inputs yields the same commands; a command whose outcome is unknown is re-emitted
 * (same id, same content) only when its effect is not visible in the snapshot, and a destructive
 * command that succeeded is never emitted again.
 */
import { HashMap } from "effect"
import {
  countsTowardCapacity,
  formatDuration,
  isInstanceGone,
  isLeavingGroup,
  isTerminating,
  RunTagKeys,
  type AsgInstance,
  type AutoScalingGroup,
  type ClusterSnapshot,
  type Command,
  type Decision,
  type GroupAtStart,
  type Phase,
  type ProvenCapacity,
  type RolloutPolicy,
  type Task,
} from "@ecs-ami-deploy/domain"
import {
  DEREGISTRATION_ALLOWANCE_MS,
  displacementAllowance,
  indexCluster,
  isProvenNew,
  isTaskLeaving,
  liveTasksOn,
  taskKind,
  type ClusterIndex,
} from "./cluster.ts"
import { expectedDesired, withAdoptedChanges } from "./capacity-drift.ts"
import { DECIDER_VERSION, decidesAsOf } from "./decider-version.ts"
import { describeShortfall, servicesBelowFloor, truthfulFinish } from "./fleet-audit.ts"
import { decideGates, gateRefusals, serviceHealthOf } from "./gates.ts"
import { drainLimitFor, groupsAtStart, planRollout, waveSizeFor } from "./plan.ts"
import { ALARM_NOTIFICATION, AZ_REBALANCE, processesToSuspend } from "./scaling-processes.ts"
import { commandRecord, type CommandRecord, type RunFacts, type RunState } from "./state.ts"
import { detachableMovingOnce, selectWaveMovingOnce } from "./single-task-moves.ts"
import { displaceableTogether, selectWave } from "./waves.ts"
import { balancedRemovalOrder, isBalanced, zoneCounts } from "./zones.ts"

type Running = Extract<RunState, { _tag: "Running" }>

/** A retryable command that has failed this many times is treated as a failure of the run. */
export const MAX_COMMAND_FAILURES = 3
/**
 * New-image task failure rule: the run fails when at least this many service tasks on instances running
 * the target image have stopped or turned UNHEALTHY since the run started, and they outnumber the
 * healthy service tasks on those instances.
 */
export const NEW_IMAGE_TASK_FAILURES = 3

/** Ids of the commands a run issues; stable for a group and wave. */
export const commandIds = {
  tag: (asg: string) => `tag-old:${asg}`,
  suspend: (asg: string) => `suspend:${asg}`,
  launchSpec: (asg: string) => `launch-spec:${asg}`,
  capacity: (asg: string, wave: number) => `capacity:${asg}:w${wave}`,
  detach: (asg: string, wave: number) => `detach:${asg}:w${wave}`,
  drain: (asg: string, wave: number) => `drain:${asg}:w${wave}`,
  stopTasks: (asg: string, wave: number) => `stop-tasks:${asg}:w${wave}`,
  stopStalled: (asg: string, wave: number) => `stop-stalled:${asg}:w${wave}`,
  terminate: (asg: string, wave: number) => `terminate:${asg}:w${wave}`,
  balance: (asg: string, round: number) => `balance-capacity:${asg}:r${round}`,
  trimDrain: (asg: string, round: number) => `trim-drain:${asg}:r${round}`,
  trimTerminate: (asg: string, round: number) => `trim-terminate:${asg}:r${round}`,
  restoreCapacity: (asg: string) => `restore-capacity:${asg}`,
  resume: (asg: string) => `resume:${asg}`,
  cleanup: (asg: string) => `cleanup:${asg}`,
  restoreSpec: (asg: string) => `rollback-launch-spec:${asg}`,
  activate: (asg: string) => `rollback-activate:${asg}`,
  rollbackAttachMaxSize: (asg: string) => `rollback-attach-max-size:${asg}`,
  rollbackAttach: (asg: string) => `rollback-attach:${asg}`,
  removeNew: (asg: string) => `rollback-terminate-new:${asg}`,
  rollbackMinSize: (asg: string) => `rollback-min-size:${asg}`,
  rollbackCapacity: (asg: string) => `rollback-capacity:${asg}`,
  rollbackResume: (asg: string) => `rollback-resume:${asg}`,
  rollbackTrimDrain: (asg: string, round: number) => `rollback-trim-drain:${asg}:r${round}`,
  rollbackTrimTerminate: (asg: string, round: number) => `rollback-trim-terminate:${asg}:r${round}`,
  rollbackBalance: (asg: string, round: number) => `rollback-balance-capacity:${asg}:r${round}`,
  adoptCapacity: (asg: string, n: number) => `adopt-capacity:${asg}:n${n}`,
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

/**
 * An old instance is gone once terminated, no longer described (old instances were all described at
 * start), or being terminated by its group (a terminate lifecycle hook, ECS managed draining's say,
 * may keep it running in Terminating:Wait for a while: it is on its way out all the same).
 */
const isGone = (ctx: Context, instanceId: string): boolean => {
  const instance = ctx.index.instanceById.get(instanceId)
  const lifecycle = ctx.index.memberLifecycle.get(instanceId)
  return (
    instance === undefined ||
    isInstanceGone(instance.state) ||
    (lifecycle !== undefined && isTerminating(lifecycle))
  )
}

/**
 * Group members that still count: not leaving the group, and not known to EC2 as terminated. A member
 * EC2 does not describe yet (just launched, eventual consistency) still counts.
 */
const liveMembers = (ctx: Context, group: AutoScalingGroup): ReadonlyArray<string> =>
  group.instances
    .filter((m) => {
      if (isLeavingGroup(m.lifecycleState)) return false
      const state = ctx.index.instanceById.get(m.instanceId)?.state
      return state === undefined || !isInstanceGone(state)
    })
    .map((m) => m.instanceId)

/**
 * Members Auto Scaling counts toward desired capacity and balances across zones (Pending or InService),
 * even one EC2 already reports terminated (until a health check replaces it, Auto Scaling still counts
 * it). Lowering desired capacity below their number lets Auto Scaling terminate instances of its
 * choosing, undrained.
 */
const capacityMembers = (group: AutoScalingGroup): ReadonlyArray<AsgInstance> =>
  group.instances.filter((m) => countsTowardCapacity(m.lifecycleState))

/** The group's instances per zone, counting what Auto Scaling counts. */
const groupZoneCounts = (group: AutoScalingGroup): ReadonlyMap<string, number> =>
  zoneCounts(group.availabilityZones, capacityMembers(group))

/**
 * `candidates` in the order that keeps the group's zones even as they leave it (see zones.ts): old
 * instances by zone alone (they all leave in the end), surplus by zone then by `cost`.
 */
const inZoneBalancedOrder = (
  ctx: Context,
  group: AutoScalingGroup,
  candidates: ReadonlyArray<string>,
  cost?: (instanceId: string) => number,
): ReadonlyArray<string> => {
  const zoneOf = new Map(group.instances.map((m) => [m.instanceId, m.availabilityZone]))
  return balancedRemovalOrder(
    groupZoneCounts(group),
    candidates.map((instanceId) => ({
      instanceId,
      availabilityZone:
        zoneOf.get(instanceId) ?? ctx.index.instanceById.get(instanceId)?.availabilityZone ?? "",
      cost: cost?.(instanceId) ?? 0,
    })),
    cost === undefined,
  )
}

const failRun = (ctx: Context, reason: string): Decision =>
  ctx.policy.rollbackOnFailure
    ? { _tag: "RollBack", reason }
    : {
        _tag: "Finish",
        outcome: "failed",
        reason: `${reason} (rollbackOnFailure is off: the cluster is left as it is)`,
      }

/** Said in a capacity command's reason when it raises the group's max size (restored at the end of the run). */
const maxSizeRaise = (maxSize: number, desired: number): string =>
  desired > maxSize ? `; raises max size from ${maxSize} to ${desired} until the run ends` : ""

const act = (phase: Phase, commands: ReadonlyArray<Command>): Decision => ({ _tag: "Act", phase, commands })

/**
 * Group members that count toward desired capacity and are not new capacity: the old set, and members
 * known to run another image. A member EC2 does not describe yet is new capacity still to be proven.
 */
const nonNewMembers = (ctx: Context, group: AutoScalingGroup): number =>
  liveMembers(ctx, group).filter((id) => {
    const imageId = ctx.index.instanceById.get(id)?.imageId
    return ctx.oldIds.has(id) || (imageId !== undefined && imageId !== ctx.run.targetImage.imageId)
  }).length

/**
 * What a wave's drain relies on (invariant 3): the group's proven new instances, and how many it needs —
 * the capacity the group is asked for now (this wave's, or a change the run adopted since) beyond its
 * old and other-image members. The executor checks them again just before issuing the drain.
 */
const provenCapacityOf = (
  ctx: Context,
  g: GroupAtStart,
  group: AutoScalingGroup,
  capacityRecord: CommandRecord | undefined,
): ProvenCapacity => {
  const desired =
    expectedDesired(ctx.state, g) ??
    (capacityRecord?.command._tag === "SetCapacity"
      ? capacityRecord.command.desiredCapacity
      : g.desiredCapacity)
  return {
    asgName: g.asgName,
    required: Math.max(0, desired - nonNewMembers(ctx, group)),
    instances: group.instances.flatMap((m) => {
      const container = ctx.index.containerByInstanceId.get(m.instanceId)
      return !ctx.oldIds.has(m.instanceId) &&
        container !== undefined &&
        isProvenNew(ctx.index, group, m.instanceId, ctx.run.targetImage.imageId)
        ? [{ instanceId: m.instanceId, containerInstanceArn: container.containerInstanceArn }]
        : []
    }),
  }
}

/** The drain's `provenCapacity` field: absent when the drain needs no new capacity. */
const relyingOn = (capacity: ProvenCapacity): { readonly provenCapacity?: ProvenCapacity } =>
  capacity.required === 0 ? {} : { provenCapacity: capacity }

/** Waits for new capacity to be proven, or fails the run once the wave's deadline for it has passed. */
const awaitProof = (
  ctx: Context,
  g: GroupAtStart,
  capacity: ProvenCapacity,
  capacityAt: number,
): Decision => {
  const deadline = capacityAt + ctx.policy.timeouts.newCapacityMs
  const proven = capacity.instances.length
  if (ctx.now >= deadline)
    return failRun(
      ctx,
      `new capacity of ${g.asgName} not proven in time: ${proven} of ${capacity.required} instance(s) InService and ACTIVE on ${ctx.run.targetImage.imageId}`,
    )
  return {
    _tag: "Wait",
    phase: "proving",
    reason: `${proven} of ${capacity.required} new instance(s) of ${g.asgName} proven`,
    deadline,
  }
}

/** Failures that end the run whatever the phase: a command that keeps failing, the run deadline, failing new tasks. */
const runFailure = (ctx: Context): string | undefined => {
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

/**
 * Once the run has issued any command beyond preparation, preparation is over: a preparation command
 * whose outcome was lost (its effect seen at the time) is never re-issued later, when the end game may
 * have undone its effect on purpose (ResumeProcesses after SuspendProcesses).
 */
const pastPreparation = (ctx: Context): boolean => {
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
  const finished = (wave: number): boolean => {
    if (commandRecord(ctx.state, commandIds.terminate(asgName, wave))?.outcome === "succeeded") return true
    const members =
      waveMembers(ctx, commandIds.detach(asgName, wave)) ?? waveMembers(ctx, commandIds.drain(asgName, wave))
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
 * When a drain that started at `drainAt` gives up: after the drain timeout while any task still serves;
 * once every task left is only deregistering from its load balancer, after the deregistration
 * allowance too (a long deregistration delay is a healthy drain, not a stuck one).
 */
const drainGivesUpAt = (ctx: Context, drainAt: number, blocking: ReadonlyArray<Task>): number =>
  drainAt +
  ctx.policy.timeouts.drainWaveMs +
  (blocking.every(isTaskLeaving) ? DEREGISTRATION_ALLOWANCE_MS : 0)

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

/** What keeps a drain waiting, serving tasks apart from deregistering ones. */
const drainStatus = (blocking: ReadonlyArray<Task>): string => {
  const leaving = blocking.filter(isTaskLeaving).length
  const serving = blocking.length - leaving
  return [
    ...(serving > 0 ? [`${serving} task(s) still running`] : []),
    ...(leaving > 0 ? [`${leaving} task(s) deregistering from their load balancers`] : []),
  ].join(", ")
}

/** Instances this run detached from a group (detach mode): out of the group, and already in a wave. */
const detachedByRun = (ctx: Context, asgName: string): ReadonlySet<string> => {
  const ids = new Set<string>()
  for (const [, record] of ctx.state.commands)
    if (record.command._tag === "DetachInstances" && record.command.asgName === asgName)
      for (const id of record.command.instanceIds) ids.add(id)
  return ids
}

/**
 * One wave of one group; once no old instance is left, the group's end game. Returns a decision, or
 * `undefined` when the group is done.
 */
const replaceGroup = (ctx: Context, g: GroupAtStart): Decision | undefined => {
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
  let members = waveMembers(ctx, capacityId) ?? waveMembers(ctx, drainId)
  if (members === undefined && remainingOld.length === 0 && remainingDetached.length === 0)
    return settleGroup(ctx, g, group, endGameSettlement(ctx, g))
  const detachedBefore = capacityRecord === undefined && (members !== undefined || remainingOld.length === 0)
  if (!detachedBefore && capacityRecord === undefined && members === undefined) {
    const size = waveSizeFor(g.desiredCapacity, ctx.policy, remainingOld.length)
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
          : waveSizeFor(g.desiredCapacity, ctx.policy, remainingOld.length)
    // A new wave takes an instance hosting a single task after the other old instances of its zone.
    const choice = (members === undefined && decidesAsOf(ctx.run, 2) ? selectWaveMovingOnce : selectWave)(
      ctx.index,
      candidates,
      ctx.oldIds,
      limit,
      ctx.policy.standaloneTasks,
      ctx.policy.unsafeServices,
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
        containerInstanceArns: members.flatMap((id) => {
          const container = ctx.index.containerByInstanceId.get(id)
          return container?.status === "ACTIVE" ? [container.containerInstanceArn] : []
        }),
        instanceIds: members,
        ...relyingOn(capacity),
      },
    ])
  }

  const drainRecord = commandRecord(ctx.state, drainId)
  if (drainRecord?.command._tag === "DrainInstances" && drainRecord.outcome !== "succeeded") {
    const visible = members.every((id) => ctx.index.containerByInstanceId.get(id)?.status !== "ACTIVE")
    if (!visible) {
      // Re-issued only onto new capacity proven now: what the first issue relied on may be gone since.
      const capacity = provenCapacityOf(ctx, g, group, capacityRecord)
      if (capacity.instances.length < capacity.required) return awaitProof(ctx, g, capacity, capacityAt)
      const { provenCapacity: _reliedOnBefore, ...command } = drainRecord.command
      return act("draining", [{ ...command, ...relyingOn(capacity) }])
    }
  }

  // Step 4: wait until drained; standalone tasks per policy.
  const alive = members.filter((id) => !isGone(ctx, id))
  const blocking = alive.flatMap((id) => blockingTasks(ctx, id))
  if (blocking.length > 0) {
    const drainAt = startedAt(ctx, drainId) ?? ctx.now
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
        reason: `wave ${wave} of ${g.asgName}: ${drainStatus(blocking)}`,
        deadline: givesUpAt,
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
      decrementDesiredCapacity: surge && !detachedBefore,
    })),
  ])
}

/**
 * Waits while Auto Scaling is still bringing a group to its desired capacity (replacing a lost
 * instance, say): desired capacity set from a count about to change races with it, and lowered just
 * after a replacement launched it terminates an instance of its choosing. Stops waiting at `until`
 * (launches that keep failing).
 */
const settling = (
  ctx: Context,
  group: AutoScalingGroup,
  until: number,
  phase: Phase,
): Decision | undefined => {
  const members = capacityMembers(group).length
  if (members === group.desiredCapacity || ctx.now >= until) return undefined
  return {
    _tag: "Wait",
    phase,
    reason: `Auto Scaling is bringing ${group.name} from ${members} to ${group.desiredCapacity} instance(s)`,
    deadline: until,
  }
}

/** What each process the run suspends would otherwise do (said in the command's reason). */
const suspensionPurpose = (process: string): string =>
  process === AZ_REBALANCE
    ? "AZRebalance from terminating instances undrained"
    : process === ALARM_NOTIFICATION
      ? "scaling policies (ECS managed scaling's included) from undoing its surge"
      : `${process} from acting`

/** The processes this run suspended on a group (it resumes them at the end; AZRebalance once the group is balanced). */
const suspendedByRun = (ctx: Context, asgName: string): ReadonlyArray<string> => {
  const command = commandRecord(ctx.state, commandIds.suspend(asgName))?.command
  return command?._tag === "SuspendProcesses" ? command.processes : []
}

/** Whether this run suspended AZRebalance on a group: then it balances the zones itself before resuming it. */
const rebalanceSuspendedByRun = (ctx: Context, asgName: string): boolean =>
  suspendedByRun(ctx, asgName).includes(AZ_REBALANCE)

/**
 * Resumes what the run suspended on a group: everything, except AZRebalance while the zones are
 * unbalanced (resuming it would terminate an instance undrained; `leftovers` says so).
 */
const resumeSuspended = (
  ctx: Context,
  id: string,
  g: GroupAtStart,
  group: AutoScalingGroup | undefined,
): ReadonlyArray<Command> => {
  const recorded = commandRecord(ctx.state, id)?.command
  const balanced = group !== undefined && isBalanced(groupZoneCounts(group))
  const processes =
    recorded?._tag === "ResumeProcesses"
      ? recorded.processes
      : suspendedByRun(ctx, g.asgName).filter((p) => p !== AZ_REBALANCE || balanced)
  if (processes.length === 0) return []
  if (
    isDone(
      ctx,
      id,
      processes.every((p) => !(group?.suspendedProcesses.includes(p) ?? true)),
    )
  )
    return []
  return [
    next(ctx, id, () => ({
      _tag: "ResumeProcesses",
      id,
      reason: `resume ${processes.join(" and ")} on ${g.asgName}, which this run suspended`,
      asgName: g.asgName,
      processes,
    })),
  ]
}

/** Balancing rounds an end game tries before it leaves the group as it is (and AZRebalance suspended). */
const maxBalanceRounds = (group: AutoScalingGroup): number => 2 * Math.max(1, group.availabilityZones.length)

/** The command ids of one kind of surplus removal (the end game's, or rollback's). */
interface SurplusIds {
  readonly drain: (asg: string, round: number) => string
  readonly terminate: (asg: string, round: number) => string
}
const endGameIds: SurplusIds = { drain: commandIds.trimDrain, terminate: commandIds.trimTerminate }
const rollbackTrimIds: SurplusIds = {
  drain: commandIds.rollbackTrimDrain,
  terminate: commandIds.rollbackTrimTerminate,
}

/** The surplus-removal round a group is at: one past the last round whose removal finished. */
const currentRound = (ctx: Context, asgName: string, ids: SurplusIds): number => {
  const finished = (round: number): boolean => {
    if (commandRecord(ctx.state, ids.terminate(asgName, round))?.outcome === "succeeded") return true
    const members = waveMembers(ctx, ids.drain(asgName, round))
    return members !== undefined && members.every((id) => isGone(ctx, id))
  }
  let round = 1
  while (finished(round)) round++
  return round
}

/**
 * How a group is brought back to its start size with balanced zones: by the end game of a run (new
 * capacity on the target image), or by its rollback (capacity on the image the group launched before).
 */
interface Settlement {
  readonly balanceId: (asg: string, round: number) => string
  readonly surplusIds: SurplusIds
  /** The image the group launches now: what a balancing launch must be proven on. */
  readonly imageId: string
  /** When the first round may be taken to start, absent a command of its own. */
  readonly since: number
  /** Until when to wait for members launched before the first round to be proven. */
  readonly provingDeadline: number
  readonly phase: (normal: Phase) => Phase
  readonly onProvingTimeout: (reason: string) => Decision
  readonly surplus: Omit<Parameters<typeof removeSurplus>[5], "roomDeadline">
}

/** The end game of a run: its old instances are all gone. */
const endGameSettlement = (ctx: Context, g: GroupAtStart): Settlement => ({
  balanceId: commandIds.balance,
  surplusIds: endGameIds,
  imageId: ctx.run.targetImage.imageId,
  since:
    startedAt(ctx, commandIds.terminate(g.asgName, currentWave(ctx, g.asgName) - 1)) ?? ctx.run.startedAt,
  provingDeadline: ctx.run.startedAt + ctx.policy.timeouts.runMs,
  phase: (normal) => normal,
  onProvingTimeout: (reason) => failRun(ctx, reason),
  surplus: {
    receivers: (intended) => new Set([...ctx.oldIds, ...intended]),
    removable: (m) =>
      !ctx.oldIds.has(m.instanceId) &&
      ctx.index.instanceById.get(m.instanceId)?.imageId === ctx.run.targetImage.imageId,
    onDrainTimeout: (reason) => failRun(ctx, reason),
  },
})

/**
 * The end of a rollback: what the run launched and is not needed is drained and removed, and a
 * group it left unbalanced gets an instance on its restored launch spec in its smallest zone.
 */
const rollbackSettlement = (ctx: Context, g: GroupAtStart): Settlement => {
  const rollbackAt = ctx.state.rollback?.at ?? ctx.now
  const rollbackFailed = (reason: string): Decision => ({
    _tag: "Finish",
    outcome: "failed",
    reason: `rollback could not finish: ${reason} (the run had failed: ${ctx.state.rollback?.reason ?? "rolled back"})`,
  })
  return {
    balanceId: commandIds.rollbackBalance,
    surplusIds: rollbackTrimIds,
    imageId: g.launchSpecImageId,
    since: rollbackAt,
    provingDeadline: rollbackAt + ctx.policy.timeouts.newCapacityMs,
    phase: () => "rolling-back",
    onProvingTimeout: rollbackFailed,
    surplus: {
      receivers: (intended) => new Set(intended),
      removable: (m) => !ctx.oldIds.has(m.instanceId),
      onDrainTimeout: (reason) => rollbackFailed(`${reason}; they are left DRAINING`),
    },
  }
}

/**
 * Brings a group back to its start size and leaves its zones balanced, removing only specific,
 * drained instances. Lowering desired capacity would let Auto Scaling terminate instances of its
 * choosing undrained, and resuming AZRebalance on an unbalanced group makes it launch one instance
 * and then terminate one, also undrained. Each round: if the group is at its start size but
 * unbalanced (and the run suspended AZRebalance), raise desired by one so Auto Scaling launches into
 * the smallest zone; once every member launched on the group's image is proven, drain the surplus
 * (largest zone first, fewest tasks first, only what fits elsewhere), then terminate it with
 * decrement. Surplus whose tasks fit nowhere is kept (never killed), and the next round still
 * launches into the smallest zone if the group is unbalanced; an imbalance that `maxBalanceRounds`
 * rounds did not fix is kept, and then AZRebalance stays suspended. `undefined` when done.
 */
const settleGroup = (
  ctx: Context,
  g: GroupAtStart,
  group: AutoScalingGroup,
  how: Settlement,
): Decision | undefined => {
  const round = currentRound(ctx, g.asgName, how.surplusIds)
  const balanceId = how.balanceId(g.asgName, round)
  const roundStart =
    startedAt(ctx, balanceId) ?? startedAt(ctx, how.surplusIds.terminate(g.asgName, round - 1)) ?? how.since
  const balanceRecord = commandRecord(ctx.state, balanceId)
  const balanceCommand = balanceRecord?.command._tag === "SetCapacity" ? balanceRecord.command : undefined
  /** Raises desired by one so that Auto Scaling launches into the smallest zone; `undefined` when balanced (or given up). */
  const launchToBalance = (): Decision | undefined => {
    const counts = groupZoneCounts(group)
    const mustBalance = rebalanceSuspendedByRun(ctx, g.asgName) && !isBalanced(counts)
    if (!mustBalance || round > maxBalanceRounds(group)) return undefined
    // A launch that did not land where intended (no capacity in that zone) would only repeat: stop.
    if (balanceLandedElsewhere(ctx, how.balanceId(g.asgName, round - 1), counts) !== undefined)
      return undefined
    const fewest = Math.min(...counts.values())
    const smallest = [...counts].filter(([, n]) => n === fewest).map(([zone]) => zone)
    // One above what Auto Scaling already counts or is about to launch, so exactly one more comes.
    const desired = Math.max(capacityMembers(group).length, group.desiredCapacity) + 1
    return act(how.phase("launching"), [
      {
        _tag: "SetCapacity",
        id: balanceId,
        reason: `the zones of ${g.asgName} differ by more than one instance: launch one into the smallest zone, then drain and remove one in the largest (AZRebalance would terminate one undrained)${maxSizeRaise(g.maxSize, desired)}`,
        asgName: g.asgName,
        desiredCapacity: desired,
        minSize: g.minSize,
        maxSize: Math.max(g.maxSize, desired),
        intoZones: { zones: smallest, membersBefore: fewest },
      },
    ])
  }
  if (waveMembers(ctx, how.surplusIds.drain(g.asgName, round)) === undefined) {
    const live = capacityMembers(group)
    if (balanceCommand === undefined) {
      const settle = settling(
        ctx,
        group,
        roundStart + ctx.policy.timeouts.newCapacityMs,
        how.phase("proving"),
      )
      if (settle !== undefined) return settle
      if (live.length <= g.desiredCapacity) return launchToBalance()
    } else if (
      balanceRecord?.outcome !== "succeeded" &&
      group.desiredCapacity !== balanceCommand.desiredCapacity
    )
      return act(how.phase("launching"), [balanceCommand])

    // New capacity proven before anything is drained onto it (invariant 3).
    const expected = balanceCommand?.desiredCapacity ?? live.length
    const unproven = live.filter((m) => {
      const imageId = ctx.index.instanceById.get(m.instanceId)?.imageId
      const state = ctx.index.instanceById.get(m.instanceId)?.state
      // A member EC2 reports terminated is Auto Scaling's to replace (its health check), not capacity to
      // wait for; one EC2 does not describe yet is just launched, and is waited for.
      return (
        !ctx.oldIds.has(m.instanceId) &&
        (state === undefined || !isInstanceGone(state)) &&
        (imageId === undefined || imageId === how.imageId) &&
        !isProvenNew(ctx.index, group, m.instanceId, how.imageId)
      )
    })
    if (live.length < expected || unproven.length > 0) {
      const since = startedAt(ctx, balanceId)
      const deadline = since === undefined ? how.provingDeadline : since + ctx.policy.timeouts.newCapacityMs
      if (ctx.now >= deadline)
        return how.onProvingTimeout(
          `the instance launched to balance the zones of ${g.asgName} was not proven in time`,
        )
      return {
        _tag: "Wait",
        phase: how.phase("proving"),
        reason: `${live.length - unproven.length} of ${expected} instance(s) of ${g.asgName} proven before its surplus is removed`,
        deadline,
      }
    }
  }
  const removal = removeSurplus(ctx, g, group, round, how.surplusIds, {
    ...how.surplus,
    roomDeadline: roundStart + ctx.policy.timeouts.drainWaveMs,
  })
  // Surplus whose tasks fit nowhere is kept; an unbalanced group still gets an empty instance in its
  // smallest zone, which makes room for the largest zone's surplus to drain onto.
  return removal === undefined && balanceCommand === undefined ? launchToBalance() : removal
}

/**
 * The zones a balancing launch (`balanceId`) was meant for, when none of them gained a member since:
 * Auto Scaling launched elsewhere (the zone had no capacity). `undefined` when it landed, or for
 * another command.
 */
const balanceLandedElsewhere = (
  ctx: Context,
  balanceId: string,
  counts: ReadonlyMap<string, number>,
): ReadonlyArray<string> | undefined => {
  const record = commandRecord(ctx.state, balanceId)
  const into = record?.command._tag === "SetCapacity" ? record.command.intoZones : undefined
  if (into === undefined || record?.outcome !== "succeeded") return undefined
  return into.zones.some((zone) => (counts.get(zone) ?? 0) > into.membersBefore) ? undefined : into.zones
}

/** Instances per zone differ by at most this many: the largest count minus the smallest. */
const zoneSpread = (counts: ReadonlyMap<string, number>): number => {
  const values = [...counts.values()]
  return values.length === 0 ? 0 : Math.max(...values) - Math.min(...values)
}

/**
 * Of `removals` (in removal order), those that can leave the group one after the other without the
 * zones ending further apart than they are now, or than one instance apart.
 */
const evenRemovals = (group: AutoScalingGroup, removals: ReadonlyArray<string>): ReadonlySet<string> => {
  const counts = new Map(groupZoneCounts(group))
  const limit = Math.max(1, zoneSpread(counts))
  const zoneOf = new Map(group.instances.map((m) => [m.instanceId, m.availabilityZone]))
  const even = new Set<string>()
  for (const id of removals) {
    const zone = zoneOf.get(id)
    if (zone === undefined) continue
    counts.set(zone, (counts.get(zone) ?? 0) - 1)
    if (zoneSpread(counts) <= limit) even.add(id)
    else counts.set(zone, (counts.get(zone) ?? 0) + 1)
  }
  return even
}

/**
 * One round of removing a group's surplus (members above its start desired capacity) by id: drain
 * the chosen instances (largest zone first, fewest tasks first, only those whose tasks fit on the
 * instances `receivers` leaves out), wait until drained, terminate them with decrement. `undefined`
 * when there is no surplus, or none of it fits anywhere (then it is kept).
 */
const removeSurplus = (
  ctx: Context,
  g: GroupAtStart,
  group: AutoScalingGroup,
  round: number,
  ids: SurplusIds,
  how: {
    /** Instances that cannot receive the drained tasks, given the ones intended for removal. */
    readonly receivers: (intended: ReadonlyArray<string>) => ReadonlySet<string>
    readonly removable: (member: AsgInstance) => boolean
    readonly onDrainTimeout: (reason: string) => Decision
    /** Until when to wait for room when the surplus fits nowhere yet (tasks still moving); then it is kept. */
    readonly roomDeadline: number
  },
): Decision | undefined => {
  const drainId = ids.drain(g.asgName, round)
  const members = waveMembers(ctx, drainId)
  if (members === undefined) {
    const live = capacityMembers(group)
    const surplus = live.length - g.desiredCapacity
    if (surplus <= 0) return undefined
    const removable = live
      .filter((m) => !m.protectedFromScaleIn && !isGone(ctx, m.instanceId) && how.removable(m))
      .map((m) => m.instanceId)
    const intended = inZoneBalancedOrder(
      ctx,
      group,
      removable,
      (id) => liveTasksOn(ctx.index, id).length,
    ).slice(0, surplus)
    // Instances running standalone tasks are never chosen: nothing would ever drain them.
    const select = (candidates: ReadonlyArray<string>) =>
      selectWave(ctx.index, candidates, how.receivers(candidates), surplus, "skip-instance")
    const first = select(intended)
    // A removal never leaves the zones further apart than they are (nor than one apart): an instance
    // that would (the cheap one of a small zone, taken because a large zone's could not move) stays,
    // and may receive the tasks of the others instead.
    const unbalancing = new Set(
      first.instanceIds.filter((id) => !evenRemovals(group, first.instanceIds).has(id)),
    )
    const second = unbalancing.size === 0 ? first : select(intended.filter((id) => !unbalancing.has(id)))
    const even = evenRemovals(group, second.instanceIds)
    const choice =
      even.size === second.instanceIds.length
        ? second
        : select(second.instanceIds.filter((id) => even.has(id)))
    if (choice.instanceIds.length === 0)
      return ctx.now < how.roomDeadline
        ? {
            _tag: "Wait",
            phase: ctx.state.rollback === undefined ? "draining" : "rolling-back",
            reason: `${surplus} surplus instance(s) of ${g.asgName} wait for room: ${choice.held.map((h) => `${h.instanceId}: ${h.reason}`).join("; ")}`,
            deadline: how.roomDeadline,
          }
        : undefined
    const services =
      choice.displaced.map((d) => `${d.serviceName}×${d.tasks}`).join(", ") || "no service tasks"
    return act(ctx.state.rollback === undefined ? "draining" : "rolling-back", [
      {
        _tag: "DrainInstances",
        id: drainId,
        reason: `drain ${choice.instanceIds.length} surplus instance(s) of ${g.asgName} (largest zone, fewest tasks first; moves ${services}) to remove them by id: lowering desired capacity would let Auto Scaling terminate instances undrained`,
        clusterName: ctx.run.clusterName,
        wave: 0,
        containerInstanceArns: choice.instanceIds.flatMap((id) => {
          const container = ctx.index.containerByInstanceId.get(id)
          return container?.status === "ACTIVE" ? [container.containerInstanceArn] : []
        }),
        instanceIds: choice.instanceIds,
      },
    ])
  }

  const phase = (normal: Phase): Phase => (ctx.state.rollback === undefined ? normal : "rolling-back")
  const drainRecord = commandRecord(ctx.state, drainId)
  if (drainRecord !== undefined && drainRecord.outcome !== "succeeded") {
    const visible = members.every((id) => ctx.index.containerByInstanceId.get(id)?.status !== "ACTIVE")
    if (!visible) return act(phase("draining"), [drainRecord.command])
  }
  const alive = members.filter((id) => !isGone(ctx, id))
  const blocking = alive.flatMap((id) => blockingTasks(ctx, id))
  if (blocking.length > 0) {
    const deadline = drainGivesUpAt(ctx, startedAt(ctx, drainId) ?? ctx.now, blocking)
    if (ctx.now >= deadline)
      return how.onDrainTimeout(
        `the surplus instance(s) of ${g.asgName} did not drain within ${formatDuration(ctx.policy.timeouts.drainWaveMs)} (--drain-timeout) (${drainStatus(blocking)})`,
      )
    return {
      _tag: "Wait",
      phase: phase("draining"),
      reason: `surplus of ${g.asgName}: ${drainStatus(blocking)}`,
      deadline,
    }
  }
  const terminateId = ids.terminate(g.asgName, round)
  return act(phase("terminating"), [
    next(ctx, terminateId, () => ({
      _tag: "TerminateInstances",
      id: terminateId,
      reason: `the surplus instance(s) of ${g.asgName} are drained: remove them, decrementing desired capacity`,
      asgName: g.asgName,
      instanceIds: alive,
      decrementDesiredCapacity: true,
    })),
  ])
}

/**
 * The capacity to put a group back to: its start capacity, except that desired capacity never goes
 * below the members Auto Scaling counts (`live`), nor max size below desired.
 */
const capacityToRestore = (g: GroupAtStart, live: number) => {
  const desiredCapacity = Math.max(g.desiredCapacity, live)
  return { desiredCapacity, minSize: g.minSize, maxSize: Math.max(g.maxSize, desiredCapacity) }
}

/** The SetCapacity that puts a group back to its start capacity (never below `live`), unless already there. */
const restoreCapacity = (
  ctx: Context,
  capacityId: string,
  g: GroupAtStart,
  group: AutoScalingGroup | undefined,
  live: number,
): ReadonlyArray<Command> => {
  const capacity = capacityToRestore(g, live)
  const restored =
    group !== undefined &&
    group.desiredCapacity === capacity.desiredCapacity &&
    group.minSize === capacity.minSize &&
    group.maxSize === capacity.maxSize
  return isDone(ctx, capacityId, restored)
    ? []
    : [
        next(ctx, capacityId, () => ({
          _tag: "SetCapacity",
          id: capacityId,
          reason:
            ctx.state.run.groups.find((start) => start.asgName === g.asgName)?.desiredCapacity ===
            g.desiredCapacity
              ? `put ${g.asgName} back to the capacity it had when the run started`
              : `put ${g.asgName} back to desired ${capacity.desiredCapacity}: the capacity another actor set during the run`,
          asgName: g.asgName,
          ...capacity,
        })),
      ]
}

/**
 * What a finished run leaves different from the start, and why (appended to the Finish reason).
 * `how` is the settlement that balanced the group's zones (the end game's or the rollback's).
 */
const leftovers = (
  ctx: Context,
  group: AutoScalingGroup | undefined,
  g: GroupAtStart,
  live: number,
  how: Pick<Settlement, "balanceId" | "surplusIds">,
) => {
  if (group === undefined) return []
  const notes: Array<string> = []
  if (live > g.desiredCapacity)
    notes.push(
      `${g.asgName} keeps ${live - g.desiredCapacity} instance(s) above its start capacity: their tasks had no room elsewhere`,
    )
  const counts = groupZoneCounts(group)
  if (rebalanceSuspendedByRun(ctx, g.asgName) && !isBalanced(counts)) {
    const lastRound = currentRound(ctx, g.asgName, how.surplusIds)
    const missed = [lastRound, lastRound - 1].flatMap(
      (round) => balanceLandedElsewhere(ctx, how.balanceId(g.asgName, round), counts) ?? [],
    )
    const perZone = [...counts].map(([zone, n]) => `${zone} ${n}`).join(", ")
    notes.push(
      `WARNING, act on it: AZRebalance stays suspended on ${g.asgName}, whose zones are unbalanced (${perZone})` +
        (missed.length > 0
          ? `: Auto Scaling could not launch into ${[...new Set(missed)].join(" or ")}, so the run stopped balancing after that launch`
          : "") +
        `; resuming it would terminate an instance undrained. Once the zones are balanced (or you accept that), resume it: aws autoscaling resume-processes --auto-scaling-group-name ${g.asgName} --scaling-processes AZRebalance`,
    )
  }
  return notes
}

const finalize = (ctx: Context): Decision => {
  const commands: Array<Command> = []
  const notes: Array<string> = []
  for (const g of ctx.run.groups) {
    const group = ctx.index.groupByName.get(g.asgName)
    const live = group === undefined ? 0 : capacityMembers(group).length
    commands.push(...restoreCapacity(ctx, commandIds.restoreCapacity(g.asgName), g, group, live))
    const groupNotes = leftovers(ctx, group, g, live, endGameSettlement(ctx, g))
    notes.push(...groupNotes)
    // Old instances still in the group at the end are the ones standaloneTasks=skip-instance left.
    const skipped = g.oldInstanceIds.filter(
      (id) =>
        !isGone(ctx, id) &&
        group?.instances.some((m) => m.instanceId === id && !isLeavingGroup(m.lifecycleState)) === true,
    )
    if (skipped.length > 0)
      notes.push(
        `${g.asgName} leaves ${skipped.join(", ")} on its current image: standalone tasks run there (policy standaloneTasks=skip-instance)`,
      )
    commands.push(...resumeSuspended(ctx, commandIds.resume(g.asgName), g, group))
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
  // Success is said once every service is back at its floor (tasks the last drain moved start on new
  // capacity); one still below it after the new-capacity timeout makes the run incomplete (fleet-audit.ts).
  const belowFloor = servicesBelowFloor(ctx.index, ctx.run.servicesBelowFloorAtStart).map(describeShortfall)
  const lastOutcome = Math.max(
    ctx.run.startedAt,
    ...[...HashMap.values(ctx.state.commands)].map((r) => r.outcomeAt),
  )
  const recoveredBy = lastOutcome + ctx.policy.timeouts.newCapacityMs
  if (belowFloor.length > 0 && ctx.now < recoveredBy)
    return {
      _tag: "Wait",
      phase: "restoring",
      reason: `waiting for service(s) ${belowFloor.join(", ")} to get back to their healthy floor`,
      deadline: recoveredBy,
    }
  return {
    _tag: "Finish",
    outcome: "succeeded",
    reason: [
      `the old instances of ${ctx.run.groups.map((g) => g.asgName).join(", ")} are replaced by instances on ${ctx.run.targetImage.imageId}`,
      ...notes,
    ].join("; "),
  }
}

/** Instances a kind of surplus removal drained in a group, over all its rounds. */
const surplusDrained = (ctx: Context, asgName: string, ids: SurplusIds): ReadonlyArray<string> => {
  const drained: Array<string> = []
  for (let round = 1; ; round++) {
    const members = waveMembers(ctx, ids.drain(asgName, round))
    if (members === undefined) return drained
    drained.push(...members)
  }
}

const rollBack = (ctx: Context): Decision => {
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

/** Rollback's own commands: every id it issues starts with `rollback-` (see `commandIds`). */
const isRollbackCommand = (id: string): boolean => id.startsWith("rollback-")

/** The next step of an open run; a Finish is checked against the fleet the snapshot shows (`truthfulFinish`). */
const decideRunning = (state: Running, snapshot: ClusterSnapshot, now: number): Decision => {
  const index = indexCluster(snapshot)
  const decision = decideOpenRun(state, index, now)
  return decision._tag === "Finish" ? truthfulFinish(state.run, index, decision) : decision
}

/**
 * Adopts a desired capacity another actor set mid-run (see capacity-drift.ts) instead of overwriting
 * it: the observed value becomes the group's start capacity for the rest of the run.
 */
const adoptCapacityChanges = (ctx: Context): ReadonlyArray<Command> =>
  ctx.run.groups.flatMap((g) => {
    const group = ctx.index.groupByName.get(g.asgName)
    const expected = expectedDesired(ctx.state, g)
    if (group === undefined || expected === undefined || group.desiredCapacity === expected) return []
    let adopted = 0
    for (const record of HashMap.values(ctx.state.commands))
      if (
        record.command._tag === "SetCapacity" &&
        record.command.asgName === g.asgName &&
        record.command.adoptsChangeBy !== undefined
      )
        adopted++
    return [
      {
        _tag: "SetCapacity",
        id: commandIds.adoptCapacity(g.asgName, adopted + 1),
        reason: `another actor set the desired capacity of ${g.asgName} to ${group.desiredCapacity} (this run had set ${expected}): the run keeps ${group.desiredCapacity} as the group's capacity, restores it at the end, and adds its own new instances on top`,
        asgName: g.asgName,
        desiredCapacity: group.desiredCapacity,
        minSize: group.minSize,
        maxSize: group.maxSize,
        adoptsChangeBy: group.desiredCapacity - g.desiredCapacity,
      },
    ]
  })

const decideOpenRun = (state: Running, index: ClusterIndex, now: number): Decision => {
  const ctx: Context = {
    state,
    run: withAdoptedChanges(state),
    policy: state.run.policy,
    index,
    now,
    oldIds: new Set(state.run.groups.flatMap((g) => g.oldInstanceIds)),
  }
  if (state.rollback !== undefined) {
    // Only rollback's own commands can fail the rollback; the failure that started it is its reason.
    for (const [id, record] of state.commands)
      if (
        isRollbackCommand(id) &&
        record.outcome === "failed" &&
        record.lastFailure !== undefined &&
        (!record.lastFailure.retryable || record.failures >= MAX_COMMAND_FAILURES)
      )
        return {
          _tag: "Finish",
          outcome: "failed",
          reason: `rollback command ${id} failed: ${record.lastFailure.errorTag}: ${record.lastFailure.message} (the rollback followed: ${state.rollback.reason})`,
        }
    return rollBack(ctx)
  }
  const failure = runFailure(ctx)
  if (failure !== undefined) return failRun(ctx, failure)
  const gated = decideGates(state, index, now)
  if (gated !== undefined) return gated
  const preparing = pastPreparation(ctx) ? [] : prepare(ctx)
  if (preparing.length > 0) return act("preparing", preparing)
  const adopting = adoptCapacityChanges(ctx)
  if (adopting.length > 0) return act("launching", adopting)
  for (const g of ctx.run.groups) {
    const decision = replaceGroup(ctx, g)
    if (decision !== undefined) return decision
  }
  return finalize(ctx)
}

/**
 * A scale-out under way in a group, with members EC2 does not describe yet (eventual consistency):
 * they are launched from the old launch spec, but the run cannot see their image to put them in its
 * old set. A run waits for them before it starts, so it replaces them too (Pending members EC2
 * describes are in the old set already).
 */
const scaleOutUnderWay = (index: ClusterIndex): string | undefined => {
  for (const group of index.snapshot.groups) {
    const members = capacityMembers(group)
    const unseen = members.filter((m) => !index.instanceById.has(m.instanceId)).length
    if (unseen > 0)
      return `Auto Scaling is launching instances of ${group.name} that EC2 does not describe yet (${unseen}): the run starts once it does, so it replaces them too`
  }
  return undefined
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
  const refusals = gateRefusals(snapshot, policy)
  if (refusals.length > 0) return { _tag: "Refuse", problems: refusals }
  const index = indexCluster(snapshot)
  const launching = scaleOutUnderWay(index)
  if (launching !== undefined)
    return { _tag: "Wait", phase: "preparing", reason: launching, deadline: now + policy.pollIntervalMs }
  const groups = groupsAtStart(snapshot, plan)
  return {
    _tag: "Start",
    targetImage: snapshot.targetImage,
    groups,
    reason: `${plan.outdatedInstances.length} instance(s) in ${groups.length} group(s) to move to ${snapshot.targetImage.imageId}`,
    servicesBelowFloorAtStart: servicesBelowFloor(index, []).map((s) => s.serviceName),
    serviceHealthAtStart: serviceHealthOf(snapshot),
    deciderVersion: DECIDER_VERSION,
  }
}
