/**
 * Injected faults: throttling and 5xx refusals (nothing changes), API latency in simulated time, hung calls,
 * agents that never register, instances lost mid-run, another actor changing desired capacity,
 * standalone tasks that never finish, and ECS managed scaling fighting a manual surge.
 */
import { AutoScaling, Ecs } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { makeSimulation, scenarios } from "../src/index.ts"
import { simulate } from "./helpers.ts"

const small = scenarios.small
const asgName = "small-asg"

describe("call faults", () => {
  it("throttles the named operation only, with the service's code, and logs the refusal", async () => {
    const { result, sim } = await simulate(
      small,
      () =>
        Effect.all([
          Effect.flip(Ecs.use((ecs) => ecs.services("small-cluster"))),
          Effect.flip(AutoScaling.use((a) => a.updateGroup({ asgName, desiredCapacity: 6 }))),
          Ecs.use((ecs) => ecs.tasks("small-cluster")),
        ]),
      {
        faults: {
          throttling: { rate: 1, operations: ["ecs:DescribeServices", "autoscaling:UpdateAutoScalingGroup"] },
        },
      },
    )
    expect(result[0]).toMatchObject({ kind: "throttled", code: "ThrottlingException" })
    expect(result[1]).toMatchObject({ kind: "throttled", code: "Throttling" })
    expect(result[2]).toHaveLength(5)
    expect(sim.snapshotState().groups[0]!.desiredCapacity).toBe(4)
    expect(sim.callLog.map((c) => c.outcome)).toEqual(["ThrottlingException", "Throttling", "ok"])
    expect(sim.metrics().apiCalls).toMatchObject({ total: 3, reads: 2, mutating: 1, failed: 2 })
  })

  it("fails calls with a retryable transient error at the configured rate", async () => {
    const { result } = await simulate(
      small,
      () => Effect.flip(Ecs.use((ecs) => ecs.describeCluster("small-cluster"))),
      {
        faults: { transientErrors: { rate: 1 } },
      },
    )
    expect(result).toMatchObject({ kind: "transient", code: "ServerException" })
    expect(result.retryable).toBe(true)
  })

  it("holds a hung call for its duration, then runs it; a caller that gives up first leaves the world unchanged", async () => {
    const hungCalls = [{ operation: "autoscaling:UpdateAutoScalingGroup", atMs: 60_000, durationMs: 600_000 }]
    const update = AutoScaling.use((a) => a.updateGroup({ asgName, desiredCapacity: 6 }))

    const patient = makeSimulation(small, { faults: { hungCalls } })
    const start = patient.now()
    // Before atMs no call hangs; the first one after does, once: the second, made beside it, is answered at once.
    await patient.run(update)
    patient.advance(60_000)
    await patient.run(Effect.all([update, update], { concurrency: "unbounded" }))
    expect(patient.callLog.map((c) => [c.at - start, c.outcome])).toEqual([
      [0, "ok"],
      [60_000, "ok"],
      [660_000, "ok"],
    ])

    const impatient = makeSimulation(small, { faults: { hungCalls } })
    impatient.advance(60_000)
    const gaveUp = await impatient.run(Effect.timeoutOption(update, "1 minute"))
    expect(gaveUp._tag).toBe("None")
    expect(impatient.callLog.map((c) => [c.madeAt, c.at - start, c.outcome, c.mutating])).toEqual([
      [start + 60_000, 120_000, "abandoned", true],
    ])
    impatient.advance(30 * 60_000)
    expect(impatient.snapshotState().groups[0]!.desiredCapacity).toBe(4)
    expect(impatient.metrics().apiCalls).toMatchObject({ total: 1, mutating: 1, failed: 1 })
  })

  it("spends the injected API latency in simulated time", async () => {
    const sim = makeSimulation(small, { faults: { apiLatency: { minMs: 200, maxMs: 200 } } })
    const start = sim.now()
    await sim.run(Effect.all([Ecs.use((ecs) => ecs.listClusters()), Ecs.use((ecs) => ecs.listClusters())]))
    expect(sim.now() - start).toBe(400)
  })
})

describe("world faults", () => {
  it("never registers instances of an image whose agent fails", async () => {
    const newImage = small.launchTemplates[0]!.versions[0]!.imageId
    const { sim } = await simulate(
      small,
      () =>
        Effect.andThen(
          AutoScaling.use((a) => a.updateGroup({ asgName, desiredCapacity: 6 })),
          Effect.sleep("1 hour"),
        ),
      { faults: { agentNeverRegisters: { imageIds: [newImage] } } },
    )
    expect(sim.snapshotState().instances.filter((i) => i.state === "running")).toHaveLength(6)
    expect(sim.snapshotState().containerInstances).toHaveLength(4)
  })

  it("loses an instance at the given time and the group replaces it", () => {
    const sim = makeSimulation(small, { faults: { instanceLosses: [{ atMs: 60_000, groupName: asgName }] } })
    sim.advance(60_000)
    expect(sim.snapshotState().instances.filter((i) => i.state === "shutting-down")).toHaveLength(1)
    sim.advance(30 * 60_000)
    const states = sim.snapshotState().instances.map((i) => i.state)
    expect(states.filter((s) => s === "running")).toHaveLength(4)
    expect(states.filter((s) => s === "terminated")).toHaveLength(1)
  })

  it("lets another actor change desired capacity at the given time", () => {
    const sim = makeSimulation(small, {
      faults: { desiredCapacityChanges: [{ atMs: 120_000, groupName: asgName, desiredCapacity: 6 }] },
    })
    sim.advance(119_999)
    expect(sim.snapshotState().groups[0]!.desiredCapacity).toBe(4)
    sim.advance(1)
    expect(sim.snapshotState().groups[0]!.desiredCapacity).toBe(6)
  })

  it("finishes a standalone task after its duration, unless standalone tasks never finish", () => {
    const scenario = scenarios["daemon-and-standalone"]
    const nightly = (faults: Parameters<typeof makeSimulation>[1]) => {
      const sim = makeSimulation(scenario, faults)
      // Past its 2 hours, within the hour ECS keeps STOPPED tasks visible.
      sim.advance(2.5 * 3_600_000)
      return sim.snapshotState().tasks.find((t) => t.group === "family:nightly-report")?.lastStatus
    }
    expect(nightly({})).toBe("STOPPED")
    expect(nightly({ faults: { standaloneTasksNeverFinish: true } })).toBe("RUNNING")
  })
})

describe("ECS managed scaling", () => {
  it("brings a manual surge back down once the new instances are past warmup and hold no tasks", async () => {
    const { sim } = await simulate(scenarios["managed-scaling"], () =>
      Effect.andThen(
        AutoScaling.use((a) => a.updateGroup({ asgName: "managed-asg", desiredCapacity: 8 })),
        Effect.sleep("20 minutes"),
      ),
    )
    // The program made one call; every later change of desired capacity came from managed scaling.
    expect(sim.callLog).toHaveLength(1)
    // Target capacity 100%: as many instances as host tasks, so the empty new ones (and any idle old one) go.
    const state = sim.snapshotState()
    const hosting = state.containerInstances.filter(
      (ci) => ci.status === "ACTIVE" && ci.runningTasksCount > 0,
    ).length
    expect(state.groups[0]!.desiredCapacity).toBe(hosting)
    expect(sim.metrics().instances.peakExtraInstances).toBe(4)
    expect(state.activities.filter((a) => a.description.startsWith("Terminating"))).toHaveLength(8 - hosting)
  })
})
