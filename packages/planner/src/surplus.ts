/**
 * Removing a group's surplus (members above its start capacity) by id, round by round: drain the
 * chosen instances (keeping one task of each service with no floor running, then extending the drain
 * to the instance kept out), wait until drained, terminate them with decrement. Used by the end game
 * and by rollback, each with its own command ids.
 */
import {
  type AsgInstance,
  type AutoScalingGroup,
  type Decision,
  formatDuration,
  type GroupAtStart,
  type Phase,
} from "@ecs-ami-deploy/domain"
import { liveTasksOn } from "./cluster.ts"
import { commandIds } from "./command-ids.ts"
import {
  act,
  activeContainerArns,
  blockingTasks,
  capacityMembers,
  type Context,
  drainGivesUpAt,
  drainStatus,
  groupZoneCounts,
  inZoneBalancedOrder,
  isGone,
  next,
  startedAt,
  firstUnfinished,
  progressOf,
  takenBy,
} from "./decide-context.ts"
import { decidesAsOf } from "./decider-version.ts"
import type { RoundScope, StepProgress } from "./group-progress.ts"
import { commandRecord } from "./state.ts"
import { type Extension, soonAfterMoves, unplacedTasks } from "./wave-extension.ts"
import { selectWave } from "./waves.ts"

/** The command ids of one kind of surplus removal (the end game's, or rollback's), and where its rounds are kept. */
export interface SurplusIds {
  readonly scope: RoundScope
  readonly drain: (asg: string, round: number) => string
  /** The round's drain extended to the instances it kept out (decider 3, wave-extension.ts). */
  readonly extend: (asg: string, round: number) => string
  readonly terminate: (asg: string, round: number) => string
}
export const endGameIds: SurplusIds = {
  scope: "rollout",
  drain: commandIds.trimDrain,
  extend: commandIds.trimExtend,
  terminate: commandIds.trimTerminate,
}
export const rollbackTrimIds: SurplusIds = {
  scope: "rollback",
  drain: commandIds.rollbackTrimDrain,
  extend: commandIds.rollbackTrimExtend,
  terminate: commandIds.rollbackTrimTerminate,
}

/** A group's rounds of one kind of surplus removal so far. */
export const roundsOf = (
  ctx: Context,
  asgName: string,
  ids: SurplusIds,
): ReadonlyMap<number, StepProgress> => {
  const progress = progressOf(ctx, asgName)
  return ids.scope === "rollback" ? progress.rollbackRounds : progress.rounds
}

/** The surplus-removal round a group is at: one past the last round whose removal finished. */
export const currentRound = (ctx: Context, asgName: string, ids: SurplusIds): number =>
  firstUnfinished(ctx, roundsOf(ctx, asgName, ids))

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
 * The extension of a round's drain (decider 3): of `candidates` (the surplus not yet taken, in removal
 * order), those that fit on the staying instances next to what the round displaced, once the services
 * it kept running run elsewhere — and only while every removal keeps the zones as even as the round's.
 */
const extendRound = (
  ctx: Context,
  id: string,
  g: GroupAtStart,
  group: AutoScalingGroup,
  alive: ReadonlyArray<string>,
  candidates: ReadonlyArray<string>,
  how: { readonly receivers: (intended: ReadonlyArray<string>) => ReadonlySet<string> },
): Extension => {
  const active = candidates.filter((id) => ctx.index.containerByInstanceId.get(id)?.status === "ACTIVE")
  if (active.length === 0) return undefined
  const choice = selectWave(
    ctx.index,
    active,
    how.receivers([...alive, ...active]),
    active.length,
    "skip-instance",
    "refuse",
    { keepOneRunning: true, unplaced: unplacedTasks(ctx, alive) },
  )
  const even = evenRemovals(group, [...alive, ...choice.instanceIds])
  const chosen = choice.instanceIds.filter((id) => even.has(id))
  if (chosen.length === 0) return soonAfterMoves(choice)
  return {
    _tag: "Extend",
    command: {
      _tag: "DrainInstances",
      id,
      reason: `extend the surplus drain of ${g.asgName} to ${chosen.join(", ")} (the services it kept running now run elsewhere)`,
      clusterName: ctx.run.clusterName,
      wave: 0,
      containerInstanceArns: activeContainerArns(ctx, chosen),
      instanceIds: chosen,
    },
  }
}

/**
 * One round of removing a group's surplus (members above its start desired capacity) by id: drain
 * the chosen instances (largest zone first, fewest tasks first, only those whose tasks fit on the
 * instances `receivers` leaves out), wait until drained, terminate them with decrement. `undefined`
 * when there is no surplus, or none of it fits anywhere (then it is kept).
 */
export const removeSurplus = (
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
  const extendId = ids.extend(g.asgName, round)
  const members = takenBy(roundsOf(ctx, g.asgName, ids).get(round))
  const live = capacityMembers(group)
  const surplus = live.length - g.desiredCapacity
  // The members to remove, in removal order (largest zone first, fewest tasks first), not yet taken.
  const intendedBeyond = (taken: ReadonlySet<string>, count: number) =>
    inZoneBalancedOrder(
      ctx,
      group,
      live
        .filter(
          (m) =>
            !taken.has(m.instanceId) &&
            !m.protectedFromScaleIn &&
            !isGone(ctx, m.instanceId) &&
            how.removable(m),
        )
        .map((m) => m.instanceId),
      (id) => liveTasksOn(ctx.index, id).length,
    ).slice(0, count)
  if (members === undefined) {
    if (surplus <= 0) return undefined
    const intended = intendedBeyond(new Set(), surplus)
    // Instances running standalone tasks are never chosen: nothing would ever drain them. A round keeps
    // one task of each service with no floor running (decider 3), and extends its drain to the instance
    // it kept out once that service runs elsewhere (below).
    const select = (candidates: ReadonlyArray<string>) =>
      selectWave(ctx.index, candidates, how.receivers(candidates), surplus, "skip-instance", "refuse", {
        keepOneRunning: decidesAsOf(ctx.run, 3),
      })
    const first = select(intended)
    // A removal never leaves the zones further apart than they are (nor than one apart): an instance
    // that would (the cheap one of a small zone, taken because a large zone's could not move) stays,
    // and may receive the tasks of the others instead. An instance kept out only until a task moves
    // joins the round by its extension: it is counted as removed, in its place in the order.
    const deferred = new Set(first.held.filter((h) => h.untilMoved === true).map((h) => h.instanceId))
    const evenWithDeferred = (ids: ReadonlyArray<string>) =>
      evenRemovals(
        group,
        intended.filter((id) => ids.includes(id) || deferred.has(id)),
      )
    const unbalancing = new Set(
      first.instanceIds.filter((id) => !evenWithDeferred(first.instanceIds).has(id)),
    )
    const second = unbalancing.size === 0 ? first : select(intended.filter((id) => !unbalancing.has(id)))
    const even = evenWithDeferred(second.instanceIds)
    const choice = second.instanceIds.every((id) => even.has(id))
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
        containerInstanceArns: activeContainerArns(ctx, choice.instanceIds),
        instanceIds: choice.instanceIds,
      },
    ])
  }

  const phase = (normal: Phase): Phase => (ctx.state.rollback === undefined ? normal : "rolling-back")
  // A drain (or its extension) whose outcome is unknown or failed is issued again until ECS shows it.
  for (const record of [commandRecord(ctx.state, drainId), commandRecord(ctx.state, extendId)]) {
    if (record?.command._tag !== "DrainInstances" || record.outcome === "succeeded") continue
    const visible = record.command.instanceIds.every(
      (id) => ctx.index.containerByInstanceId.get(id)?.status !== "ACTIVE",
    )
    if (!visible) return act(phase("draining"), [record.command])
  }
  const alive = members.filter((id) => !isGone(ctx, id))
  const blocking = alive.flatMap((id) => blockingTasks(ctx, id))
  if (blocking.length > 0) {
    const extension =
      decidesAsOf(ctx.run, 3) && commandRecord(ctx.state, extendId) === undefined
        ? extendRound(
            ctx,
            extendId,
            g,
            group,
            alive,
            intendedBeyond(new Set(members), surplus - alive.length),
            how,
          )
        : undefined
    if (extension?._tag === "Extend") return act(phase("draining"), [extension.command])
    const drainAt = startedAt(ctx, extendId) ?? startedAt(ctx, drainId) ?? ctx.now
    const deadline = drainGivesUpAt(ctx, drainAt, blocking)
    if (ctx.now >= deadline)
      return how.onDrainTimeout(
        `the surplus instance(s) of ${g.asgName} did not drain within ${formatDuration(ctx.policy.timeouts.drainWaveMs)} (--drain-timeout) (${drainStatus(blocking)})`,
      )
    return {
      _tag: "Wait",
      phase: phase("draining"),
      reason:
        `surplus of ${g.asgName}: ${drainStatus(blocking)}` +
        (extension === undefined ? "" : `; its drain extends once ${extension.reason}`),
      // Looked at again soon while an extension waits for tasks to move: that takes seconds.
      deadline: extension === undefined ? deadline : Math.min(deadline, ctx.now + ctx.policy.pollIntervalMs),
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

/** Instances a kind of surplus removal drained in a group, over all its rounds. */
export const surplusDrained = (ctx: Context, asgName: string, ids: SurplusIds): ReadonlyArray<string> => {
  const drained: Array<string> = []
  const rounds = roundsOf(ctx, asgName, ids)
  for (let round = 1; ; round++) {
    const members = takenBy(rounds.get(round))
    if (members === undefined) return drained
    drained.push(...members)
  }
}
