/**
 * The scenarios every contender runs, with the same seed: four from the simulator's library and two
 * larger clusters derived from `large-200` by scaling its group and its services' task counts (the
 * same 20 services, ~2.5 tasks per instance), so no large scenario is written out by hand.
 */
import { scenarios, type Scenario } from "@ecs-ami-deploy/simulator"

/**
 * `large-200` resized to `instances`: group sizes and every service's desired count scale with it —
 * or, given `tasks`, the services share that many tasks (the scale target's 1,000 instances / 3,000 tasks).
 */
export const scaledLarge = (instances: number, tasks?: number): Scenario => {
  const base = scenarios["large-200"]
  const baseInstances = base.groups.reduce((sum, group) => sum + group.desiredCapacity, 0)
  const factor = instances / baseInstances
  const clusterName = `large-${instances}-cluster`
  const scale = (count: number) => Math.max(1, Math.round(count * factor))
  const baseTasks = base.services.reduce((sum, service) => sum + service.desiredCount, 0)
  const taskFactor = tasks === undefined ? factor : tasks / baseTasks
  const scaleTasks = (count: number) => Math.max(1, Math.round(count * taskFactor))
  return {
    ...base,
    name: tasks === undefined ? `large-${instances}` : `large-${instances}-${tasks}-tasks`,
    description: `large-200 scaled to ${instances} instances: 20 services, ${base.services.reduce((sum, s) => sum + scaleTasks(s.desiredCount), 0)} tasks.`,
    clusters: base.clusters.map((cluster) => ({ ...cluster, name: clusterName })),
    groups: base.groups.map((group) => ({
      ...group,
      clusterName,
      minSize: scale(group.minSize),
      maxSize: scale(group.maxSize),
      desiredCapacity: scale(group.desiredCapacity),
    })),
    services: base.services.map((service) => ({
      ...service,
      clusterName,
      desiredCount: scaleTasks(service.desiredCount),
    })),
  }
}

/** The benchmark matrix's scenarios, smallest first; `quick` leaves out the 500-instance cluster. */
export const benchScenarios = (options: { readonly quick: boolean }): ReadonlyArray<Scenario> => [
  scenarios["standard-20"],
  scenarios["single-task-services"],
  scenarios["tight-capacity"],
  scaledLarge(100),
  ...(options.quick ? [] : [scaledLarge(500)]),
]

/** Instances the scenario starts with (all groups). */
export const instanceCount = (scenario: Scenario): number =>
  scenario.groups.reduce((sum, group) => sum + group.desiredCapacity, 0)

/** The name of the scenario's (first) cluster and group. */
export const clusterOf = (scenario: Scenario): string =>
  scenario.clusters[0]?.name ?? `${scenario.name}-cluster`
export const groupOf = (scenario: Scenario): string => scenario.groups[0]?.name ?? `${scenario.name}-asg`
