/**
 * The end of a rollout, measured after the simulated world has settled: once the run has finished,
 * simulated time moves on for half an hour (Auto Scaling reconciles desired capacity, AZRebalance acts
 * on an unbalanced group), and only then are the availability metrics read. Whatever Auto Scaling
 * does after the run because of the run (terminating instances of its choosing when desired capacity
 * drops below the live count, launching and terminating to rebalance zones) shows up here as service
 * time below the floor. Also: a cluster the Go tool left half-done (old instances detached from their
 * group but still registered) is finished by our engine.
 */
import { describe, expect, it } from "vitest"
import { Effect, Exit, Layer } from "effect"
import { defaultPolicy, type RolloutPolicy } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { EventLog } from "@ecs-ami-deploy/ports"
import {
  makeSimulation,
  newImageId,
  runGoToolBaseline,
  scenarios,
  type Scenario,
} from "@ecs-ami-deploy/simulator"
import { withService } from "@ecs-ami-deploy/simulator/testing"
import { runRollout } from "../src/index.ts"
import { pluginsLayer, recordingNotifier, testSettings } from "./harness.ts"

const settleMs = 30 * 60_000

const defined = <A>(value: A | undefined, what: string): A => {
  if (value === undefined) throw new Error(`the test needs ${what}`)
  return value
}

const scenarioNamed = (name: string): Scenario => defined(scenarios[name], `scenario ${name}`)
const clusterOf = (scenario: Scenario): string => defined(scenario.clusters[0], "a cluster").name
const groupOf = (scenario: Scenario) => defined(scenario.groups[0], "a group")

/** Rolls a simulated cluster out with the simulation's clock and scheduler, then lets the world settle. */
const rollOutAndSettle = async (
  simulation: ReturnType<typeof makeSimulation>,
  clusterName: string,
  policy: RolloutPolicy,
) => {
  const exit = await Effect.runPromiseExit(
    runRollout({ clusterName, policy, holder: "end-game", settings: testSettings }).pipe(
      Effect.provide(
        Layer.mergeAll(
          simulation.layer,
          simulation.clockLayer,
          pluginsLayer,
          recordingNotifier([]),
          Layer.succeed(EventLog, makeMemoryEventLog(emptyMemoryStorage())),
        ),
      ),
    ),
  )
  const finishedAt = simulation.now()
  simulation.advance(settleMs)
  const metrics = simulation.metrics()
  const state = simulation.snapshotState()
  const live = state.instances.filter((i) => i.state === "pending" || i.state === "running")
  return {
    result: Exit.isSuccess(exit) ? exit.value : exit,
    finishedAt,
    secondsBelowFloor: metrics.serviceSecondsBelowFloor,
    secondsWithZeroHealthy: metrics.serviceSecondsWithZeroHealthy,
    liveImages: [...new Set(live.map((i) => i.imageId))],
    groups: state.groups,
    liveCount: live.length,
    /** Auto Scaling activities after the run finished: anything the run left for it to fix. */
    activitiesAfterFinish: state.activities.filter((a) => a.startTime > finishedAt),
  }
}

const startCapacities = (scenario: Scenario) =>
  Object.fromEntries(scenario.groups.map((g) => [g.name, g.desiredCapacity]))

/**
 * The small demo cluster grown to 7 instances over 3 zones (3/2/2). Its web service runs a task on
 * every instance (host port 80) and lets ECS have only one in flight (maximumPercent 115 of 7 tasks =
 * 8 running), so a wave drains one instance where the surge of 3 added three: the group carries
 * capacity it could not drain into from wave to wave, and 7 does not divide over 3 zones or waves of 3.
 */
const sevenInstances: Scenario = (() => {
  const base = withService(scenarios.small, "web", { desiredCount: 7, maximumPercent: 115 })
  return {
    ...base,
    name: "seven",
    groups: base.groups.map((g) => ({
      ...g,
      minSize: 3,
      maxSize: 14,
      desiredCapacity: 7,
      availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
    })),
  }
})()

const cases: ReadonlyArray<{
  readonly name: string
  readonly scenario: Scenario
  readonly policy: RolloutPolicy
}> = [
  {
    name: "standard-20",
    scenario: scenarioNamed("standard-20"),
    policy: { ...defaultPolicy, unsafeServices: "proceed" },
  },
  { name: "multi-asg", scenario: scenarioNamed("multi-asg"), policy: defaultPolicy },
  // One full rollout per built-in launch-spec strategy, each on its own scenario.
  { name: "launch-template", scenario: scenarioNamed("launch-template"), policy: defaultPolicy },
  { name: "launch-configuration", scenario: scenarioNamed("launch-configuration"), policy: defaultPolicy },
  { name: "mixed-instances", scenario: scenarioNamed("mixed-instances"), policy: defaultPolicy },
  {
    name: "7 instances in 3 zones, maxSurge 3",
    scenario: sevenInstances,
    policy: {
      ...defaultPolicy,
      maxSurge: { unit: "instances", value: 3 },
      maxDraining: { unit: "instances", value: 3 },
    },
  },
]

describe("the end of a rollout, after the world settles", () => {
  for (const { name, scenario, policy } of cases)
    it(`given ${name}, when rolled out and left 30 simulated minutes, then no service ever dropped below its floor and Auto Scaling had nothing to undo`, async () => {
      const simulation = makeSimulation(scenario, { seed: 1 })
      const end = await rollOutAndSettle(simulation, clusterOf(scenario), policy)
      expect(end.result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
      expect(end.secondsBelowFloor).toBe(0)
      expect(end.secondsWithZeroHealthy).toBe(0)
      expect(end.liveImages).toEqual([newImageId])
      expect(Object.fromEntries(end.groups.map((g) => [g.name, g.desiredCapacity]))).toEqual(
        startCapacities(scenario),
      )
      expect(end.activitiesAfterFinish).toEqual([])
      for (const group of end.groups) expect(group.suspendedProcesses).toEqual([])
      expect(Object.fromEntries(end.groups.map((g) => [g.name, g.launchSpec._tag]))).toEqual(
        Object.fromEntries(scenario.groups.map((g) => [g.name, g.launchSpec._tag])),
      )
    })
})

describe("a cluster the Go tool left half-done", () => {
  it("given old instances the Go tool detached (tagged, still registered) and their replacements, when rolled out, then they are drained and terminated with no availability violation", async () => {
    const scenario = scenarios.small
    const clusterName = clusterOf(scenario)
    const simulation = makeSimulation(scenario, { seed: 1 })
    const oldIds = simulation.snapshotState().instances.map((i) => i.instanceId)
    // The Go tool updates the template, tags and detaches every instance with replacement, then polls;
    // a 1 ms poll timeout stops it right there, as a crash would.
    const goTool = await Effect.runPromise(runGoToolBaseline(simulation, { clusterName, pollTimeoutMs: 1 }))
    expect(goTool.status).toBe("failed")
    simulation.advance(10 * 60_000)
    const halfDone = simulation.snapshotState()
    const asgName = groupOf(scenario).name
    expect(halfDone.groups[0]?.instances.map((m) => m.instanceId)).not.toContain(oldIds[0])
    expect(
      halfDone.containerInstances.filter((c) => oldIds.includes(c.ec2InstanceId) && c.status === "ACTIVE"),
    ).toHaveLength(oldIds.length)
    expect(halfDone.instances.find((i) => i.instanceId === oldIds[0])?.tags["ecs-ami-deploy-asg"]).toBe(
      asgName,
    )

    const end = await rollOutAndSettle(simulation, clusterName, defaultPolicy)
    expect(end.result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    expect(end.secondsBelowFloor).toBe(0)
    expect(end.secondsWithZeroHealthy).toBe(0)
    expect(end.liveImages).toEqual([newImageId])
    expect(end.liveCount).toBe(groupOf(scenario).desiredCapacity)
    const terminatedThroughEc2 = simulation.callLog
      .filter((call) => call.operation === "ec2:TerminateInstances" && call.outcome === "ok")
      .flatMap((call) => (call.input as { readonly instanceIds: ReadonlyArray<string> }).instanceIds)
    expect([...terminatedThroughEc2].sort()).toEqual([...oldIds].sort())
    expect(Object.fromEntries(end.groups.map((g) => [g.name, g.desiredCapacity]))).toEqual(
      startCapacities(scenario),
    )
  })
})
