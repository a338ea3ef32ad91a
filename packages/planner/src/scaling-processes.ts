/**
 * Which Auto Scaling processes a run suspends on a group while it changes the group's capacity, and
 * which it resumes at the end. AZRebalance would terminate instances undrained to even out zones
 * mid-run (policy `suspendAzRebalance`). AlarmNotification carries the group's dynamic scaling
 * policies — ECS managed scaling is one, a target tracking policy — which would undo the run's surge
 * while it is being proven, or scale in by terminating instances of Auto Scaling's choosing,
 * undrained; it is suspended on every group (target tracking re-evaluates once it is resumed, so
 * nothing is lost). ScheduledActions is not: a scheduled action whose time passes while it is
 * suspended is skipped for good; the run adopts its change instead (capacity-drift.ts). A process
 * already suspended before the run is left alone, then and at the end.
 */
import type { AutoScalingGroup, RolloutPolicy } from "@ecs-ami-deploy/domain"

export const AZ_REBALANCE = "AZRebalance"
export const ALARM_NOTIFICATION = "AlarmNotification"

/** The processes a run starting now suspends on the group (empty when none). */
export const processesToSuspend = (group: AutoScalingGroup, policy: RolloutPolicy): ReadonlyArray<string> =>
  [...(policy.suspendAzRebalance ? [AZ_REBALANCE] : []), ALARM_NOTIFICATION].filter(
    (process) => !group.suspendedProcesses.includes(process),
  )
