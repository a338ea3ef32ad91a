/**
 * What every phase of `decide` works from (the folded run, its facts and policy, the indexed
 * snapshot, the time, the old set) and the small facts it asks of them: whether a command is done,
 * when it started, whether an instance is gone, which members count, which wave a group is at, and
 * the shapes of the decisions it returns.
 */
import {
  type AsgInstance,
  type AutoScalingGroup,
  type Command,
  countsTowardCapacity,
  type Decision,
  isInstanceGone,
  isLeavingGroup,
  isTerminating,
  type Phase,
  type RolloutPolicy,
  type Task,
} from "@ecs-ami-deploy/domain"
import {
  type ClusterIndex,
  DEREGISTRATION_ALLOWANCE_MS,
  isTaskLeaving,
  liveTasksOn,
  taskKind,
} from "./cluster.ts"
import { groupProgressIn, type GroupProgress, type StepProgress } from "./group-progress.ts"
import { commandRecord, type RunFacts, type RunState } from "./state.ts"
import { balancedRemovalOrder, zoneCounts } from "./zones.ts"

export type Running = Extract<RunState, { _tag: "Running" }>

export interface Context {
  readonly state: Running
  readonly run: RunFacts
  readonly policy: RolloutPolicy
  readonly index: ClusterIndex
  readonly now: number
  readonly oldIds: ReadonlySet<string>
}

/** Done when the log records success, or when the snapshot already shows the effect (outcome unknown). */
export const isDone = (ctx: Context, id: string, visible: boolean): boolean =>
  commandRecord(ctx.state, id)?.outcome === "succeeded" || visible

/** A command not yet done: the recorded one when it was issued before (same id, same content), else a fresh one. */
export const next = (ctx: Context, id: string, fresh: () => Command): Command =>
  commandRecord(ctx.state, id)?.command ?? fresh()

/** When a command's effect started: its recorded success, else its latest intent. */
export const startedAt = (ctx: Context, id: string): number | undefined => {
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
export const isGone = (ctx: Context, instanceId: string): boolean => {
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
export const liveMembers = (ctx: Context, group: AutoScalingGroup): ReadonlyArray<string> =>
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
export const capacityMembers = (group: AutoScalingGroup): ReadonlyArray<AsgInstance> =>
  group.instances.filter((m) => countsTowardCapacity(m.lifecycleState))

/** The group's instances per zone, counting what Auto Scaling counts. */
export const groupZoneCounts = (group: AutoScalingGroup): ReadonlyMap<string, number> =>
  zoneCounts(group.availabilityZones, capacityMembers(group))

/**
 * `candidates` in the order that keeps the group's zones even as they leave it (see zones.ts): old
 * instances by zone alone (they all leave in the end), surplus by zone then by `cost`.
 */
export const inZoneBalancedOrder = (
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

export const failRun = (ctx: Context, reason: string): Decision =>
  ctx.policy.rollbackOnFailure
    ? { _tag: "RollBack", reason }
    : {
        _tag: "Finish",
        outcome: "failed",
        reason: `${reason} (rollbackOnFailure is off: the cluster is left as it is)`,
      }

/** Said in a capacity command's reason when it raises the group's max size (restored at the end of the run). */
export const maxSizeRaise = (maxSize: number, desired: number): string =>
  desired > maxSize ? `; raises max size from ${maxSize} to ${desired} until the run ends` : ""

export const act = (phase: Phase, commands: ReadonlyArray<Command>): Decision => ({
  _tag: "Act",
  phase,
  commands,
})

/** The container instances of `instanceIds` a drain sets DRAINING: those still ACTIVE. */
export const activeContainerArns = (
  ctx: Context,
  instanceIds: ReadonlyArray<string>,
): ReadonlyArray<string> =>
  instanceIds.flatMap((id) => {
    const container = ctx.index.containerByInstanceId.get(id)
    return container?.status === "ACTIVE" ? [container.containerInstanceArn] : []
  })

export const runsStandaloneTasks = (ctx: Context, instanceId: string): boolean =>
  liveTasksOn(ctx.index, instanceId).some((t) => taskKind(ctx.index, t) === "standalone")

/** A group's waves and rounds so far, as the log records them (group-progress.ts). */
export const progressOf = (ctx: Context, asgName: string): GroupProgress =>
  groupProgressIn(ctx.state.groupProgress, asgName)

/** The instances a wave or round took: its detach's, else its drain's and that drain's extension; `undefined` before either. */
export const takenBy = (step: StepProgress | undefined): ReadonlyArray<string> | undefined =>
  step?.detached ?? (step?.drained === undefined ? undefined : [...step.drained, ...(step.extended ?? [])])

/**
 * The wave or round a group is at: one past the last finished one. One is finished when its terminate
 * succeeded, or when every instance it took is gone (a terminate whose outcome is unknown, or
 * instances that disappeared by other hands).
 */
export const firstUnfinished = (ctx: Context, steps: ReadonlyMap<number, StepProgress>): number => {
  const finished = (n: number): boolean => {
    const step = steps.get(n)
    if (step?.terminated === true) return true
    const members = takenBy(step)
    return members !== undefined && members.every((id) => isGone(ctx, id))
  }
  let n = 1
  while (finished(n)) n++
  return n
}

/** The wave a group is at (see `firstUnfinished`). */
export const currentWave = (ctx: Context, asgName: string): number =>
  firstUnfinished(ctx, progressOf(ctx, asgName).waves)

/** Live tasks that keep an instance from counting as drained (daemon tasks are stopped by ECS last, after the rest). */
export const blockingTasks = (ctx: Context, instanceId: string) =>
  liveTasksOn(ctx.index, instanceId).filter((t) => taskKind(ctx.index, t) !== "daemon")

/**
 * When a drain that started at `drainAt` gives up: after the drain timeout while any task still serves;
 * once every task left is only deregistering from its load balancer, after the deregistration
 * allowance too (a long deregistration delay is a healthy drain, not a stuck one).
 */
export const drainGivesUpAt = (ctx: Context, drainAt: number, blocking: ReadonlyArray<Task>): number =>
  drainAt +
  ctx.policy.timeouts.drainWaveMs +
  (blocking.every(isTaskLeaving) ? DEREGISTRATION_ALLOWANCE_MS : 0)

/** What keeps a drain waiting, serving tasks apart from deregistering ones. */
export const drainStatus = (blocking: ReadonlyArray<Task>): string => {
  const leaving = blocking.filter(isTaskLeaving).length
  const serving = blocking.length - leaving
  return [
    ...(serving > 0 ? [`${serving} task(s) still running`] : []),
    ...(leaving > 0 ? [`${leaving} task(s) deregistering from their load balancers`] : []),
  ].join(", ")
}

/** Instances this run detached from a group (detach mode): out of the group, and already in a wave. */
export const detachedByRun = (ctx: Context, asgName: string): ReadonlySet<string> =>
  new Set([...progressOf(ctx, asgName).waves.values()].flatMap((wave) => wave.detached ?? []))
