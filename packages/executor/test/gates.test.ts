/**
 * Gates and checkpoints end to end on the simulator (issue 18): an alarm the scenario raises while the
 * run replaces instances rolls the run back (or halts it) with the alarm named in the log, the result
 * and the outcome; a run refuses to start under an alarm in ALARM or not found; a checkpoint suspends
 * the run until `continueRun`, or pauses it for its delay; bad input changes nothing in the world.
 */
import { describe, expect, it } from "vitest"
import { Exit } from "effect"
import { defaultPolicy, type RolloutPolicy, type RunEvent } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { EventLog } from "@ecs-ami-deploy/ports"
import { newImageId, oldImageId, scenarios } from "@ecs-ami-deploy/simulator"
import type { Scenario } from "@ecs-ami-deploy/simulator"
import { continueRun, runRollout } from "../src/index.ts"
import { endState, makeWorldOf, testSettings, type World } from "./harness.ts"

const small = scenarios["small"] as Scenario

/** The small cluster with alarm HighErrors raised by `triggers`, and Latency (always OK). */
const withAlarm = (triggers: NonNullable<Scenario["alarms"]>[number]["triggers"]): Scenario => ({
  ...small,
  alarms: [{ name: "HighErrors", ...(triggers === undefined ? {} : { triggers }) }, { name: "Latency" }],
})

/** The small cluster with alarm HighErrors, raised once an instance on the new image has run 2 minutes. */
const newImageGoesBad = scenarios["new-image-alarm"] as Scenario

const rollout = (world: World, policy: RolloutPolicy, eventLog: EventLog["Service"]) =>
  world.run(
    runRollout({ clusterName: world.clusterName, policy, holder: "test", settings: testSettings }),
    eventLog,
  )

const valueOf = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isFailure(exit)) throw new Error(`expected a success, got ${String(exit.cause)}`)
  return exit.value
}

const eventsOf = async (world: World, eventLog: EventLog["Service"]): Promise<ReadonlyArray<RunEvent>> => {
  const exit = await world.run(
    EventLog.use((log) => log.runs(world.cluster)),
    eventLog,
  )
  const runs = valueOf(exit)
  const runId = runs[0]?.runId
  if (runId === undefined) return []
  return valueOf(
    await world.run(
      EventLog.use((log) => log.load(runId)),
      eventLog,
    ),
  )
}

const mutatingCalls = (world: World) => world.simulation.callLog.filter((call) => call.mutating)

describe("alarm gate", () => {
  it("given an alarm that fires once a new instance has run 2 minutes, when the run replaces instances, then it rolls back and names the alarm", async () => {
    const world = makeWorldOf(newImageGoesBad)
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const result = valueOf(
      await rollout(world, { ...defaultPolicy, alarms: ["HighErrors", "Latency"] }, eventLog),
    )

    expect(result).toMatchObject({
      _tag: "Finished",
      outcome: "rolled-back",
      gate: { kind: "alarm", name: "HighErrors" },
    })
    expect(result._tag === "Finished" ? result.reason : "").toContain("alarm HighErrors: in ALARM since")
    const events = await eventsOf(world, eventLog)
    const tags = events.map((event) => event._tag)
    expect(tags.indexOf("GateFailed")).toBeGreaterThan(tags.indexOf("RunStarted"))
    expect(tags.indexOf("RollbackStarted")).toBe(tags.indexOf("GateFailed") + 1)
    expect(events.find((event) => event._tag === "GateFailed")).toMatchObject({
      gate: { kind: "alarm", name: "HighErrors" },
      action: "rollback",
    })
    expect(events.at(-1)).toMatchObject({ _tag: "RunFinished", gate: { name: "HighErrors" } })
    // The alarm fired during the first wave: some old instances were still there to keep.
    expect(endState(world).liveImages).toEqual([oldImageId])
    const describes = world.simulation.callLog.filter(
      (call) => call.operation === "cloudwatch:DescribeAlarms",
    )
    expect(describes.every((call) => call.awsRequests["cloudwatch:DescribeAlarms"] === 1)).toBe(true)
  })

  it("given onGateFailure=halt, when the alarm fires, then the run fails where it is, naming the alarm, and new instances stay", async () => {
    const world = makeWorldOf(newImageGoesBad)
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const result = valueOf(
      await rollout(world, { ...defaultPolicy, alarms: ["HighErrors"], onGateFailure: "halt" }, eventLog),
    )
    expect(result).toMatchObject({ _tag: "Finished", outcome: "failed", gate: { name: "HighErrors" } })
    expect(result._tag === "Finished" ? result.reason : "").toContain("onGateFailure=halt")
    expect(endState(world).liveImages).toContain(newImageId)
    expect((await eventsOf(world, eventLog)).map((event) => event._tag)).not.toContain("RollbackStarted")
  })

  it.each([
    ["in ALARM", withAlarm([{ atMs: 0 }]), "HighErrors", "alarm HighErrors: in ALARM since"],
    ["not found", withAlarm(undefined), "arn:aws:cloudwatch:us-east-1:123456789012:alarm:Nope", "not found"],
  ])(
    "given a named alarm %s at the start, when a run is asked for, then it refuses naming the alarm and changes nothing",
    async (_, scenario, alarm, problem) => {
      const world = makeWorldOf(scenario)
      const eventLog = makeMemoryEventLog(emptyMemoryStorage())
      const result = valueOf(await rollout(world, { ...defaultPolicy, alarms: [alarm] }, eventLog))
      expect(result._tag).toBe("Refused")
      expect(result._tag === "Refused" ? result.problems.map((p) => p.problem).join("; ") : "").toContain(
        problem,
      )
      expect(mutatingCalls(world)).toEqual([])
      expect(await eventsOf(world, eventLog)).toEqual([])
    },
  )

  it.each([
    ["11 alarms", Array.from({ length: 11 }, (_, i) => `alarm-${i}`), "at most 10"],
    ["a malformed ARN", ["arn:aws:sns:us-east-1:123456789012:alarm:x"], "is not a CloudWatch alarm ARN"],
    ["an empty name", [""], "is not a CloudWatch alarm name"],
  ])(
    "given %s, when a run is asked for, then InvalidPolicy names it and nothing is called",
    async (_, alarms, problem) => {
      const world = makeWorldOf(newImageGoesBad)
      const exit = await rollout(
        world,
        { ...defaultPolicy, alarms },
        makeMemoryEventLog(emptyMemoryStorage()),
      )
      expect(Exit.isFailure(exit) ? String(exit.cause) : "succeeded").toContain(problem)
      expect(world.simulation.callLog).toEqual([])
    },
  )
})

describe("checkpoints", () => {
  it("given a checkpoint at 50% without a delay, when half the instances are replaced, then the run suspends until continueRun, which finishes it", async () => {
    const world = makeWorldOf(small)
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const policy: RolloutPolicy = { ...defaultPolicy, checkpoints: [50] }
    const suspended = valueOf(await rollout(world, policy, eventLog))
    expect(suspended).toMatchObject({ _tag: "Suspended", waitsAtCheckpoint: 50 })
    expect(suspended._tag === "Suspended" ? suspended.reason : "").toContain(
      `ecs-ami-deploy continue --cluster ${world.clusterName}`,
    )
    const atCheckpoint = world.simulation.snapshotState()
    const images = new Set(atCheckpoint.instances.filter((i) => i.state === "running").map((i) => i.imageId))
    expect([...images].sort()).toEqual([newImageId, oldImageId].sort())
    const reached = (await eventsOf(world, eventLog)).find((event) => event._tag === "CheckpointReached")
    expect(reached).toMatchObject({ percent: 50, of: 4 })

    // A plain resume (the Lambda's sweep, `resume`) leaves it waiting: nothing recorded, nothing changed.
    const eventsBefore = (await eventsOf(world, eventLog)).length
    const mutatingBefore = mutatingCalls(world).length
    expect(valueOf(await rollout(world, policy, eventLog))).toMatchObject({
      _tag: "Suspended",
      waitsAtCheckpoint: 50,
    })
    expect((await eventsOf(world, eventLog)).length).toBe(eventsBefore)
    expect(mutatingCalls(world).length).toBe(mutatingBefore)

    const finished = valueOf(
      await world.run(
        continueRun({ clusterName: world.clusterName, holder: "test", by: "alice", settings: testSettings }),
        eventLog,
      ),
    )
    expect(finished).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    expect(await eventsOf(world, eventLog)).toContainEqual(
      expect.objectContaining({ _tag: "CheckpointContinued", percent: 50, by: "alice" }),
    )
    expect(endState(world).liveImages).toEqual([newImageId])
  })

  it("given a checkpoint with a 10 minute delay, when it is reached, then the run pauses that long and goes on by itself", async () => {
    const world = makeWorldOf(small)
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const policy: RolloutPolicy = { ...defaultPolicy, checkpoints: [50], checkpointDelayMs: 600_000 }
    expect(valueOf(await rollout(world, policy, eventLog))).toMatchObject({
      _tag: "Finished",
      outcome: "succeeded",
    })
    const events = await eventsOf(world, eventLog)
    const reached = events.find((event) => event._tag === "CheckpointReached")
    expect(reached).toMatchObject({ percent: 50, resumesAt: (reached?.at ?? 0) + 600_000 })
    const nextCommand = events.find(
      (event) => event._tag === "CommandIssued" && event.seq > (reached?.seq ?? 0),
    )
    expect(nextCommand?.at).toBeGreaterThanOrEqual((reached?.at ?? 0) + 600_000)
  })

  it("given a cluster without a run at a checkpoint, when continueRun is asked, then NotAtCheckpoint says so and nothing is called", async () => {
    const world = makeWorldOf(small)
    const exit = await world.run(
      continueRun({ clusterName: world.clusterName, holder: "test", by: "alice", settings: testSettings }),
      makeMemoryEventLog(emptyMemoryStorage()),
    )
    expect(Exit.isFailure(exit) ? String(exit.cause) : "succeeded").toContain(
      "no run waiting at a checkpoint",
    )
    expect(mutatingCalls(world)).toEqual([])
  })
})

describe("target health gate", () => {
  /** The small cluster where targets on the new image pass a first health check, then fail from 60 s after their task started. */
  const targetsGoBad = scenarios["new-image-unhealthy-targets"] as Scenario
  const describeTargetHealthCalls = (world: World) =>
    world.simulation.callLog.filter((call) => call.operation === "elasticloadbalancing:DescribeTargetHealth")

  it("given targets on the new image that fail their health checks while ECS keeps the tasks, when the run drains, then it rolls back naming the service, its target group and the counts", async () => {
    const world = makeWorldOf(targetsGoBad)
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const result = valueOf(await rollout(world, defaultPolicy, eventLog))

    expect(result).toMatchObject({ _tag: "Finished", outcome: "rolled-back", gate: { kind: "service" } })
    const gate = result._tag === "Finished" ? result.gate : undefined
    expect(["web", "api"]).toContain(gate?.name)
    expect(gate?.detail).toMatch(
      new RegExp(
        `^target group ${gate?.name} has \\d+ healthy target\\(s\\) of \\d+ registered, below the service's floor of \\d+; \\d+ fail their health checks \\(Target.FailedHealthChecks\\) — arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${gate?.name}/`,
      ),
    )
    const events = await eventsOf(world, eventLog)
    const tags = events.map((event) => event._tag)
    expect(tags.indexOf("RollbackStarted")).toBe(tags.indexOf("GateFailed") + 1)
    expect(events.find((event) => event._tag === "GateFailed")).toMatchObject({
      gate: { kind: "service", name: gate?.name },
      action: "rollback",
    })
    expect(endState(world).liveImages).toEqual([oldImageId])
    // ECS itself saw nothing wrong: the tasks on the new image stayed RUNNING and HEALTHY to it.
    expect(world.simulation.callLog.some((call) => call.operation === "cloudwatch:DescribeAlarms")).toBe(
      false,
    )
  })

  it("given onGateFailure=halt, when the targets fail, then the run fails where it is and says so", async () => {
    const world = makeWorldOf(targetsGoBad)
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const result = valueOf(await rollout(world, { ...defaultPolicy, onGateFailure: "halt" }, eventLog))
    expect(result).toMatchObject({ _tag: "Finished", outcome: "failed", gate: { kind: "service" } })
    expect(result._tag === "Finished" ? result.reason : "").toContain("onGateFailure=halt")
    expect(result._tag === "Finished" ? result.reason : "").toContain("target group")
    expect(endState(world).liveImages).toContain(newImageId)
  })

  it("given the gate turned off, when the targets fail, then nothing else sees it and the run moves every instance onto the bad image", async () => {
    const world = makeWorldOf(targetsGoBad)
    const result = valueOf(
      await rollout(
        world,
        { ...defaultPolicy, targetHealthGate: false },
        makeMemoryEventLog(emptyMemoryStorage()),
      ),
    )
    expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    expect(endState(world).liveImages).toEqual([newImageId])
    expect(describeTargetHealthCalls(world)).toEqual([])
  })

  it("given a healthy cluster, when the run rolls, then it reads target health only before acting, only for load-balanced services on new capacity, one request per target group", async () => {
    const world = makeWorldOf(small)
    const result = valueOf(await rollout(world, defaultPolicy, makeMemoryEventLog(emptyMemoryStorage())))
    expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    const calls = describeTargetHealthCalls(world)
    expect(calls.length).toBeGreaterThan(0)
    const firstDrain = world.simulation.callLog.find(
      (call) => call.operation === "ecs:UpdateContainerInstancesState",
    )
    // Until a drain moves tasks onto new capacity, nothing the new image runs has a target.
    expect(calls.every((call) => call.at > (firstDrain?.at ?? Infinity))).toBe(true)
    for (const call of calls) {
      const arns = (call.input as { readonly targetGroupArns: ReadonlyArray<string> }).targetGroupArns
      // web and api are load balanced, worker is not.
      expect(arns.every((arn) => ["web", "api"].includes(arn.split("/")[1] ?? ""))).toBe(true)
      expect(call.awsRequests).toEqual({ "elasticloadbalancing:DescribeTargetHealth": new Set(arns).size })
    }
    const acts = world.simulation.callLog.filter((call) => call.mutating)
    expect(calls.length).toBeLessThanOrEqual(acts.length)
  })

  it("given a bake time, when the run waits with tasks on new capacity, then it reads target health once a minute, not at every poll, and still stops on failing targets", async () => {
    const world = makeWorldOf(small)
    // Waves of half the group: the second wave bakes while tasks already run on new capacity.
    const policy: RolloutPolicy = {
      ...defaultPolicy,
      maxSurge: { unit: "percent", value: 50 },
      maxDraining: { unit: "percent", value: 50 },
      bakeTimeMs: 600_000,
    }
    const result = valueOf(await rollout(world, policy, makeMemoryEventLog(emptyMemoryStorage())))
    expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    const reads = describeTargetHealthCalls(world).map((call) => call.at)
    const actsAt = new Set(world.simulation.callLog.filter((call) => call.mutating).map((call) => call.at))
    const waitReads = reads.filter((at) => !actsAt.has(at))
    // The second wave's bake (10 min) is watched: several reads while waiting, each a minute or more apart.
    expect(waitReads.length).toBeGreaterThanOrEqual(5)
    for (const [index, at] of reads.entries())
      if (index > 0 && !actsAt.has(at)) expect(at - (reads[index - 1] ?? 0)).toBeGreaterThanOrEqual(60_000)

    const failing = makeWorldOf(targetsGoBad)
    expect(valueOf(await rollout(failing, policy, makeMemoryEventLog(emptyMemoryStorage())))).toMatchObject({
      _tag: "Finished",
      outcome: "rolled-back",
      gate: { kind: "service" },
    })
  })
})
