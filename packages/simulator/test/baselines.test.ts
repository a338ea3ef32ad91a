/**
 * The reference algorithms on the simulator: the Go tool's forced deregistration takes single-task
 * services down where a plain drain at min 100% / max 200% does not; its single DetachInstances call
 * fails above 20 instances; ASG instance refresh replaces every instance without draining.
 */
import { AutoScaling, Ec2, Ecs } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import {
  defaultTimings,
  makeSimulation,
  newImageId,
  oldImageId,
  runGoToolBaseline,
  runInstanceRefreshBaseline,
  scenarios,
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
    expect([...terminationCalls(goTool).entries()]).toEqual(oldIds.map((id) => [id, 1]))
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
    // One DescribeInstances per instance before that, as the Go tool did.
    expect(sim.metrics().apiCalls.byOperation["ec2:DescribeInstances"]).toBe(201)
  })

  it("on a cluster fed by two groups, passes its count wait at once and terminates the other group's instances too", async () => {
    const sim = makeSimulation(scenarios["multi-asg"])
    const groupB = sim.snapshotState().groups[1]!.instances.map((i) => i.instanceId)
    const outcome = await Effect.runPromise(runGoToolBaseline(sim, { clusterName: "multi-asg-cluster" }))
    // 4 + 4 registered already equals 2 × the first group's desired capacity of 4: the wait ends
    // before any replacement could have registered.
    const at = (step: string) => outcome.steps.find((s) => s.step.startsWith(step))!.at
    const earliestRegistration =
      defaultTimings.autoScalingReactionMs +
      defaultTimings.instancePendingMs +
      defaultTimings.agentRegistrationMs
    expect(at("replacements registered") - at("detached")).toBeLessThan(earliestRegistration)
    const after = sim.snapshotState()
    expect(
      after.instances.filter((i) => groupB.includes(i.instanceId)).every((i) => i.state !== "running"),
    ).toBe(true)
    // Group B replaces them from its own, unchanged launch template: still the old image.
    const liveB = after.groups[1]!.instances.map(
      (i) => after.instances.find((x) => x.instanceId === i.instanceId)!.imageId,
    )
    expect(new Set(liveB)).toEqual(new Set([oldImageId]))
    expect(sim.metrics().serviceSecondsBelowFloor).toBeGreaterThan(0)
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
