/**
 * Auto Scaling behaviour: launching to desired capacity with AZ balance and the Pending → InService
 * lifecycle, DetachInstances limits and decrement, AttachInstances (the way back), TerminateInstanceInAutoScalingGroup, the default
 * termination policy on scale-in, scale-in protection, Standby, suspended processes, AZRebalance and
 * failed launches as scaling activities.
 */
import { AutoScaling, Ec2 } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import {
  defaultTimings,
  makeSimulation,
  newImageId,
  scenarios,
  type Scenario,
  type Simulation,
} from "../src/index.ts"
import { appliedMutations } from "../src/testing.ts"
import { createWorld } from "../src/world.ts"
import { attachInstances } from "../src/world/auto-scaling-requests.ts"
import { simulate } from "./helpers.ts"

const small = scenarios.small
const asgName = "small-asg"
const describeGroup = (name = asgName) =>
  AutoScaling.use((a) => a.describeGroups([name])).pipe(Effect.map((groups) => groups[0]!))
/** The group's scaling activities, newest first (as DescribeScalingActivities lists them). */
const activitiesOf = (sim: Simulation) =>
  sim
    .snapshotState()
    .activities.filter((activity) => activity.asgName === asgName)
    .reverse()
const zonesOf = (instances: ReadonlyArray<{ readonly availabilityZone: string }>) => {
  const counts: Record<string, number> = {}
  for (const instance of instances)
    counts[instance.availabilityZone] = (counts[instance.availabilityZone] ?? 0) + 1
  return counts
}

describe("launching to desired capacity", () => {
  it("moves new instances Pending → InService after boot plus the in-service delay, balanced across AZs", async () => {
    const sim = makeSimulation(small)
    await sim.run(AutoScaling.use((a) => a.updateGroup({ asgName, desiredCapacity: 8 })))
    sim.advance(defaultTimings.autoScalingReactionMs)
    const lifecycle = () => sim.snapshotState().groups[0]!.instances.map((i) => i.lifecycleState)
    expect(lifecycle().filter((s) => s === "Pending")).toHaveLength(4)
    sim.advance(defaultTimings.instancePendingMs + defaultTimings.inServiceAfterRunningMs - 1)
    expect(lifecycle().filter((s) => s === "Pending")).toHaveLength(4)
    sim.advance(1)
    expect(lifecycle().every((s) => s === "InService")).toBe(true)
    expect(zonesOf(sim.snapshotState().groups[0]!.instances)).toEqual({ "us-east-1a": 4, "us-east-1b": 4 })
  })

  it("registers the new instances with ECS after the agent delay", async () => {
    const sim = makeSimulation(small)
    await sim.run(AutoScaling.use((a) => a.updateGroup({ asgName, desiredCapacity: 6 })))
    sim.advance(
      defaultTimings.autoScalingReactionMs +
        defaultTimings.instancePendingMs +
        defaultTimings.agentRegistrationMs -
        1,
    )
    expect(sim.snapshotState().containerInstances).toHaveLength(4)
    sim.advance(1)
    expect(sim.snapshotState().containerInstances).toHaveLength(6)
  })

  it("records a failed launch (bad image) as a Failed scaling activity and launches nothing", async () => {
    const { sim } = await simulate(
      small,
      () =>
        Effect.gen(function* () {
          const autoScaling = yield* AutoScaling
          yield* autoScaling.updateGroup({ asgName, desiredCapacity: 5 })
          yield* Effect.sleep("5 minutes")
        }),
      { faults: { launchFailures: [{ imageId: small.launchTemplates[0]!.versions[0]!.imageId }] } },
    )
    const result = activitiesOf(sim)
    expect(result.length).toBeGreaterThan(0)
    expect(result.every((a) => a.status === "Failed")).toBe(true)
    expect(result[0]!.description).toMatch(/InsufficientInstanceCapacity|capacity/)
    expect(sim.snapshotState().instances).toHaveLength(4)
  })

  it("launches in another AZ when the preferred one has no capacity", async () => {
    const { sim } = await simulate(
      small,
      () =>
        Effect.andThen(
          AutoScaling.use((a) => a.updateGroup({ asgName, desiredCapacity: 6 })),
          Effect.sleep("5 minutes"),
        ),
      { faults: { launchFailures: [{ availabilityZone: "us-east-1a" }] } },
    )
    expect(zonesOf(sim.snapshotState().groups[0]!.instances)).toEqual({ "us-east-1a": 2, "us-east-1b": 4 })
    // AZRebalance then tries the smaller AZ only, and fails there.
    const failed = sim.snapshotState().activities.filter((a) => a.status === "Failed")
    expect(failed.length).toBeGreaterThan(0)
    expect(failed.every((a) => a.description.includes("(us-east-1a)"))).toBe(true)
  })

  it("records a launch of a deregistered image as Failed with InvalidAMIID", async () => {
    const broken: Scenario = {
      ...small,
      images: small.images.map((image) =>
        image.imageId === newImageId ? { ...image, state: "deregistered" as const } : image,
      ),
      launchTemplates: small.launchTemplates.map((t) => ({
        ...t,
        versions: [{ ...t.versions[0]!, imageId: newImageId }],
      })),
      groups: small.groups.map((g) => ({
        ...g,
        initialImageId: small.launchTemplates[0]!.versions[0]!.imageId,
      })),
    }
    const { sim } = await simulate(broken, () =>
      Effect.gen(function* () {
        const autoScaling = yield* AutoScaling
        yield* autoScaling.updateGroup({ asgName, desiredCapacity: 5 })
        yield* Effect.sleep("2 minutes")
      }),
    )
    const result = activitiesOf(sim)
    expect(result[0]).toMatchObject({ status: "Failed" })
    expect(result[0]!.description).toContain("does not exist")
  })
})

describe("DetachInstances", () => {
  it("splits more than 20 ids into requests of at most 20, as the AWS adapter does, and counts each request", async () => {
    const sim = makeSimulation(scenarios["large-200"])
    const group = sim.snapshotState().groups[0]!
    const ids = group.instances.slice(0, 45).map((i) => i.instanceId)
    await sim.run(AutoScaling.use((a) => a.detachInstances(group.name, ids, false)))
    const detached = sim.snapshotState().groups[0]!.instances.filter((i) => ids.includes(i.instanceId))
    expect(detached).toEqual([])
    expect(sim.callLog.at(-1)).toMatchObject({
      operation: "autoscaling:DetachInstances",
      outcome: "ok",
      awsRequests: { "autoscaling:DetachInstances": 3 },
    })
  })

  it("refuses an unknown id in any batch (the batch is refused by AWS) and keeps the group", async () => {
    const sim = makeSimulation(small)
    const before = sim.snapshotState()
    const error = await sim.run(
      Effect.flip(AutoScaling.use((a) => a.detachInstances(asgName, ["i-does-not-exist"], false))),
    )
    expect(error.kind).toBe("invalid-parameter")
    expect(sim.snapshotState()).toEqual(before)
    expect(appliedMutations(sim)).toEqual([])
  })

  it("without decrement, keeps desired capacity and launches replacements; the detached instance keeps running", async () => {
    const sim = makeSimulation(small)
    const [first] = sim.snapshotState().groups[0]!.instances
    await sim.run(AutoScaling.use((a) => a.detachInstances(asgName, [first!.instanceId], false)))
    sim.advance(10 * 60_000)
    const group = sim.snapshotState().groups[0]!
    expect(group.desiredCapacity).toBe(4)
    expect(group.instances.map((i) => i.instanceId)).not.toContain(first!.instanceId)
    expect(group.instances.filter((i) => i.lifecycleState === "InService")).toHaveLength(4)
    expect(sim.snapshotState().instances.find((i) => i.instanceId === first!.instanceId)?.state).toBe(
      "running",
    )
  })

  it("with decrement, lowers desired capacity and launches nothing", async () => {
    const sim = makeSimulation(small)
    const [first] = sim.snapshotState().groups[0]!.instances
    await sim.run(AutoScaling.use((a) => a.detachInstances(asgName, [first!.instanceId], true)))
    sim.advance(10 * 60_000)
    expect(sim.snapshotState().groups[0]!.desiredCapacity).toBe(3)
    expect(sim.snapshotState().instances).toHaveLength(4)
  })
})

describe("AttachInstances", () => {
  const detachedFromSmall = async (count: number) => {
    const sim = makeSimulation(small)
    const ids = sim
      .snapshotState()
      .groups[0]!.instances.slice(0, count)
      .map((i) => i.instanceId)
    await sim.run(AutoScaling.use((a) => a.detachInstances(asgName, ids, false)))
    sim.advance(10 * 60_000)
    return { sim, ids }
  }

  it("given 45 instances detached with decrement, when attached back, then 3 requests restore the group and its desired capacity", async () => {
    const sim = makeSimulation(scenarios["large-200"])
    const group = sim.snapshotState().groups[0]!
    const ids = group.instances.slice(0, 45).map((i) => i.instanceId)
    await sim.run(AutoScaling.use((a) => a.detachInstances(group.name, ids, true)))
    await sim.run(AutoScaling.use((a) => a.attachInstances(group.name, ids)))
    expect(sim.callLog.at(-1)).toMatchObject({
      operation: "autoscaling:AttachInstances",
      outcome: "ok",
      awsRequests: { "autoscaling:AttachInstances": 3 },
    })
    sim.advance(10 * 60_000)
    const after = sim.snapshotState().groups[0]!
    expect(after.desiredCapacity).toBe(group.desiredCapacity)
    expect(after.instances.map((i) => i.instanceId).sort()).toEqual(
      group.instances.map((i) => i.instanceId).sort(),
    )
    expect(after.instances.every((i) => i.lifecycleState === "InService")).toBe(true)
  })

  it("given a detached instance, when attached, then desired rises by one and it is Pending until the health-check grace has passed", async () => {
    const { sim, ids } = await detachedFromSmall(1)
    const desiredBefore = sim.snapshotState().groups[0]!.desiredCapacity
    await sim.run(AutoScaling.use((a) => a.attachInstances(asgName, ids)))
    const lifecycleOf = () =>
      sim.snapshotState().groups[0]!.instances.find((i) => i.instanceId === ids[0])?.lifecycleState
    expect(sim.snapshotState().groups[0]!.desiredCapacity).toBe(desiredBefore + 1)
    expect(lifecycleOf()).toBe("Pending")
    sim.advance(defaultTimings.inServiceAfterRunningMs - 1)
    expect(lifecycleOf()).toBe("Pending")
    sim.advance(1)
    expect(lifecycleOf()).toBe("InService")
    sim.advance(10 * 60_000)
    expect(sim.snapshotState().groups[0]!.instances).toHaveLength(desiredBefore + 1)
    const activities = activitiesOf(sim)
    expect(activities.map((activity) => activity.description)).toContain(
      `Attaching an existing EC2 instance: ${ids[0]}`,
    )
  })

  it("given desired at max, when attaching, then ValidationError and nothing changes; once max is raised it succeeds", async () => {
    const { sim, ids } = await detachedFromSmall(1)
    const desired = sim.snapshotState().groups[0]!.desiredCapacity
    await sim.run(AutoScaling.use((a) => a.updateGroup({ asgName, maxSize: desired })))
    const before = sim.snapshotState()
    const mutationsBefore = appliedMutations(sim).length
    const error = await sim.run(Effect.flip(AutoScaling.use((a) => a.attachInstances(asgName, ids))))
    expect({ kind: error.kind, code: error.code }).toEqual({
      kind: "invalid-parameter",
      code: "ValidationError",
    })
    expect(sim.snapshotState()).toEqual(before)
    expect(appliedMutations(sim)).toHaveLength(mutationsBefore)
    await sim.run(AutoScaling.use((a) => a.updateGroup({ asgName, maxSize: desired + 1 })))
    await sim.run(AutoScaling.use((a) => a.attachInstances(asgName, ids)))
    expect(sim.snapshotState().groups[0]!.instances.map((i) => i.instanceId)).toContain(ids[0])
  })

  it("refuses an instance that is a member of a group, this one or another, and changes nothing", async () => {
    const sim = makeSimulation(scenarios["multi-asg"])
    const [groupA, groupB] = sim.snapshotState().groups
    const before = sim.snapshotState()
    for (const instance of [groupA!.instances[0]!, groupB!.instances[0]!]) {
      const error = await sim.run(
        Effect.flip(AutoScaling.use((a) => a.attachInstances(groupA!.name, [instance.instanceId]))),
      )
      expect(error.message).toContain("already part of the Auto Scaling group")
    }
    expect(sim.snapshotState()).toEqual(before)
  })

  it("refuses an unknown or terminated instance", async () => {
    const { sim, ids } = await detachedFromSmall(1)
    await sim.run(Ec2.use((e) => e.terminateInstances(ids)))
    sim.advance(10 * 60_000)
    for (const instanceId of [ids[0]!, "i-does-not-exist"]) {
      const error = await sim.run(
        Effect.flip(AutoScaling.use((a) => a.attachInstances(asgName, [instanceId]))),
      )
      expect({ code: error.code, message: error.message }).toEqual({
        code: "ValidationError",
        message: expect.stringContaining("only running instances can be attached"),
      })
    }
  })

  it("refuses an instance outside the group's Availability Zones", async () => {
    const multi = scenarios["multi-asg"]
    const [groupA, groupB] = multi.groups
    const elsewhere: Scenario = {
      ...multi,
      groups: [groupA!, { ...groupB!, availabilityZones: ["us-east-1c"] }],
    }
    const sim = makeSimulation(elsewhere)
    const stranger = sim.snapshotState().groups[1]!.instances[0]!
    await sim.run(AutoScaling.use((a) => a.detachInstances(groupB!.name, [stranger.instanceId], true)))
    const error = await sim.run(
      Effect.flip(AutoScaling.use((a) => a.attachInstances(groupA!.name, [stranger.instanceId]))),
    )
    expect(error.message).toContain("not an Availability Zone of the Auto Scaling group")
  })

  it("refuses more than 20 ids in one request, as AWS does (the port batches)", () => {
    const world = createWorld(scenarios["large-200"], 1, {})
    const ids = [...world.instances.keys()].slice(0, 21)
    expect(() => attachInstances(world, "large-asg", ids)).toThrow("less than or equal to 20")
  })
})

describe("scale-in", () => {
  it("terminates instances of the older launch template version first, never protected ones", async () => {
    // The first instance is protected from scale-in.
    const protectedOne: Scenario = {
      ...small,
      groups: small.groups.map((g) => ({ ...g, initialProtected: 1 })),
    }
    const { sim, result } = await simulate(protectedOne, () =>
      Effect.gen(function* () {
        const autoScaling = yield* AutoScaling
        const before = yield* describeGroup()
        // New version with the new image, then 4 more instances of it.
        const ec2 = yield* Ec2
        yield* ec2.createLaunchTemplateVersion({
          launchTemplateId: small.launchTemplates[0]!.launchTemplateId,
          sourceVersion: "1",
          imageId: newImageId,
          description: "new",
          idempotencyKey: "k1",
        })
        yield* autoScaling.updateGroup({ asgName, desiredCapacity: 8 })
        yield* Effect.sleep("5 minutes")
        yield* autoScaling.updateGroup({ asgName, desiredCapacity: 5 })
        yield* Effect.sleep("5 minutes")
        return before.instances.map((i) => i.instanceId)
      }),
    )
    const live = sim.snapshotState().instances.filter((i) => i.state === "running")
    expect(live).toHaveLength(5)
    expect(live.filter((i) => result.includes(i.instanceId)).map((i) => i.instanceId)).toEqual([result[0]])
  })

  it("lowering desired keeps AZs balanced", async () => {
    const { sim } = await simulate(scenarios["standard-20"], () =>
      Effect.andThen(
        AutoScaling.use((a) => a.updateGroup({ asgName: "standard-asg", desiredCapacity: 11 })),
        Effect.sleep("5 minutes"),
      ),
    )
    const counts = Object.values(zonesOf(sim.snapshotState().groups[0]!.instances))
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
  })

  it("terminates nothing while the Terminate process is suspended", async () => {
    const { sim } = await simulate(small, () =>
      Effect.gen(function* () {
        const autoScaling = yield* AutoScaling
        yield* autoScaling.suspendProcesses(asgName, ["Terminate"])
        yield* autoScaling.updateGroup({ asgName, desiredCapacity: 2 })
        yield* Effect.sleep("5 minutes")
      }),
    )
    expect(sim.snapshotState().instances.filter((i) => i.state === "running")).toHaveLength(4)
  })
})

describe("TerminateInstanceInAutoScalingGroup", () => {
  it("without decrement replaces the instance; with decrement below min size it is refused", async () => {
    const { sim, result } = await simulate(small, () =>
      Effect.gen(function* () {
        const autoScaling = yield* AutoScaling
        const group = yield* describeGroup()
        yield* autoScaling.terminateInstanceInGroup(group.instances[0]!.instanceId, false)
        yield* autoScaling.updateGroup({ asgName, minSize: 4 })
        return yield* Effect.flip(autoScaling.terminateInstanceInGroup(group.instances[1]!.instanceId, true))
      }),
    )
    expect(result.kind).toBe("invalid-parameter")
    sim.advance(10 * 60_000)
    expect(
      sim.snapshotState().groups[0]!.instances.filter((i) => i.lifecycleState === "InService"),
    ).toHaveLength(4)
  })
})

describe("Standby and AZRebalance", () => {
  it("does not count Standby instances toward desired capacity", () => {
    const sim = makeSimulation({ ...small, groups: small.groups.map((g) => ({ ...g, initialStandby: 1 })) })
    sim.advance(10 * 60_000)
    const group = sim.snapshotState().groups[0]!
    expect(group.instances.filter((i) => i.lifecycleState === "InService")).toHaveLength(4)
    expect(group.instances.filter((i) => i.lifecycleState === "Standby")).toHaveLength(1)
  })

  it("rebalances unbalanced AZs by launching in the smaller AZ first, then terminating in the larger", async () => {
    const { sim } = await simulate(small, () =>
      Effect.gen(function* () {
        const autoScaling = yield* AutoScaling
        const group = yield* describeGroup()
        const inA = group.instances
          .filter((i) => i.availabilityZone === "us-east-1a")
          .map((i) => i.instanceId)
        yield* autoScaling.detachInstances(asgName, inA, true)
        yield* autoScaling.updateGroup({ asgName, desiredCapacity: 2 })
        // Both remaining instances are in us-east-1b: unbalanced by 2.
        yield* Effect.sleep("30 minutes")
      }),
    )
    const group = sim.snapshotState().groups[0]!
    expect(zonesOf(group.instances.filter((i) => i.lifecycleState === "InService"))).toEqual({
      "us-east-1a": 1,
      "us-east-1b": 1,
    })
    const descriptions = sim.snapshotState().activities.map((a) => a.description)
    const launch = descriptions.findIndex((d) => d.startsWith("Launching"))
    const terminate = descriptions.findIndex((d) => d.startsWith("Terminating"))
    expect(launch).toBeGreaterThanOrEqual(0)
    expect(terminate).toBeGreaterThan(launch)
  })

  it("leaves unbalanced AZs alone while AZRebalance is suspended", async () => {
    const { sim } = await simulate(small, () =>
      Effect.gen(function* () {
        const autoScaling = yield* AutoScaling
        yield* autoScaling.suspendProcesses(asgName, ["AZRebalance"])
        const group = yield* describeGroup()
        const inA = group.instances
          .filter((i) => i.availabilityZone === "us-east-1a")
          .map((i) => i.instanceId)
        yield* autoScaling.detachInstances(asgName, inA, true)
        yield* autoScaling.updateGroup({ asgName, desiredCapacity: 2 })
        yield* Effect.sleep("30 minutes")
      }),
    )
    expect(zonesOf(sim.snapshotState().groups[0]!.instances)).toEqual({ "us-east-1b": 2 })
  })
})

describe("launch spec forms", () => {
  it("cycles a mixed instances policy's overrides across launches", () => {
    const sim = makeSimulation(scenarios["mixed-instances"])
    expect(sim.snapshotState().instances.map((i) => i.instanceType)).toEqual([
      "m5.large",
      "m6i.large",
      "m5.large",
      "m6i.large",
    ])
  })

  it("launches a launch configuration's image and type", async () => {
    const scenario = scenarios["launch-configuration"]
    const configuration = scenario.launchConfigurations[0]!
    const { sim } = await simulate(scenario, () =>
      Effect.andThen(
        AutoScaling.use((a) => a.updateGroup({ asgName: "launch-configuration-asg", desiredCapacity: 5 })),
        Effect.sleep("2 minutes"),
      ),
    )
    const launched = sim.snapshotState().instances.at(-1)!
    expect([launched.imageId, launched.instanceType]).toEqual([
      configuration.imageId,
      configuration.instanceType,
    ])
  })

  it("feeds one cluster from several groups", () => {
    const sim = makeSimulation(scenarios["multi-asg"])
    const byGroup = sim.snapshotState().groups.map((g) => g.instances.length)
    expect(byGroup).toEqual([4, 4])
    expect(sim.snapshotState().containerInstances).toHaveLength(8)
  })
})
