/**
 * What a rollout leaves behind, read from the simulated world and its call log: the images still
 * running, each group's desired capacity, how many instances Auto Scaling launched to meet capacity,
 * the instances terminated more than once, and the availability the services had. The reliability
 * report compares these between interrupted and uninterrupted runs and checks them after faults.
 */
import { groupSettingsOf, type Simulation } from "@ecs-ami-deploy/simulator"

/**
 * Simulated time left to the world after a run before its end state is read: Auto Scaling acts on
 * the run's last changes (restored capacity, resumed AZRebalance) a little later, without draining.
 */
export const SETTLE_MS = 10 * 60_000

export interface EndState {
  readonly liveImages: ReadonlyArray<string>
  readonly desiredCapacities: Readonly<Record<string, number>>
  /** Each group's desired/min/max, suspended processes and launch spec, and each template's default version. */
  readonly groupSettings: ReturnType<typeof groupSettingsOf>
  /** Launches Auto Scaling made to meet desired capacity (AZRebalance's own launches are not the run's). */
  readonly capacityLaunches: number
  /** Instances a successful terminate call named more than once. */
  readonly terminatedTwice: ReadonlyArray<string>
  readonly serviceSecondsBelowFloor: number
  readonly serviceSecondsWithZeroHealthy: number
}

const terminateOperations = new Set([
  "autoscaling:TerminateInstanceInAutoScalingGroup",
  "ec2:TerminateInstances",
])

/** Instance ids a successful terminate call named, in call order (with repeats). */
const terminatedIds = (simulation: Simulation): ReadonlyArray<string> =>
  simulation.callLog.flatMap((call) => {
    if (call.outcome !== "ok" || !terminateOperations.has(call.operation)) return []
    const input = call.input as { readonly instanceId?: string; readonly instanceIds?: ReadonlyArray<string> }
    return [...(input.instanceId === undefined ? [] : [input.instanceId]), ...(input.instanceIds ?? [])]
  })

export const endState = (simulation: Simulation): EndState => {
  const world = simulation.snapshotState()
  const live = world.instances.filter(
    (instance) => instance.state === "pending" || instance.state === "running",
  )
  const seen = new Set<string>()
  const twice = new Set<string>()
  for (const id of terminatedIds(simulation)) (seen.has(id) ? twice : seen).add(id)
  const metrics = simulation.metrics()
  return {
    liveImages: [...new Set(live.map((instance) => instance.imageId))].sort(),
    desiredCapacities: Object.fromEntries(world.groups.map((group) => [group.name, group.desiredCapacity])),
    groupSettings: groupSettingsOf(world),
    capacityLaunches: world.activities.filter(
      (activity) => activity.description.startsWith("Launching") && !activity.cause.includes("balancing"),
    ).length,
    terminatedTwice: [...twice],
    serviceSecondsBelowFloor: metrics.serviceSecondsBelowFloor,
    serviceSecondsWithZeroHealthy: metrics.serviceSecondsWithZeroHealthy,
  }
}

/** Mutating calls the simulation recorded (whatever their outcome). */
export const mutatingCalls = (simulation: Simulation): number =>
  simulation.callLog.filter((call) => call.mutating).length
