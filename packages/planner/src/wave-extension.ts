/**
 * Extending a wave's drain (decider 3). A surge wave leaves out an old instance that runs the last
 * serving task of a service whose floor is zero (waves.ts, `keepOneRunning`): drained with the rest,
 * ECS could stop every task of that service at once. As soon as a task of that service serves on
 * another instance, and the tasks the drain displaced have been placed anew, the instances left out
 * join the wave's drain (`extend-drain`) while it is still under way, onto the same proven new
 * capacity: the wave then ends when its last instance is drained, instead of a second wave starting
 * after it, with its own capacity and its own deregistration delay. A round removing surplus
 * instances extends its drain the same way (surplus.ts).
 */
import {
  type AutoScalingGroup,
  type Command,
  type GroupAtStart,
  isTaskLive,
  type Task,
} from "@ecs-ami-deploy/domain"
import { provenCapacityOf, relyingOn } from "./capacity-proof.ts"
import { isTaskLeaving, liveTasksOn, taskKind } from "./cluster.ts"
import { commandIds } from "./command-ids.ts"
import { activeContainerArns, type Context, inZoneBalancedOrder } from "./decide-context.ts"
import { selectWaveMovingOnce } from "./single-task-moves.ts"
import type { CommandRecord } from "./state.ts"
import { waveRoom } from "./wave-size.ts"
import type { WaveChoice } from "./waves.ts"

/** What extending a wave's drain comes to now: a drain to issue, a reason to look again soon, or nothing to extend. */
export type Extension =
  | { readonly _tag: "Extend"; readonly command: Command }
  | { readonly _tag: "Soon"; readonly reason: string }
  | undefined

/**
 * Copies of the tasks the wave's drain displaced that ECS has not placed anew yet: for each service
 * with a task still on the wave's instances, its desired count less its live tasks on instances that
 * are not draining. They take room on new capacity before anything the extension would displace.
 */
export const unplacedTasks = (ctx: Context, members: ReadonlyArray<string>): ReadonlyArray<Task> => {
  const inWave = new Set(members)
  const draining = new Set(
    ctx.index.snapshot.containerInstances.flatMap((c) =>
      c.status === "DRAINING" || inWave.has(c.ec2InstanceId) ? [c.containerInstanceArn] : [],
    ),
  )
  const onWave = new Map<string, Array<Task>>()
  for (const id of members)
    for (const task of liveTasksOn(ctx.index, id))
      if (taskKind(ctx.index, task) === "replica" && task.serviceName !== undefined)
        onWave.set(task.serviceName, [...(onWave.get(task.serviceName) ?? []), task])
  return [...onWave].flatMap(([serviceName, tasks]): ReadonlyArray<Task> => {
    const service = ctx.index.serviceByName.get(serviceName)
    if (service === undefined) return []
    const placed = ctx.index.snapshot.tasks.filter(
      (t) =>
        t.serviceName === serviceName &&
        isTaskLive(t) &&
        !isTaskLeaving(t) &&
        t.containerInstanceArn !== undefined &&
        !draining.has(t.containerInstanceArn),
    ).length
    const missing = Math.max(0, service.desiredCount - placed)
    return Array.from({ length: missing }).flatMap((_, i) => tasks[i % tasks.length] ?? [])
  })
}

/** When nothing can join a drain yet: `Soon` if an instance waits only for tasks to move, else nothing to extend. */
export const soonAfterMoves = (choice: WaveChoice): Extension => {
  const waiting = choice.held.filter((h) => h.untilMoved === true)
  return waiting.length === 0
    ? undefined
    : { _tag: "Soon", reason: waiting.map((h) => `${h.instanceId}: ${h.reason}`).join("; ") }
}

/**
 * The extension of wave `wave`'s drain (surge mode, decider 3), while that drain is under way:
 * old instances not yet draining, up to what the wave may still take, that fit on proven new capacity
 * next to what the drain displaced.
 */
export const extendWave = (
  ctx: Context,
  g: GroupAtStart,
  group: AutoScalingGroup,
  wave: number,
  members: ReadonlyArray<string>,
  remainingOld: ReadonlyArray<string>,
  capacityRecord: CommandRecord | undefined,
): Extension => {
  // The wave's instances still to replace (another actor may have terminated some) count against its size.
  const inWave = new Set(members)
  const room = waveRoom(ctx, g, remainingOld.length, remainingOld.filter((id) => inWave.has(id)).length)
  const candidates = remainingOld.filter(
    (id) => !inWave.has(id) && ctx.index.containerByInstanceId.get(id)?.status === "ACTIVE",
  )
  if (room <= 0 || candidates.length === 0) return undefined
  const choice = selectWaveMovingOnce(
    ctx.index,
    inZoneBalancedOrder(ctx, group, candidates),
    ctx.oldIds,
    room,
    ctx.policy.standaloneTasks,
    ctx.policy.unsafeServices,
    { keepOneRunning: true, unplaced: unplacedTasks(ctx, members) },
  )
  if (choice.instanceIds.length === 0) return soonAfterMoves(choice)
  const capacity = provenCapacityOf(ctx, g, group, capacityRecord)
  if (capacity.instances.length < capacity.required)
    return {
      _tag: "Soon",
      reason: `${capacity.instances.length} of ${capacity.required} new instance(s) of ${g.asgName} proven`,
    }
  const services = choice.displaced.map((d) => `${d.serviceName}×${d.tasks}`).join(", ") || "no service tasks"
  return {
    _tag: "Extend",
    command: {
      _tag: "DrainInstances",
      id: commandIds.extendDrain(g.asgName, wave),
      reason: `extend wave ${wave} of ${g.asgName}'s drain to ${choice.instanceIds.join(", ")} (moves ${services}; the services it kept running now run elsewhere)`,
      clusterName: ctx.run.clusterName,
      wave,
      containerInstanceArns: activeContainerArns(ctx, choice.instanceIds),
      instanceIds: choice.instanceIds,
      ...relyingOn(capacity),
    },
  }
}
