/**
 * Rollouts under injected faults: API throttling and server errors, new instances whose ECS agent
 * never registers, and a drain held up by a standalone task.
 */
import { describe, expect, it } from "vitest"
import { Effect, Exit, Layer } from "effect"
import { defaultPolicy, type RunEvent } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { newImageId } from "@ecs-ami-deploy/simulator"
import {
  builtInLaunchSpecStrategies,
  LaunchSpecError,
  pinnedImageSource,
  Plugins,
} from "@ecs-ami-deploy/strategies"
import { runRollout } from "../src/index.ts"
import {
  desiredCapacitiesOf,
  endState,
  expectClusterAsFound,
  makeWorld,
  rollOut,
  testSettings,
} from "./harness.ts"

const events = async (
  world: ReturnType<typeof makeWorld>,
  eventLog: ReturnType<typeof makeMemoryEventLog>,
  runId: string,
) => {
  const loaded = await world.run(eventLog.load(runId), eventLog)
  return Exit.isSuccess(loaded) ? loaded.value : []
}

/** The drains below wait out a 30-minute timeout: a 15 s poll (default 5 s) keeps them quick to simulate. */
const slowPoll = 15_000

const notes = (log: ReadonlyArray<RunEvent>) =>
  log.flatMap((event) => (event._tag === "Noted" ? [event.message] : []))

describe("faults", () => {
  it("given 30% throttling and 5% server errors, when standard-20 is rolled out, then it completes with every invariant", async () => {
    const world = makeWorld("standard-20", {
      faults: { throttling: { rate: 0.3 }, transientErrors: { rate: 0.05 } },
    })
    const before = world.simulation.snapshotState()
    const exit = await rollOut(world, { ...defaultPolicy, unsafeServices: "proceed" })
    expect(Exit.isSuccess(exit) ? exit.value : exit).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    const end = endState(world)
    const oldInstances = before.instances.filter((instance) => instance.state === "running").length
    expect(world.simulation.metrics().apiCalls.failed).toBeGreaterThan(0)
    expect(end.liveImages).toEqual([newImageId])
    expect(end.desiredCapacities).toEqual(desiredCapacitiesOf(before))
    expect(end.capacityLaunches).toBe(oldInstances)
    expect(end.terminatedTwice).toEqual([])
    expect(end.secondsBelowFloor).toBe(0)
  })

  it("given new instances whose agent never registers, when rolled out, then the run rolls back and the old fleet is intact and ACTIVE", async () => {
    const world = makeWorld("small", { faults: { agentNeverRegisters: { imageIds: [newImageId] } } })
    const before = world.simulation.snapshotState()
    const exit = await rollOut(world)
    expect(Exit.isSuccess(exit) ? exit.value : exit).toMatchObject({
      _tag: "Finished",
      outcome: "rolled-back",
    })
    expect(world.notifications.map((notification) => notification.kind)).toEqual(["started", "rolled-back"])
    await expectClusterAsFound(world, before)
    expect(endState(world).secondsBelowFloor).toBe(0)
  })

  it("given a drain held by a standalone task and policy stop-after-timeout, when rolled out, then a note names the task and instance and the task is stopped", async () => {
    const world = makeWorld("daemon-and-standalone")
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const exit = await rollOut(
      world,
      { ...defaultPolicy, standaloneTasks: "stop-after-timeout", pollIntervalMs: slowPoll },
      eventLog,
    )
    const result = Exit.isSuccess(exit) ? exit.value : undefined
    expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    const log = await events(world, eventLog, result?._tag === "Finished" ? result.runId : "")
    const stopped = log.flatMap((event) =>
      event._tag === "CommandIssued" && event.command._tag === "StopTasks" ? event.command.taskArns : [],
    )
    expect(stopped.length).toBeGreaterThan(0)
    for (const taskArn of stopped) {
      const task = world.simulation.snapshotState().tasks.find((candidate) => candidate.taskArn === taskArn)
      const note = notes(log).find((message) => message.includes(taskArn))
      expect(note).toContain("stop-after-timeout")
      expect(note).toMatch(/keeps instance i-[0-9a-f]+ from draining/)
      expect(task?.lastStatus).toBe("STOPPED")
    }
  })

  it("given a drain held by a standalone task and policy wait, when the drain times out, then a note names the task and instance and the run rolls back", async () => {
    const world = makeWorld("daemon-and-standalone")
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const exit = await rollOut(
      world,
      { ...defaultPolicy, standaloneTasks: "wait", pollIntervalMs: slowPoll },
      eventLog,
    )
    const result = Exit.isSuccess(exit) ? exit.value : undefined
    expect(result).toMatchObject({ _tag: "Finished", outcome: "rolled-back" })
    const log = await events(world, eventLog, result?._tag === "Finished" ? result.runId : "")
    const standalone = world.simulation
      .snapshotState()
      .tasks.filter((task) => task.serviceName === undefined && task.lastStatus === "RUNNING")
    const noted = notes(log)
    expect(
      noted.some(
        (message) =>
          standalone.some((task) => message.includes(task.taskArn)) &&
          message.includes("policy standaloneTasks=wait"),
      ),
    ).toBe(true)
    // The wait policy never stops a task itself.
    expect(log.some((event) => event._tag === "CommandIssued" && event.command._tag === "StopTasks")).toBe(
      false,
    )
  })

  it("given a launch-spec update that fails terminally, when rolled out, then CommandFailed records why and the run ends by the planner's decision, naming it", async () => {
    const world = makeWorld("small")
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const refusing = builtInLaunchSpecStrategies().map((strategy) => ({
      ...strategy,
      apply: ({ group }: { readonly group: { readonly name: string } }) =>
        Effect.fail(
          new LaunchSpecError({
            asgName: group.name,
            problem: "template version limit reached",
            fix: "delete old versions",
          }),
        ),
    }))
    const plugins = Layer.succeed(
      Plugins,
      Plugins.of({ launchSpecStrategies: refusing, amiSource: pinnedImageSource({ imageId: newImageId }) }),
    )
    const exit = await world.run(
      runRollout({
        clusterName: world.clusterName,
        policy: defaultPolicy,
        holder: "test",
        settings: testSettings,
      }).pipe(Effect.provide(plugins)),
      eventLog,
    )
    const result = Exit.isSuccess(exit) ? exit.value : undefined
    const message = "small-asg: template version limit reached — delete old versions"
    expect(result).toMatchObject({ _tag: "Finished" })
    expect(result?._tag === "Finished" ? result.reason : "").toContain(message)
    const log = await events(world, eventLog, result?._tag === "Finished" ? result.runId : "")
    expect(log.filter((event) => event._tag === "CommandFailed")).toMatchObject([
      { commandId: "launch-spec:small-asg", errorTag: "LaunchSpecError", retryable: false, message },
    ])
    expect(log.find((event) => event._tag === "RollbackStarted")).toMatchObject({
      reason: expect.stringContaining(message),
    })
    // Nothing was launched: the failure came before any capacity change.
    expect(
      world.simulation.callLog.filter(
        (call) => call.operation === "autoscaling:UpdateAutoScalingGroup" && call.outcome === "ok",
      ),
    ).toEqual([])
  })
})
