/**
 * The lower bound a rollout's duration is judged against: the least simulated time any engine that
 * keeps our safety invariants could take on a scenario with a given surge setting, from the
 * scenario's own timings. Such an engine must prove new capacity before it drains anything
 * (invariant 3), and it drains at most one wave of old instances at a time, a wave being capped by
 * max surge and max draining; a drain wave is over only when its last task is STOPPED. So:
 *
 *   bound = newCapacityProven + waves × drainWave
 *
 * where waves = ⌈old instances / wave size⌉. Capacity for later waves is counted once, not per wave:
 * a cluster with spare room can place a later wave's tasks on instances launched for an earlier one.
 * On a cluster without room each wave has to wait for its own capacity, so there the bound is loose
 * (conservative: the ratio to it overstates our overhead). docs/BENCHMARKS.md explains each term.
 */
import { resolveAmount, type RolloutPolicy } from "@ecs-ami-deploy/domain"
import { defaultTimings, type Scenario, type Timings } from "@ecs-ami-deploy/simulator"

/** One service of a scenario (the simulator exports the scenario type, not its parts). */
export type ScenarioService = Scenario["services"][number]

/** Every term of the bound, in simulated milliseconds, so a report can show how it was reached. */
export interface LowerBound {
  /** Old instances to replace (the scenario's starting desired capacity, all groups). */
  readonly oldInstances: number
  readonly waveSize: number
  readonly waves: number
  /** Auto Scaling reaction + instance pending + the later of InService and agent registration. */
  readonly newCapacityProvenMs: number
  /** The slowest service's path from drain start to its old task STOPPED. */
  readonly drainWaveMs: number
  /** The service that sets `drainWaveMs`. */
  readonly slowestService: string
  readonly totalMs: number
}

/** The scenario's timings: its overrides over the simulator's defaults. */
const scenarioTimings = (scenario: Scenario): Timings => ({ ...defaultTimings, ...scenario.timings })

/** Old instances per wave, as the planner sizes waves: min(max surge, max draining) in surge mode, at least one. */
export const waveSize = (desiredAtStart: number, policy: RolloutPolicy): number => {
  const draining = Math.max(1, resolveAmount(policy.maxDraining, desiredAtStart))
  return policy.capacityMode === "surge"
    ? Math.min(Math.max(1, resolveAmount(policy.maxSurge, desiredAtStart)), draining)
    : draining
}

/** From a capacity change to a new instance InService, registered ACTIVE with a connected agent. */
export const newCapacityProvenMs = (timings: Timings): number =>
  timings.autoScalingReactionMs +
  timings.instancePendingMs +
  Math.max(timings.inServiceAfterRunningMs, timings.agentRegistrationMs)

/**
 * From the drain of an instance to one of the service's tasks there being STOPPED. A task may stop
 * before its replacement runs only when minimumHealthyPercent leaves room below the desired count;
 * otherwise the replacement must first be placed, started and healthy. Stopping takes the load
 * balancer's deregistration delay (load-balanced services) or the plain deactivation, then the stop.
 */
export const serviceDrainMs = (service: ScenarioService, timings: Timings): number => {
  const floor = Math.ceil((service.desiredCount * service.minimumHealthyPercent) / 100)
  const replacementFirst = floor >= service.desiredCount
  const replacementHealthyMs = replacementFirst
    ? timings.taskProvisioningMs + timings.taskStartMs + timings.taskHealthyAfterMs
    : 0
  const deactivationMs = service.loadBalanced ? timings.deregistrationDelayMs : timings.deactivatingMs
  return timings.schedulerReactionMs + replacementHealthyMs + deactivationMs + timings.taskStopMs
}

/** The slowest replica service's drain (services with tasks; daemons stop with their instance). */
const slowestDrain = (
  scenario: Scenario,
  timings: Timings,
): { readonly service: string; readonly ms: number } =>
  scenario.services
    .filter((service) => service.schedulingStrategy === "REPLICA" && service.desiredCount > 0)
    .map((service) => ({ service: service.name, ms: serviceDrainMs(service, timings) }))
    .reduce((best, next) => (next.ms > best.ms ? next : best), { service: "(none)", ms: 0 })

/**
 * The physical minimum of a rollout of `scenario`, whatever the tool and its settings: new capacity for
 * every old instance launched and proven once, then every old instance drained in one wave, as long as
 * the slowest service's drain. One wave even where the group's max size leaves less room: a tool may
 * raise max size for the run (ours does), so only that makes it a lower bound no tool can beat (a
 * bound in waves of the room left would be beaten on `tight-capacity`). Every contender's duration is
 * reported as a ratio to it.
 */
export const physicalMinimum = (scenario: Scenario): LowerBound => {
  const timings = scenarioTimings(scenario)
  const oldInstances = scenario.groups.reduce((sum, group) => sum + group.desiredCapacity, 0)
  const slowest = slowestDrain(scenario, timings)
  const provenMs = newCapacityProvenMs(timings)
  return {
    oldInstances,
    waveSize: oldInstances,
    waves: oldInstances === 0 ? 0 : 1,
    newCapacityProvenMs: provenMs,
    drainWaveMs: slowest.ms,
    slowestService: slowest.service,
    totalMs: oldInstances === 0 ? 0 : provenMs + slowest.ms,
  }
}

/** The lower bound of a rollout of `scenario` under `policy` (replica services with tasks; daemons stop with their instance). */
export const lowerBound = (scenario: Scenario, policy: RolloutPolicy): LowerBound => {
  const timings = scenarioTimings(scenario)
  const oldInstances = scenario.groups.reduce((sum, group) => sum + group.desiredCapacity, 0)
  const size = Math.min(
    oldInstances,
    scenario.groups.reduce((largest, group) => Math.max(largest, waveSize(group.desiredCapacity, policy)), 1),
  )
  const waves = oldInstances === 0 ? 0 : Math.ceil(oldInstances / size)
  const slowest = slowestDrain(scenario, timings)
  const provenMs = newCapacityProvenMs(timings)
  return {
    oldInstances,
    waveSize: size,
    waves,
    newCapacityProvenMs: provenMs,
    drainWaveMs: slowest.ms,
    slowestService: slowest.service,
    totalMs: waves === 0 ? 0 : provenMs + waves * slowest.ms,
  }
}
