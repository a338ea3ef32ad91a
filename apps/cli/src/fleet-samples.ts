/**
 * The cluster's instances through a simulated run, for the report's instance chart: each sample counts
 * the cluster's instances by image (the run's target image or another) and by where they stand for
 * ECS — launching (EC2 pending, or running without an ACTIVE registration yet), active, draining, or
 * shutting down. `settle` lets simulated time run on after the rollout returned, so the chart ends
 * where the world ends (terminations finished, replacement tasks healthy), not at the last call.
 */
import type { Simulation, WorldSnapshot } from "ecs-ami-deploy/simulator"

export const fleetStates = ["launching", "active", "draining", "shutting-down"] as const
export type FleetState = (typeof fleetStates)[number]

/** One instance as a sample sees it. */
export interface SampledInstance {
  readonly imageId: string
  readonly state: FleetState
}

export interface FleetSample {
  readonly at: number
  readonly instances: ReadonlyArray<SampledInstance>
}

/** Takes samples of one cluster's instances; instances stay the cluster's once seen in it. */
export const makeFleetSampler = (simulation: Simulation, clusterName: string) => {
  const samples: Array<FleetSample> = []
  const members = new Set<string>()
  const observe = (world: WorldSnapshot): FleetSample => {
    const registrations = new Map(
      world.containerInstances
        .filter((ci) => ci.clusterName === clusterName)
        .map((ci) => [ci.ec2InstanceId, ci.status] as const),
    )
    for (const id of registrations.keys()) members.add(id)
    for (const group of world.groups)
      if (group.instances.some((i) => members.has(i.instanceId)))
        for (const i of group.instances) members.add(i.instanceId)
    const instances = world.instances.flatMap((instance): ReadonlyArray<SampledInstance> => {
      if (!members.has(instance.instanceId)) return []
      const registration = registrations.get(instance.instanceId)
      const state: FleetState | undefined =
        instance.state === "shutting-down"
          ? "shutting-down"
          : instance.state === "pending"
            ? "launching"
            : instance.state !== "running"
              ? undefined
              : registration === "DRAINING"
                ? "draining"
                : registration === "ACTIVE"
                  ? "active"
                  : "launching"
      return state === undefined ? [] : [{ imageId: instance.imageId, state }]
    })
    return { at: world.now, instances }
  }
  const sample = () => {
    const next = observe(simulation.snapshotState())
    if (samples.at(-1)?.at === next.at) samples.pop()
    samples.push(next)
  }
  /**
   * Runs simulated time on in `stepMs` steps until no instance of the cluster is launching or
   * shutting down and every service of the cluster has its desired healthy tasks, or `limitMs` passed.
   */
  const settle = (stepMs: number, limitMs: number) => {
    const settled = () => {
      const world = simulation.snapshotState()
      const last = samples.at(-1)
      return (
        last !== undefined &&
        last.instances.every((i) => i.state === "active" || i.state === "draining") &&
        world.services
          .filter((s) => s.clusterName === clusterName && s.status === "ACTIVE")
          .every((s) => s.healthyCount >= s.desiredCount)
      )
    }
    const until = simulation.now() + limitMs
    sample()
    while (!settled() && simulation.now() < until) {
      simulation.advance(stepMs)
      sample()
    }
  }
  return { sample, settle, samples: (): ReadonlyArray<FleetSample> => samples }
}
