/**
 * The end of a successful run: restore every group's capacity, resume what the run suspended, clean
 * up launch specs, and finish once every service is back at its floor, saying what the run leaves
 * different from the start.
 */
import { HashMap } from "effect"
import {
  type AutoScalingGroup,
  type Command,
  type Decision,
  type GroupAtStart,
  isLeavingGroup,
} from "@ecs-ami-deploy/domain"
import { commandIds } from "./command-ids.ts"
import {
  act,
  capacityMembers,
  type Context,
  groupZoneCounts,
  isDone,
  isGone,
  next,
} from "./decide-context.ts"
import { describeShortfall, servicesBelowFloor } from "./fleet-audit.ts"
import { AZ_REBALANCE } from "./scaling-processes.ts"
import {
  balanceLandedElsewhere,
  endGameSettlement,
  rebalanceSuspendedByRun,
  type Settlement,
  suspendedByRun,
} from "./settle.ts"
import { commandRecord } from "./state.ts"
import { currentRound } from "./surplus.ts"
import { isBalanced } from "./zones.ts"

/**
 * Resumes what the run suspended on a group: everything, except AZRebalance while the zones are
 * unbalanced (resuming it would terminate an instance undrained; `leftovers` says so).
 */
export const resumeSuspended = (
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

/**
 * The capacity to put a group back to: its start capacity, except that desired capacity never goes
 * below the members Auto Scaling counts (`live`), nor max size below desired.
 */
const capacityToRestore = (g: GroupAtStart, live: number) => {
  const desiredCapacity = Math.max(g.desiredCapacity, live)
  return { desiredCapacity, minSize: g.minSize, maxSize: Math.max(g.maxSize, desiredCapacity) }
}

/** The SetCapacity that puts a group back to its start capacity (never below `live`), unless already there. */
export const restoreCapacity = (
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
export const leftovers = (
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

export const finalize = (ctx: Context): Decision => {
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
