/**
 * The reference algorithms on the simulator: the Go tool's forced deregistration takes single-task
 * services down where a plain drain at min 100% / max 200% does not; its single DetachInstances call
 * fails above 20 instances; ASG instance refresh replaces every instance without draining.
 */
import { AutoScaling, Ec2, Ecs } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import {
  makeSimulation,
  newImageId,
  oldImageId,
  runGoToolBaseline,
  runInstanceRefreshBaseline,
  scenarios,
  withManagedDraining,
} from "../src/index.ts"
import { terminationCalls } from "../src/testing.ts"

/** The instances the simulation started with (the first ones created). */
const scenarioInstanceIds = (sim: ReturnType<typeof makeSimulation>) =>
  sim
    .snapshotState()
    .instances.slice(
      0,
      sim.scenario.groups.reduce((n, g) => n + g.desiredCapacity, 0),
    )
    .map((i) => i.instanceId)

const liveImages = (sim: ReturnType<typeof makeSimulation>) => [
  ...new Set(
    sim
      .snapshotState()
      .instances.filter((i) => i.state === "running" || i.state === "pending")
      .map((i) => i.imageId),
  ),
]

/** A simple, correct rollout: surge, point the template at the new image, drain the old instances with DRAINING, wait, terminate. */
const handWrittenDrain = (clusterName: string, asgName: string) =>
  Effect.gen(function* () {
    const ec2 = yield* Ec2
    const autoScaling = yield* AutoScaling
    const ecs = yield* Ecs
    const [group] = yield* autoScaling.describeGroups([asgName])
    if (group === undefined || group.launchSpec._tag !== "LaunchTemplate")
      return yield* Effect.die("unexpected group")
    yield* ec2.createLaunchTemplateVersion({
      launchTemplateId: group.launchSpec.template.launchTemplateId,
      sourceVersion: "$Latest",
      imageId: newImageId,
      description: "hand-written drain",
      idempotencyKey: "hand-1",
    })
    const oldIds = new Set(group.instances.map((i) => i.instanceId))
    yield* autoScaling.suspendProcesses(asgName, ["AZRebalance"])
    yield* autoScaling.updateGroup({ asgName, desiredCapacity: group.desiredCapacity * 2 })
    for (;;) {
      const registered = yield* ecs.containerInstances(clusterName)
      if (
        registered.filter((ci) => ci.status === "ACTIVE" && !oldIds.has(ci.ec2InstanceId)).length >=
        group.desiredCapacity
      )
        break
      yield* Effect.sleep("15 seconds")
    }
    const old = (yield* ecs.containerInstances(clusterName)).filter((ci) => oldIds.has(ci.ec2InstanceId))
    for (let index = 0; index < old.length; index += 10) {
      yield* ecs.updateContainerInstancesState(
        clusterName,
        old.slice(index, index + 10).map((ci) => ci.containerInstanceArn),
        "DRAINING",
      )
    }
    for (;;) {
      const tasks = yield* ecs.tasks(clusterName)
      const oldArns = new Set(old.map((ci) => ci.containerInstanceArn))
      if (
        !tasks.some(
          (t) =>
            t.lastStatus !== "STOPPED" &&
            t.containerInstanceArn !== undefined &&
            oldArns.has(t.containerInstanceArn),
        )
      )
        break
      yield* Effect.sleep("15 seconds")
    }
    for (const instanceId of oldIds) yield* autoScaling.terminateInstanceInGroup(instanceId, true)
    yield* autoScaling.resumeProcesses(asgName, ["AZRebalance"])
    yield* Effect.sleep("5 minutes")
  })

describe("the Go tool's algorithm", () => {
  it("on single-task-services, completes but leaves services below their floor; a DRAINING rollout does not", async () => {
    const goTool = makeSimulation(scenarios["single-task-services"], { seed: 3 })
    const outcome = await Effect.runPromise(
      runGoToolBaseline(goTool, { clusterName: "single-task-services-cluster" }),
    )
    expect(outcome.status).toBe("completed")
    expect(liveImages(goTool)).toEqual([newImageId])
    const oldIds = scenarioInstanceIds(goTool)
    // Each old instance terminated once, and the last one again: still shutting down when the tool
    // swept the instances it had tagged.
    expect([...terminationCalls(goTool).entries()]).toEqual(
      oldIds.map((id, index) => [id, index === oldIds.length - 1 ? 2 : 1]),
    )
    const sweep = outcome.steps.filter((s) => s.step.startsWith("sweeping"))
    expect(sweep.map((s) => s.step)).toEqual([`sweeping ${oldIds.at(-1)} (shutting-down)`])
    // Each forced deregistration is an AWS request of the Go tool, measured like its port calls.
    expect(goTool.metrics().apiCalls.awsRequestsByAction["ecs:DeregisterContainerInstance"]).toBe(
      oldIds.length,
    )
    expect(goTool.metrics().serviceSecondsBelowFloor).toBeGreaterThan(0)
    expect(goTool.metrics().serviceSecondsWithZeroHealthy).toBeGreaterThan(0)

    const drained = makeSimulation(scenarios["single-task-services"], { seed: 3 })
    await drained.run(handWrittenDrain("single-task-services-cluster", "single-asg"))
    expect(liveImages(drained)).toEqual([newImageId])
    expect(drained.metrics().serviceSecondsBelowFloor).toBe(0)
    expect(drained.metrics().serviceSecondsWithZeroHealthy).toBe(0)
  })

  it("fails at its single DetachInstances call on a group of more than 20 instances, as the real tool did", async () => {
    const sim = makeSimulation(scenarios["large-200"])
    const outcome = await Effect.runPromise(runGoToolBaseline(sim, { clusterName: "large-200-cluster" }))
    expect(outcome.status).toBe("failed")
    expect(outcome.failure).toContain("DetachInstances with 200 ids in one request: ValidationError")
    expect(sim.callLog.some((c) => c.operation === "autoscaling:DetachInstances")).toBe(false)
    // Before that: one DescribeInstances of every instance for the group tag, then one per instance
    // while looking for an old image, stopping at the first (all are old here).
    expect(sim.metrics().apiCalls.byOperation["ec2:DescribeInstances"]).toBe(2)
  })

  it("on a cluster fed by two groups, waits for 2 × the first group's desired count of registered instances, which the other group's make impossible once the replacements register", async () => {
    const scenario = scenarios["multi-asg"]
    const sim = makeSimulation(scenario)
    const outcome = await Effect.runPromise(runGoToolBaseline(sim, { clusterName: "multi-asg-cluster" }))
    const [first, second] = scenario.groups
    const target = 2 * first!.desiredCapacity
    expect(outcome.status).toBe("failed")
    expect(outcome.failure).toBe(
      `timeout while waiting for cluster multi-asg-cluster to have ${target} instances`,
    )
    const registered = sim.snapshotState().containerInstances.filter((c) => c.status === "ACTIVE").length
    expect(registered).toBe(target + second!.desiredCapacity)
  })
})

describe("the Go tool's waits, as upgrader.go wrote them", () => {
  const scenario = scenarios["standard-20"]
  const clusterName = scenario.clusters[0]!.name
  const run = async (options: Partial<Parameters<typeof runGoToolBaseline>[1]> = {}) => {
    const sim = makeSimulation(scenario)
    const outcome = await Effect.runPromise(runGoToolBaseline(sim, { clusterName, ...options }))
    return { sim, outcome }
  }

  it("waits for InService with the SDK's GroupInService waiter: at once, then 15 s, then backing off with jitter up to 120 s", async () => {
    const { sim, outcome } = await run()
    const detachedAt = outcome.steps.find((s) => s.step.startsWith("detached"))!.at
    const registeredAt = outcome.steps.find((s) => s.step === "replacements registered")!.at
    const lastDetach = sim.callLog.findLastIndex((c) => c.operation === "autoscaling:DetachInstances")
    const looks = sim.callLog
      .slice(lastDetach)
      .filter((c) => c.operation === "autoscaling:DescribeAutoScalingGroups" && c.at <= registeredAt)
      .map((c) => c.at)
    expect(looks[0]).toBe(detachedAt)
    const gaps = looks.slice(1).map((at, index) => at - looks[index]!)
    expect(gaps.length).toBeGreaterThan(1)
    expect(gaps[0]).toBe(15_000)
    gaps.forEach((gap, index) => {
      expect(gap).toBeGreaterThanOrEqual(15_000)
      expect(gap).toBeLessThan(Math.min(120_000, 15_000 * 2 ** index) + 1)
    })
  })

  it("sleeps before every look while waiting for a stable cluster: six quiet DescribeClusters, then services 10 at a time", async () => {
    const { sim, outcome } = await run()
    const interval = 5_000
    const servicePages = Math.ceil(scenario.services.length / 10)
    const terminations = outcome.steps.filter((s) => s.step.startsWith("terminated"))
    // From one termination to the next: a stable cluster after it and before the next, each at least
    // six sleeps before DescribeClusters and one sleep before each page of DescribeServices.
    terminations.slice(1).forEach((termination, index) => {
      expect(termination.at - terminations[index]!.at).toBeGreaterThanOrEqual(
        2 * (6 + servicePages) * interval,
      )
    })
    const servicesCalls = sim.callLog.filter((c) => c.operation === "ecs:DescribeServices")
    for (const call of servicesCalls)
      expect(
        (call.input as { readonly serviceArns: ReadonlyArray<string> }).serviceArns.length,
      ).toBeLessThanOrEqual(10)
    // ListServices alone before each round of DescribeServices pages, as listServiceARNs did.
    expect(sim.metrics().apiCalls.awsRequestsByAction["ecs:ListServices"]).toBe(terminations.length * 2)
  })

  it("with DetachInstances in batches (the 'Go with batching' contender), detaches every instance at most that many ids a request and completes", async () => {
    const { sim, outcome } = await run({ detachBatchSize: 7 })
    expect(outcome.status).toBe("completed")
    const detaches = sim.callLog.filter((c) => c.operation === "autoscaling:DetachInstances")
    const ids = detaches.flatMap(
      (c) => (c.input as { readonly instanceIds: ReadonlyArray<string> }).instanceIds,
    )
    expect(
      detaches.map((c) => (c.input as { readonly instanceIds: ReadonlyArray<string> }).instanceIds.length),
    ).toEqual([7, 7, 6])
    expect(new Set(ids)).toEqual(new Set(scenarioInstanceIds(sim)))
    expect(liveImages(sim)).toEqual([newImageId])
  })
})

describe("a DRAINING rollout at scale", () => {
  it("replaces all 200 instances of large-200 without a second below any service's floor", async () => {
    const sim = makeSimulation(scenarios["large-200"], { seed: 5 })
    await sim.run(handWrittenDrain("large-200-cluster", "large-asg"))
    expect(liveImages(sim)).toEqual([newImageId])
    expect(sim.metrics().serviceSecondsBelowFloor).toBe(0)
    expect(sim.metrics().instances.peakExtraInstances).toBe(200)
  })
})

describe("ASG instance refresh", () => {
  it("replaces every instance with the new image, terminating without draining", async () => {
    const sim = makeSimulation(scenarios["single-task-services"])
    const outcome = await Effect.runPromise(runInstanceRefreshBaseline(sim, { asgName: "single-asg" }))
    expect(outcome.status).toBe("completed")
    expect(liveImages(sim)).toEqual([newImageId])
    expect(sim.metrics().serviceSecondsWithZeroHealthy).toBeGreaterThan(0)
    expect(sim.snapshotState().tasks.some((t) => t.stopReason?.includes("instance refresh") === true)).toBe(
      true,
    )
  })

  it("counts StartInstanceRefresh and every DescribeInstanceRefreshes status poll as AWS requests", async () => {
    const sim = makeSimulation(scenarios["single-task-services"])
    const outcome = await Effect.runPromise(runInstanceRefreshBaseline(sim, { asgName: "single-asg" }))
    const at = (step: string) => outcome.steps.find((s) => s.step.startsWith(step))!.at
    // Polled every 15 s from the start until the poll that saw it end, which is the last.
    const polls = (at("instance refresh successful") - at("instance refresh ")) / 15_000 + 1
    const requests = sim.metrics().apiCalls.awsRequestsByAction
    expect(requests["autoscaling:StartInstanceRefresh"]).toBe(1)
    expect(requests["autoscaling:DescribeInstanceRefreshes"]).toBe(polls)
    expect(sim.callLog.at(-1)?.operation).toBe("autoscaling:DescribeInstanceRefreshes")
  })
})

describe("ASG instance refresh with MaxHealthyPercentage and ECS managed instance draining", () => {
  const standard = scenarios["standard-20"]
  const asgName = standard.groups[0]!.name
  const desired = standard.groups[0]!.desiredCapacity
  /** A refresh launching before terminating, up to `maxHealthyPercentage`, with a 60 s warmup. */
  const launchFirst = async (sim: ReturnType<typeof makeSimulation>, maxHealthyPercentage: number) => {
    const outcome = await Effect.runPromise(
      runInstanceRefreshBaseline(sim, {
        asgName,
        minHealthyPercentage: 100,
        maxHealthyPercentage,
        instanceWarmupMs: 60_000,
      }),
    )
    expect(outcome.status).toBe("completed")
    expect(liveImages(sim)).toEqual([newImageId])
  }

  it("launches replacements before terminating above MaxHealthyPercentage 100, never more than it allows", async () => {
    const sim = makeSimulation(standard)
    await launchFirst(sim, 150)
    // Without draining, a terminated old instance leaves capacity at once: the extra is the range's.
    expect(sim.metrics().instances.peakExtraInstances).toBe(Math.floor((desired * 150) / 100) - desired)
  })

  it("with managed draining, every old instance drains before it terminates and no service drops below its floor", async () => {
    const sim = makeSimulation(withManagedDraining(standard))
    // Reported Successful only once the last old instance, drained in Terminating:Wait, has
    // terminated: no old image is left live when the baseline ends.
    await launchFirst(sim, 200)
    expect(sim.metrics().serviceSecondsBelowFloor).toBe(0)
    expect(sim.snapshotState().tasks.some((t) => t.stopReason?.includes("instance refresh") === true)).toBe(
      false,
    )
  })

  it("is refused, with no instance touched, for a healthy range AWS refuses", async () => {
    const sim = makeSimulation(standard)
    const outcome = await Effect.runPromise(
      runInstanceRefreshBaseline(sim, { asgName, minHealthyPercentage: 40, maxHealthyPercentage: 150 }),
    )
    expect(outcome.status).toBe("failed")
    expect(outcome.failure).toContain("cannot be greater than 100")
    expect(terminationCalls(sim).size).toBe(0)
    sim.advance(600_000)
    expect(liveImages(sim)).toEqual([oldImageId])
  })
})
