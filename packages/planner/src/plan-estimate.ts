/**
 * What `plan` tells an operator about the run's size and pace before it starts: which rollout limit
 * caps another (a `--max-surge 100%` under `--max-draining 50%` changes nothing), how many instances
 * each wave adds and in total, and an estimate of the run's duration. The estimate is only as good
 * as its assumptions, which it states (`ASSUMED_TIMINGS`): a new instance launched, InService and
 * registered in about 100 s; a displaced task's replacement healthy in about 50 s; a load-balanced
 * task then spends its target group's deregistration delay (AWS's default, 300 s) DEACTIVATING.
 * Waves of a group follow one another, each behind its own new capacity.
 */
import { formatAmount, formatDuration, type RolloutPolicy } from "@ecs-ami-deploy/domain"

export const ASSUMED_TIMINGS = {
  newCapacityMs: 100_000,
  replacementHealthyMs: 50_000,
  deregistrationDelayMs: 300_000,
  taskStopMs: 10_000,
} as const

/** What the assumptions are, in words, for the plan's text. */
export const assumedTimingsText = `assuming ~${formatDuration(ASSUMED_TIMINGS.newCapacityMs)} for new capacity, ~${formatDuration(ASSUMED_TIMINGS.replacementHealthyMs)} for a replacement task to be healthy and AWS's default ${formatDuration(ASSUMED_TIMINGS.deregistrationDelayMs)} deregistration delay`

/**
 * A warning when one limit makes another ineffective for `asgName` (`limits` resolved against its
 * desired capacity): in surge mode a wave is the smaller of max surge and max draining.
 */
export const cappedLimitWarnings = (
  asgName: string,
  oldInstances: number,
  policy: RolloutPolicy,
  limits: { readonly surge: number; readonly draining: number },
): ReadonlyArray<string> => {
  if (oldInstances === 0) return []
  const { surge, draining } = limits
  const surgeText = `--max-surge ${formatAmount(policy.maxSurge)} (${surge} instance(s))`
  const drainingText = `--max-draining ${formatAmount(policy.maxDraining)} (${draining} instance(s))`
  if (policy.capacityMode !== "surge") return []
  if (surge > draining && draining < oldInstances)
    return [
      `group ${asgName}: ${surgeText} is capped by ${drainingText}: waves of ${draining}; raise --max-draining to ${formatAmount(policy.maxSurge)} for waves of ${Math.min(surge, oldInstances)}`,
    ]
  if (draining > surge && surge < oldInstances)
    return [
      `group ${asgName}: ${drainingText} is capped by ${surgeText}: waves of ${surge}; raise --max-surge to ${formatAmount(policy.maxDraining)} for waves of ${Math.min(draining, oldInstances)}`,
    ]
  return []
}

/** The size and pace of a group's replacement. */
export interface GroupEstimate {
  readonly waves: number
  /** Instances launched ahead of each wave (surge) or by Auto Scaling for a detached wave. */
  readonly instancesAddedPerWave: number
  /** New instances over the whole run: one per old instance. */
  readonly instancesAddedInTotal: number
  readonly estimatedDurationMs: number
}

/**
 * Estimates a group's replacement: `waveSize` old instances per wave; each wave waits for its new
 * capacity, then drains — for as long as its slowest displaced service needs (`loadBalanced`: its
 * tasks wait for the replacement and the deregistration delay). A wave that keeps one task of a
 * service at minimum 0 % running (`keepsOneRunning`) drains the instance it kept out once a
 * replacement of that service is healthy: one replacement's time later.
 */
export const estimateGroup = (
  oldInstances: number,
  waveSize: number,
  waveServices: ReadonlyArray<ReadonlyArray<{ readonly loadBalanced: boolean }>>,
  keepsOneRunning: ReadonlyArray<boolean> = [],
): GroupEstimate => {
  const waves = oldInstances === 0 ? 0 : Math.ceil(oldInstances / waveSize)
  const drainMs = (services: ReadonlyArray<{ readonly loadBalanced: boolean }>) =>
    services.length === 0
      ? ASSUMED_TIMINGS.taskStopMs
      : ASSUMED_TIMINGS.replacementHealthyMs +
        (services.some((service) => service.loadBalanced) ? ASSUMED_TIMINGS.deregistrationDelayMs : 0) +
        ASSUMED_TIMINGS.taskStopMs
  const estimatedDurationMs = Array.from(
    { length: waves },
    (_, wave) =>
      ASSUMED_TIMINGS.newCapacityMs +
      drainMs(waveServices[wave] ?? []) +
      (keepsOneRunning[wave] === true ? ASSUMED_TIMINGS.replacementHealthyMs : 0),
  ).reduce((sum, ms) => sum + ms, 0)
  return {
    waves,
    instancesAddedPerWave: Math.min(waveSize, oldInstances),
    instancesAddedInTotal: oldInstances,
    estimatedDurationMs,
  }
}
