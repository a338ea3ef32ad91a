/**
 * End-to-end runs of the public API on the simulator: a rollout, a second one with nothing to do, a
 * refusal, the deadline and the resume after it, a rollback on request, and the progress hook.
 */
import { describe, expect, it } from "vitest"
import { Effect, Exit, Layer } from "effect"
import { defaultPolicy, type Decision, type Phase, type RunEvent } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { newImageId, oldImageId } from "@ecs-ami-deploy/simulator"
import { observeCluster, rollbackRun, runRollout, RunObserver, runStatus } from "../src/index.ts"
import { desiredCapacitiesOf, endState, makeWorld, testSettings } from "./harness.ts"

const success = <A, E>(exit: Exit.Exit<A, E>): A | Exit.Exit<A, E> =>
  Exit.isSuccess(exit) ? exit.value : exit

const originalCapacities = (world: ReturnType<typeof makeWorld>) =>
  desiredCapacitiesOf(world.simulation.snapshotState())

describe("runRollout on the simulator", () => {
  it("given the small cluster on an old image, when rolled out, then every instance runs the new image with no availability violation", async () => {
    const world = makeWorld("small")
    const capacities = originalCapacities(world)
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const exit = await world.run(
      runRollout({
        clusterName: world.clusterName,
        policy: defaultPolicy,
        holder: "test",
        settings: testSettings,
      }),
      eventLog,
    )
    expect(success(exit)).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    const end = endState(world)
    expect(end.liveImages).toEqual([newImageId])
    expect(end.desiredCapacities).toEqual(capacities)
    expect(end.terminatedTwice).toEqual([])
    expect(end.secondsBelowFloor).toBe(0)
    expect(world.notifications.map((notification) => notification.kind)).toEqual(["started", "succeeded"])

    const status = await world.run(runStatus(world.clusterName), eventLog)
    const oldInstances = end.everLaunched - end.liveCount
    expect(success(status)).toMatchObject({
      _tag: "Run",
      summary: { status: "succeeded" },
      progress: {
        phase: "finished",
        groups: [{ oldInstances, drained: oldInstances, terminated: oldInstances }],
        commands: { failed: 0, outcomeUnknown: 0 },
      },
    })

    const again = await world.run(
      runRollout({
        clusterName: world.clusterName,
        policy: defaultPolicy,
        holder: "test",
        settings: testSettings,
      }),
      eventLog,
    )
    expect(success(again)).toMatchObject({ _tag: "NothingToDo" })
  })

  it("given capacity mode detach, when rolled out, then the detached old instances are drained and terminated through EC2", async () => {
    const world = makeWorld("small")
    const capacities = originalCapacities(world)
    const oldIds = world.simulation.snapshotState().instances.map((instance) => instance.instanceId)
    const exit = await world.run(
      runRollout({
        clusterName: world.clusterName,
        policy: { ...defaultPolicy, capacityMode: "detach" },
        holder: "test",
        settings: testSettings,
      }),
      makeMemoryEventLog(emptyMemoryStorage()),
    )
    expect(success(exit)).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    const end = endState(world)
    expect(end.liveImages).toEqual([newImageId])
    expect(end.desiredCapacities).toEqual(capacities)
    expect(end.terminatedTwice).toEqual([])
    expect(end.secondsBelowFloor).toBe(0)
    const terminatedThroughEc2 = world.simulation.callLog
      .filter((call) => call.operation === "ec2:TerminateInstances" && call.outcome === "ok")
      .flatMap((call) => (call.input as { readonly instanceIds: ReadonlyArray<string> }).instanceIds)
    expect([...terminatedThroughEc2].sort()).toEqual([...oldIds].sort())
  })

  it("given a policy the cluster's services make unsafe (detach mode: jobs at minimum 0 % could lose every task), when rolled out, then it is refused and no run is created", async () => {
    const world = makeWorld("standard-20")
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const exit = await world.run(
      runRollout({
        clusterName: world.clusterName,
        policy: { ...defaultPolicy, capacityMode: "detach", unsafeServices: "refuse" },
        holder: "test",
        settings: testSettings,
      }),
      eventLog,
    )
    const result = success(exit)
    expect(result).toMatchObject({ _tag: "Refused" })
    expect(JSON.stringify(result)).toContain("jobs")
    expect(success(await world.run(eventLog.runs(world.cluster), eventLog))).toEqual([])
    expect(world.simulation.callLog.filter((call) => call.mutating)).toEqual([])
  })

  it("given a deadline, when it comes, then the run is suspended between commands and the next invocation finishes the same run", async () => {
    const world = makeWorld("small")
    const capacities = originalCapacities(world)
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const deadline = world.simulation.now() + 5 * 60_000
    const first = success(
      await world.run(
        runRollout({
          clusterName: world.clusterName,
          policy: defaultPolicy,
          holder: "lambda-1",
          deadline,
          settings: testSettings,
        }),
        eventLog,
      ),
    )
    expect(first).toMatchObject({ _tag: "Suspended" })
    const runId = first !== undefined && "runId" in first ? first.runId : ""
    const suspendedLog = success(await world.run(eventLog.load(runId), eventLog)) as ReadonlyArray<RunEvent>
    const last = suspendedLog.at(-1)
    expect(last?._tag).toBe("RunSuspended")
    expect(last?.at).toBeLessThanOrEqual(deadline)
    // Every command started before the deadline has its outcome recorded.
    const issued = new Set(
      suspendedLog.flatMap((event) => (event._tag === "CommandIssued" ? [event.command.id] : [])),
    )
    const settled = new Set(
      suspendedLog.flatMap((event) =>
        event._tag === "CommandSucceeded" || event._tag === "CommandFailed" ? [event.commandId] : [],
      ),
    )
    expect([...issued].filter((id) => !settled.has(id))).toEqual([])
    expect(world.notifications.map((notification) => notification.kind)).toEqual(["started", "suspended"])

    const second = await world.run(
      runRollout({
        clusterName: world.clusterName,
        policy: defaultPolicy,
        holder: "lambda-2",
        settings: testSettings,
      }),
      eventLog,
    )
    expect(success(second)).toMatchObject({ _tag: "Finished", runId, outcome: "succeeded" })
    expect(endState(world).liveImages).toEqual([newImageId])
    expect(endState(world).desiredCapacities).toEqual(capacities)
  })

  it("given a poll interval longer than the time left, when the run waits, then it wakes and suspends before the deadline", async () => {
    const world = makeWorld("small")
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const deadline = world.simulation.now() + 5 * 60_000
    const result = success(
      await world.run(
        runRollout({
          clusterName: world.clusterName,
          policy: { ...defaultPolicy, pollIntervalMs: 30 * 60_000 },
          holder: "lambda",
          deadline,
          settings: testSettings,
        }),
        eventLog,
      ),
    )
    expect(result).toMatchObject({ _tag: "Suspended" })
    const runId = result !== undefined && "runId" in result ? result.runId : ""
    const log = success(await world.run(eventLog.load(runId), eventLog)) as ReadonlyArray<RunEvent>
    expect(log.at(-1)?._tag).toBe("RunSuspended")
    expect(log.at(-1)?.at).toBeLessThanOrEqual(deadline)
  })

  it("given a deadline too close for a first step, when a rollout is asked for, then it is deferred and no run is created", async () => {
    const world = makeWorld("small")
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const deadline = world.simulation.now() + testSettings.stepBudgetMs
    const result = success(
      await world.run(
        runRollout({
          clusterName: world.clusterName,
          policy: defaultPolicy,
          holder: "lambda",
          deadline,
          settings: testSettings,
        }),
        eventLog,
      ),
    )
    expect(result).toMatchObject({ _tag: "Deferred" })
    expect(success(await world.run(eventLog.runs(world.cluster), eventLog))).toEqual([])
  })

  it("given a run under way, when a rollback is requested, then it records the reason and puts the launch spec and capacity back", async () => {
    const world = makeWorld("small")
    const capacities = originalCapacities(world)
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const started = success(
      await world.run(
        runRollout({
          clusterName: world.clusterName,
          policy: defaultPolicy,
          holder: "cli",
          deadline: world.simulation.now() + 3 * 60_000,
          settings: testSettings,
        }),
        eventLog,
      ),
    )
    expect(started).toMatchObject({ _tag: "Suspended" })

    const rolledBack = success(
      await world.run(
        rollbackRun({
          clusterName: world.clusterName,
          reason: "operator: new image breaks logging",
          holder: "cli",
          settings: testSettings,
        }),
        eventLog,
      ),
    )
    expect(rolledBack).toMatchObject({ _tag: "Finished", outcome: "rolled-back" })
    const runId = rolledBack !== undefined && "runId" in rolledBack ? rolledBack.runId : ""
    const log = success(await world.run(eventLog.load(runId), eventLog)) as ReadonlyArray<RunEvent>
    expect(
      log
        .filter((event) => event._tag === "RollbackStarted")
        .map((event) => (event._tag === "RollbackStarted" ? event.reason : "")),
    ).toEqual(["operator: new image breaks logging"])
    expect(endState(world).desiredCapacities).toEqual(capacities)
    expect(endState(world).secondsBelowFloor).toBe(0)
    const observed = success(await world.run(observeCluster(world.clusterName), eventLog))
    expect(observed).toMatchObject({ groups: [{ launchSpecImageId: oldImageId }] })
  })

  it("given no open run, when a rollback is requested, then it fails with NoOpenRun", async () => {
    const world = makeWorld("small")
    const exit = await world.run(
      rollbackRun({
        clusterName: world.clusterName,
        reason: "just in case",
        holder: "cli",
        settings: testSettings,
      }),
      makeMemoryEventLog(emptyMemoryStorage()),
    )
    expect(
      Exit.isFailure(exit) && exit.cause.reasons[0]?._tag === "Fail"
        ? exit.cause.reasons[0].error._tag
        : exit,
    ).toBe("NoOpenRun")
  })

  it("given a RunObserver, when a run proceeds, then it sees every appended event in order and each decision with its phase", async () => {
    const world = makeWorld("small")
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const seen: Array<RunEvent> = []
    const decisions: Array<{ readonly decision: Decision; readonly phase: Phase }> = []
    const observer = Layer.succeed(RunObserver, {
      eventAppended: (event) => Effect.sync(() => void seen.push(event)),
      decided: (decision, phase) => Effect.sync(() => void decisions.push({ decision, phase })),
    })
    const exit = await world.run(
      runRollout({
        clusterName: world.clusterName,
        policy: defaultPolicy,
        holder: "test",
        settings: testSettings,
      }).pipe(Effect.provide(observer)),
      eventLog,
    )
    const result = success(exit)
    const runId = result !== undefined && "runId" in result ? result.runId : ""
    expect(seen).toEqual(success(await world.run(eventLog.load(runId), eventLog)))
    expect(decisions[0]?.decision._tag).toBe("Start")
    expect(decisions.at(-1)).toMatchObject({ decision: { _tag: "Finish" }, phase: "finished" })
    const phases = new Set(decisions.map((entry) => entry.phase))
    for (const phase of ["preparing", "draining", "terminating", "finished"] as const)
      expect(phases).toContain(phase)
  })
})
