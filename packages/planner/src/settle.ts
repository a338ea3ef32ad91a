/**
 * Bringing a group back to its start size with balanced zones, by the end game of a run (new
 * capacity on the target image) or by its rollback (capacity on the image the group launched
 * before): launch into the smallest zone when unbalanced, prove what launched, remove the surplus.
 */
import {
  type AutoScalingGroup,
  type Decision,
  type GroupAtStart,
  isInstanceGone,
  type Phase,
} from "@ecs-ami-deploy/domain"
import { isProvenNew } from "./cluster.ts"
import { commandIds } from "./command-ids.ts"
import {
  act,
  capacityMembers,
  type Context,
  currentWave,
  failRun,
  groupZoneCounts,
  maxSizeRaise,
  startedAt,
} from "./decide-context.ts"
import { AZ_REBALANCE } from "./scaling-processes.ts"
import { commandRecord } from "./state.ts"
import {
  currentRound,
  endGameIds,
  removeSurplus,
  rollbackTrimIds,
  roundsOf,
  type SurplusIds,
} from "./surplus.ts"
import { isBalanced } from "./zones.ts"

/**
 * Waits while Auto Scaling is still bringing a group to its desired capacity (replacing a lost
 * instance, say): desired capacity set from a count about to change races with it, and lowered just
 * after a replacement launched it terminates an instance of its choosing. Stops waiting at `until`
 * (launches that keep failing).
 */
export const settling = (
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

/** The processes this run suspended on a group (it resumes them at the end; AZRebalance once the group is balanced). */
export const suspendedByRun = (ctx: Context, asgName: string): ReadonlyArray<string> => {
  const command = commandRecord(ctx.state, commandIds.suspend(asgName))?.command
  return command?._tag === "SuspendProcesses" ? command.processes : []
}

/** Whether this run suspended AZRebalance on a group: then it balances the zones itself before resuming it. */
export const rebalanceSuspendedByRun = (ctx: Context, asgName: string): boolean =>
  suspendedByRun(ctx, asgName).includes(AZ_REBALANCE)

/** Balancing rounds an end game tries before it leaves the group as it is (and AZRebalance suspended). */
const maxBalanceRounds = (group: AutoScalingGroup): number => 2 * Math.max(1, group.availabilityZones.length)

/**
 * How a group is brought back to its start size with balanced zones: by the end game of a run (new
 * capacity on the target image), or by its rollback (capacity on the image the group launched before).
 */
export interface Settlement {
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
export const endGameSettlement = (ctx: Context, g: GroupAtStart): Settlement => ({
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
export const rollbackSettlement = (ctx: Context, g: GroupAtStart): Settlement => {
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
export const settleGroup = (
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
  if (roundsOf(ctx, g.asgName, how.surplusIds).get(round)?.drained === undefined) {
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
export const balanceLandedElsewhere = (
  ctx: Context,
  balanceId: string,
  counts: ReadonlyMap<string, number>,
): ReadonlyArray<string> | undefined => {
  const record = commandRecord(ctx.state, balanceId)
  const into = record?.command._tag === "SetCapacity" ? record.command.intoZones : undefined
  if (into === undefined || record?.outcome !== "succeeded") return undefined
  return into.zones.some((zone) => (counts.get(zone) ?? 0) > into.membersBefore) ? undefined : into.zones
}
