/**
 * ECS behaviour: the documented draining semantics (minimumHealthyPercent / maximumPercent,
 * PENDING tasks, daemon tasks last, standalone tasks untouched), placement without room, forced
 * deregistration, task stop lifecycle, instance loss and failing health checks.
 */
import { AutoScaling, Ec2, Ecs } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { defaultTimings, makeSimulation, scenarios } from "../src/index.ts"
import { healthyTimeline, hostOf, oneService, simulate } from "./helpers.ts"

const drain = (clusterName: string, arns: ReadonlyArray<string>) =>
  Ecs.use((ecs) => ecs.updateContainerInstancesState(clusterName, arns, "DRAINING"))

const cluster = "single-task-services-cluster"

describe("draining a container instance", () => {
  it("given min 100% / max 200%, the replacement becomes healthy before the old task stops", async () => {
    const { sim } = await simulate(oneService({ minimumHealthyPercent: 100, maximumPercent: 200 }), (sim) =>
      Effect.andThen(drain(cluster, [hostOf(sim, "billing")]), Effect.sleep("30 minutes")),
    )
    expect(healthyTimeline(sim, "billing")).toEqual([1, 2, 1])
    expect(sim.metrics().serviceSecondsBelowFloor).toBe(0)
  })

  it("given min 0% / max 100%, ECS stops the old task first and the service has no healthy task for a while", async () => {
    const { sim } = await simulate(oneService({ minimumHealthyPercent: 0, maximumPercent: 100 }), (sim) =>
      Effect.andThen(drain(cluster, [hostOf(sim, "billing")]), Effect.sleep("30 minutes")),
    )
    expect(healthyTimeline(sim, "billing")).toEqual([1, 0, 1])
    expect(sim.metrics().serviceSecondsWithZeroHealthy).toBeGreaterThan(0)
    // The floor is 0 tasks, so no second is below it.
    expect(sim.metrics().serviceSecondsBelowFloor).toBe(0)
  })

  it("given no room elsewhere, the replacement stays PENDING without an instance and the old task keeps running", async () => {
    const scenario = scenarios["tight-capacity"]
    const { sim, result } = await simulate(scenario, (sim) =>
      Effect.gen(function* () {
        yield* drain("tight-capacity-cluster", [hostOf(sim, "memory-hog")])
        yield* Effect.sleep("1 hour")
        return yield* Ecs.use((ecs) => ecs.tasks("tight-capacity-cluster"))
      }),
    )
    const hogs = result.filter((t) => t.serviceName === "memory-hog")
    expect(
      hogs.filter((t) => t.lastStatus === "PENDING" && t.containerInstanceArn === undefined),
    ).toHaveLength(1)
    expect(hogs.filter((t) => t.lastStatus === "RUNNING")).toHaveLength(3)
    const draining = sim.snapshotState().containerInstances.find((ci) => ci.status === "DRAINING")
    expect(draining?.runningTasksCount).toBeGreaterThan(0)
  })

  it("given a daemon service, its task on the draining instance stops only after the other service tasks left", async () => {
    const scenario = scenarios["daemon-and-standalone"]
    const { sim } = await simulate(scenario, (sim) =>
      Effect.gen(function* () {
        const autoScaling = yield* AutoScaling
        yield* autoScaling.updateGroup({ asgName: "daemon-asg", desiredCapacity: 6 })
        yield* Effect.sleep("5 minutes")
        yield* drain("daemon-and-standalone-cluster", [hostOf(sim, "web")])
        yield* Effect.sleep("30 minutes")
      }),
    )
    const state = sim.snapshotState()
    const drained = state.containerInstances.find((ci) => ci.status === "DRAINING")!
    const onDrained = state.tasks.filter((t) => t.containerInstanceArn === drained.containerInstanceArn)
    const stoppedAt = (predicate: (t: (typeof onDrained)[number]) => boolean) =>
      onDrained.filter((t) => predicate(t) && t.lastStatus === "STOPPED")
    const daemon = stoppedAt((t) => t.serviceName === "log-router")
    const replicas = stoppedAt((t) => t.serviceName !== undefined && t.serviceName !== "log-router")
    expect(daemon).toHaveLength(1)
    expect(replicas.length).toBeGreaterThan(0)
    // The call log has no stop times; the daemon's stop must follow the replicas' in the health timeline.
    const daemonTimeline = sim.metrics().services.find((s) => s.service.endsWith("/log-router"))!.timeline
    const webTimeline = sim.metrics().services.find((s) => s.service.endsWith("/web"))!.timeline
    const daemonDrop = daemonTimeline.find((p, i) => i > 0 && p.healthy < daemonTimeline[i - 1]!.healthy)!
    const webLastChange = webTimeline.at(-1)!
    expect(daemonDrop.at).toBeGreaterThan(webLastChange.at)
    // New instances wait a moment for their daemon task: not counted as lost availability.
    expect(sim.metrics().serviceSecondsBelowFloor).toBe(0)
  })

  it("leaves standalone tasks running on a draining instance", async () => {
    const scenario = scenarios["daemon-and-standalone"]
    const { sim } = await simulate(scenario, () =>
      Effect.gen(function* () {
        const ecs = yield* Ecs
        const instances = yield* ecs.containerInstances("daemon-and-standalone-cluster")
        yield* ecs.updateContainerInstancesState(
          "daemon-and-standalone-cluster",
          instances.map((ci) => ci.containerInstanceArn),
          "DRAINING",
        )
        yield* Effect.sleep("1 hour")
      }),
    )
    const standalone = sim.snapshotState().tasks.filter((t) => t.serviceName === undefined)
    expect(standalone.map((t) => t.lastStatus)).toEqual(["RUNNING", "RUNNING"])
  })

  it("drains more than 10 container instances in requests of at most 10, as UpdateContainerInstancesState requires", async () => {
    const sim = makeSimulation(scenarios["standard-20"])
    const arns = await sim.run(
      Effect.gen(function* () {
        const ecs = yield* Ecs
        const instances = yield* ecs.containerInstances("standard-20-cluster")
        const arns = instances.slice(0, 11).map((ci) => ci.containerInstanceArn)
        yield* ecs.updateContainerInstancesState("standard-20-cluster", arns, "DRAINING")
        return arns
      }),
    )
    const draining = sim.snapshotState().containerInstances.filter((ci) => ci.status === "DRAINING")
    expect(draining.map((ci) => ci.containerInstanceArn).sort()).toEqual([...arns].sort())
    expect(sim.callLog.at(-1)?.awsRequests).toEqual({ "ecs:UpdateContainerInstancesState": 2 })
  })
})

describe("forced deregistration", () => {
  it("drops the load balancer target at once: the single-task service has no healthy task until its copy is up", async () => {
    const { sim, result: calledAt } = await simulate(oneService({}), (sim) =>
      Effect.gen(function* () {
        yield* Effect.sleep("1 minute")
        const calledAt = sim.now()
        sim.forceDeregisterContainerInstance(cluster, hostOf(sim, "billing"))
        yield* Effect.sleep("30 minutes")
        return calledAt
      }),
    )
    const timeline = sim.metrics().services[0]!.timeline
    expect(timeline.map((p) => p.healthy)).toEqual([1, 0, 1])
    // Dropped at the moment of the call, not after a deregistration delay.
    expect(timeline[1]!.at).toBe(calledAt)
    const orphan = sim.snapshotState().tasks.find((t) => t.lastStatus === "STOPPED")
    expect(orphan?.stopReason).toMatch(/orphaned/)
  })
})

describe("task stop lifecycle", () => {
  it("keeps a load-balanced task DEACTIVATING for the deregistration delay, then STOPPING, then STOPPED", async () => {
    const sim = makeSimulation(oneService({ minimumHealthyPercent: 0 }))
    const taskArn = sim.snapshotState().tasks[0]!.taskArn
    await sim.run(Ecs.use((ecs) => ecs.stopTask(cluster, taskArn, "test")))
    const status = () => sim.snapshotState().tasks.find((t) => t.taskArn === taskArn)?.lastStatus
    expect(status()).toBe("DEACTIVATING")
    sim.advance(defaultTimings.deregistrationDelayMs - 1)
    expect(status()).toBe("DEACTIVATING")
    sim.advance(1)
    expect(status()).toBe("STOPPING")
    sim.advance(defaultTimings.taskStopMs)
    expect(status()).toBe("STOPPED")
  })
})

describe("instance loss and unhealthy tasks", () => {
  it("stops the tasks of a terminated instance at once and starts copies elsewhere", async () => {
    const { sim } = await simulate(oneService({}), (sim) =>
      Effect.gen(function* () {
        yield* Effect.sleep("1 minute")
        const host = sim
          .snapshotState()
          .containerInstances.find((ci) => ci.containerInstanceArn === hostOf(sim, "billing"))!
        yield* Ec2.use((ec2) => ec2.terminateInstances([host.ec2InstanceId]))
        yield* Effect.sleep("30 minutes")
      }),
    )
    expect(healthyTimeline(sim, "billing")).toEqual([1, 0, 1])
    const stopped = sim.snapshotState().tasks.find((t) => t.lastStatus === "STOPPED")
    expect(stopped?.stopReason).toMatch(/terminated/)
  })

  it("given tasks failing health checks on an image, ECS keeps replacing them and the service stays unhealthy", async () => {
    const scenario = oneService({})
    const { sim } = await simulate(
      scenario,
      (sim) =>
        Effect.gen(function* () {
          sim.forceDeregisterContainerInstance(cluster, hostOf(sim, "billing"))
          yield* Effect.sleep("30 minutes")
        }),
      { faults: { unhealthyTasksOnImages: [scenario.launchTemplates[0]!.versions[0]!.imageId] } },
    )
    const reasons = sim.snapshotState().tasks.map((t) => t.stopReason)
    expect(reasons).toContain("Task failed ELB health checks")
    expect(
      sim
        .metrics()
        .services[0]!.timeline.slice(1)
        .every((p) => p.healthy === 0),
    ).toBe(true)
  })
})

describe("operations outside the ports", () => {
  it("runs a standalone task that finishes after its duration", () => {
    const sim = makeSimulation(scenarios.small)
    const taskArn = sim.runTask({
      clusterName: "small-cluster",
      group: "family:migrate",
      cpu: 256,
      memory: 256,
      runsForMs: 600_000,
    })
    const status = () => sim.snapshotState().tasks.find((t) => t.taskArn === taskArn)?.lastStatus
    expect(status()).toBe("PROVISIONING")
    sim.advance(defaultTimings.taskProvisioningMs + defaultTimings.taskStartMs)
    expect(status()).toBe("RUNNING")
    sim.advance(600_000)
    expect(status()).toBe("STOPPED")
  })

  it("scales a service to a new desired count", () => {
    const sim = makeSimulation(scenarios.small)
    sim.setServiceDesiredCount("small-cluster", "web", 3)
    sim.advance(10 * 60_000)
    expect(sim.snapshotState().services.find((s) => s.serviceName === "web")?.healthyCount).toBe(3)
  })
})
