/**
 * What a rollout asks AWS while it polls (observation-memory.ts, wait-watch.ts): data that does not
 * change under a run is read once, STOPPED tasks are not listed at every poll, a drain is watched by
 * describing only its own tasks, and a DEACTIVATING task is not looked at every poll interval —
 * without the rollout taking longer or missing what it must see.
 */
import { describe, expect, it } from "vitest"
import { Exit } from "effect"
import { defaultPolicy, type RolloutPolicy, type Task } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { newImageId } from "@ecs-ami-deploy/simulator"
import { runRollout } from "../src/index.ts"
import { STATIC_DATA_MAX_AGE_MS, STOPPED_LIST_INTERVAL_MS } from "../src/observation-memory.ts"
import { DEFAULT_DEREGISTRATION_DELAY_MS, DeactivationClock, WATCH_MAX_MS } from "../src/wait-watch.ts"
import { endState, makeWorld, testSettings } from "./harness.ts"

const policy: RolloutPolicy = { ...defaultPolicy, unsafeServices: "proceed" }

const rollOut = async (scenario: string) => {
  const world = makeWorld(scenario)
  const exit = await world.run(
    runRollout({ clusterName: world.clusterName, policy, holder: "test", settings: testSettings }),
    makeMemoryEventLog(emptyMemoryStorage()),
  )
  return { world, exit, calls: world.simulation.callLog }
}

describe("observing a rollout economically", () => {
  it("given standard-20, when rolled out, then it succeeds with no service below its floor, reads each task definition once, terminates each old instance through Auto Scaling once, lists STOPPED tasks at most every 2 minutes and observes the whole cluster far less often than every poll", async () => {
    const { world, exit, calls } = await rollOut("standard-20")
    expect(Exit.isSuccess(exit) && exit.value._tag === "Finished" && exit.value.outcome).toBe("succeeded")
    const end = endState(world)
    expect(end.liveImages).toEqual([newImageId])
    expect(end.secondsBelowFloor).toBe(0)

    const requests = world.simulation.metrics().apiCalls.awsRequestsByAction
    const services = world.simulation.scenario.services.length
    expect(requests["ecs:DescribeTaskDefinition"]).toBe(services)
    // The services are listed with the data that does not change under a run: at most every 5 minutes.
    const duration = world.simulation.metrics().simulatedDurationMs
    expect(requests["ecs:ListServices"]).toBeLessThanOrEqual(Math.ceil(duration / STATIC_DATA_MAX_AGE_MS) + 1)
    // Terminations go through Auto Scaling, once per old instance (its lifecycle hooks run; EC2's
    // DisableApiTermination does not apply), never detached first nor terminated by EC2 in a batch.
    const oldInstances = world.simulation.scenario.groups.reduce((n, g) => n + g.desiredCapacity, 0)
    expect(requests["autoscaling:TerminateInstanceInAutoScalingGroup"]).toBe(oldInstances)
    expect(requests["autoscaling:DetachInstances"]).toBeUndefined()
    expect(requests["ec2:TerminateInstances"]).toBeUndefined()

    const stoppedLists = calls
      .filter(
        (call) =>
          call.operation === "ecs:ListTasks" &&
          (call.input as { readonly desiredStatus: string }).desiredStatus === "STOPPED",
      )
      .map((call) => call.at)
    const gaps = stoppedLists.slice(1).map((at, index) => at - (stoppedLists[index] ?? at))
    expect(gaps.filter((gap) => gap < STOPPED_LIST_INTERVAL_MS)).toEqual([])

    // A full observation lists the container instances (the last look before a drain describes a few by
    // ARN); between two of them no more than a watch's longest.
    const fullObservations = calls
      .filter(
        (call) =>
          call.operation === "ecs:DescribeContainerInstances" &&
          (call.input as { readonly containerInstanceArns?: unknown }).containerInstanceArns === undefined,
      )
      .map((call) => call.at)
    expect(fullObservations.length).toBeLessThan(duration / policy.pollIntervalMs / 4)
    // New capacity, once asked for: observed once it has registered — watched until then by
    // DescribeAutoScalingGroups (launching) and DescribeClusters (registering), with no observation between.
    const askedAt =
      calls.find(
        (call) =>
          call.operation === "autoscaling:UpdateAutoScalingGroup" &&
          (call.input as { readonly desiredCapacity?: number }).desiredCapacity !== undefined,
      )?.at ?? 0
    const drainAt = calls.find((call) => call.operation === "ecs:UpdateContainerInstancesState")?.at ?? 0
    // (the observation after the drain command shares its simulated time, hence 2)
    expect(fullObservations.filter((at) => at > askedAt && at <= drainAt).length).toBeLessThanOrEqual(2)
    const longest = Math.max(
      ...fullObservations.slice(1).map((at, index) => at - (fullObservations[index] ?? at)),
    )
    expect(longest).toBeLessThanOrEqual(WATCH_MAX_MS)
  })
})

describe("reading ECS only when it can have changed", () => {
  it("given a run's commands, when the next observation follows Auto Scaling or EC2 commands with no wait, then it reads no ECS; after a drain it reads ECS again", async () => {
    const { exit, calls } = await rollOut("standard-20")
    expect(Exit.isSuccess(exit) && exit.value._tag === "Finished" && exit.value.outcome).toBe("succeeded")
    const startedAt = calls[0]?.at ?? 0
    const atStart = calls.filter((call) => call.at === startedAt)
    // Several observations at the start (one after each preparing command), one ECS read.
    expect(
      atStart.filter((call) => call.operation === "autoscaling:DescribeAutoScalingGroups").length,
    ).toBeGreaterThan(1)
    expect(atStart.filter((call) => call.mutating).length).toBeGreaterThan(1)
    expect(atStart.filter((call) => call.operation === "ecs:DescribeContainerInstances").length).toBe(1)
    // A drain (ECS reports it at once) is followed by an observation reading ECS again.
    calls.forEach((call, index) => {
      if (call.operation !== "ecs:UpdateContainerInstancesState") return
      const nextRead = calls
        .slice(index + 1)
        .find(
          (later) =>
            later.operation === "ecs:DescribeContainerInstances" ||
            later.operation === "autoscaling:DescribeAutoScalingGroups",
        )
      expect(nextRead?.operation).not.toBe("autoscaling:DescribeAutoScalingGroups")
    })
  })

  it("given a drain of fewer tasks than one request holds, when watched, then every look is one request describing every task left", async () => {
    const { calls } = await rollOut("standard-20")
    // The last drain: after it, nothing but the drain is waited for (the wave's extension, if any, is issued).
    const drainAt =
      calls.filter((call) => call.operation === "ecs:UpdateContainerInstancesState").at(-1)?.at ?? 0
    const nextObservation =
      calls.find((call) => call.operation === "ecs:DescribeContainerInstances" && call.at > drainAt)?.at ??
      Infinity
    const looks = calls.filter(
      (call) => call.operation === "ecs:DescribeTasks" && call.at > drainAt && call.at < nextObservation,
    )
    expect(looks.length).toBeGreaterThan(1)
    // Tasks due later ride along in the request the due ones take: each look sees every task not yet STOPPED.
    const sizes = looks.map(
      (call) => (call.input as { readonly taskArns: ReadonlyArray<string> }).taskArns.length,
    )
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a))
    expect(looks.every((call) => call.awsRequests?.["ecs:DescribeTasks"] === 1)).toBe(true)
  })
})

const task = (taskArn: string, lastStatus: Task["lastStatus"], group = "service:web"): Task => ({
  taskArn,
  group,
  serviceName: group.slice("service:".length),
  lastStatus,
  desiredStatus: lastStatus === "RUNNING" ? "RUNNING" : "STOPPED",
  healthStatus: "UNKNOWN",
  cpu: 256,
  memory: 512,
  hostPorts: [],
})

describe("DeactivationClock", () => {
  const poll = 5_000

  it("given a task that can still finish soon, when asked, then the next look is one poll interval away", () => {
    const clock = new DeactivationClock()
    clock.see([task("a", "DEACTIVATING"), task("b", "STOPPING")], 0)
    expect(clock.nextLookMs([task("a", "DEACTIVATING"), task("b", "STOPPING")], 0, poll)).toBe(poll)
  })

  it("given tasks DEACTIVATING with no delay seen yet, when asked, then the look comes after a fifth of the time spent (at most 30 s) and a poll before the default delay ends", () => {
    const clock = new DeactivationClock()
    const deactivating = [task("a", "DEACTIVATING")]
    clock.see(deactivating, 0)
    expect(clock.nextLookMs(deactivating, 0, poll)).toBe(poll)
    expect(clock.nextLookMs(deactivating, 100_000, poll)).toBe(20_000)
    expect(clock.nextLookMs(deactivating, 200_000, poll)).toBe(30_000)
    const beforeEnd = DEFAULT_DEREGISTRATION_DELAY_MS - poll - 280_000
    expect(clock.nextLookMs(deactivating, 280_000, poll)).toBe(Math.max(poll, beforeEnd))
  })

  it("given a delay seen for a service, when its next task DEACTIVATES, then the look comes a poll before the same delay ends", () => {
    const clock = new DeactivationClock()
    clock.see([task("a", "DEACTIVATING")], 0)
    clock.see([task("a", "DEACTIVATING")], 40_000)
    clock.see([task("a", "STOPPED")], 45_000)
    const next = [task("b", "DEACTIVATING")]
    clock.see(next, 100_000)
    expect(clock.nextLookMs(next, 100_000, poll)).toBe(40_000 - poll)
    // Another service's tasks do not inherit it.
    const other = [task("c", "DEACTIVATING", "service:api")]
    clock.see(other, 100_000)
    expect(clock.nextLookMs(other, 100_000, poll)).toBe(poll)
  })

  it("given a task waiting on a draining instance for its replacement, when asked, then the look comes after half its wait (at most 30 s), and once it DEACTIVATES its end is counted from the last look before", () => {
    const clock = new DeactivationClock()
    clock.see([task("old", "DEACTIVATING")], 0)
    clock.see([task("old", "DEACTIVATING")], 100_000)
    clock.see([task("old", "STOPPED")], 105_000)
    clock.see([task("a", "RUNNING")], 0)
    expect(clock.nextLookMs([task("a", "RUNNING")], 40_000, poll)).toBe(20_000)
    expect(clock.nextLookMs([task("a", "RUNNING")], 100_000, poll)).toBe(30_000)
    clock.see([task("a", "RUNNING")], 120_000)
    const deactivating = [task("a", "DEACTIVATING")]
    clock.see(deactivating, 150_000)
    expect(clock.nextLookMs(deactivating, 150_000, poll)).toBe(120_000 + 100_000 - poll - 150_000)
  })

  it("given a task first seen waiting, when asked, then the first look comes 15 s later, not one poll", () => {
    const clock = new DeactivationClock()
    clock.see([task("a", "RUNNING")], 0)
    expect(clock.nextLookMs([task("a", "RUNNING")], 0, poll)).toBe(15_000)
    expect(clock.nextLookMs([task("a", "RUNNING")], 10_000, poll)).toBe(5_000)
  })

  it("given the deregistration delay read from its target groups, when a task of the service DEACTIVATES, then the look comes a poll before that delay ends, with nothing seen before", () => {
    const clock = new DeactivationClock()
    clock.know("service:web", 60_000)
    clock.see([task("a", "RUNNING")], 0)
    const deactivating = [task("a", "DEACTIVATING")]
    clock.see(deactivating, 10_000)
    expect(clock.nextLookMs(deactivating, 10_000, poll)).toBe(60_000 - poll - 10_000)
    // Without it, the same task is looked at after a poll, a fifth of its time DEACTIVATING at most.
    const unknown = new DeactivationClock()
    unknown.see([task("a", "RUNNING")], 0)
    unknown.see(deactivating, 10_000)
    expect(unknown.nextLookMs(deactivating, 10_000, poll)).toBe(poll)
  })
})
