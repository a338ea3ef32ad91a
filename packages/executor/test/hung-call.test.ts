/**
 * A hung AWS call cannot outlive the executor's lease (issue #14: "a 10-minute hung call is aborted
 * before its lease expires"). The simulator holds one call unanswered for 10 simulated minutes while
 * the executor holds the default 5-minute lease, and a successor tries the lock once that lease would
 * have expired unrenewed. The executor must give the call up before its lease expires, record what
 * happened, keep its lease (so the successor is refused) and finish the rollout.
 */
import { describe, expect, it } from "vitest"
import { Effect, Exit } from "effect"
import { defaultPolicy, formatDuration, type RunEvent } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { callTimeoutMs } from "../src/call-timeout.ts"
import { defaultExecutorSettings, runRollout, type ExecutorSettings } from "../src/index.ts"
import { makeWorld, testSettings, type World } from "./harness.ts"

const settings = defaultExecutorSettings
const hangMs = 10 * 60_000

/** The rollout of `small` with `operation`'s first call hung for 10 minutes, and a successor trying once the lease would have expired. */
const rolloutWithHungCall = async (
  operation: string,
  settings: ExecutorSettings = defaultExecutorSettings,
) => {
  const world = makeWorld("small", { faults: { hungCalls: [{ operation, atMs: 0, durationMs: hangMs }] } })
  const eventLog = makeMemoryEventLog(emptyMemoryStorage())
  const rollout = (holder: string) =>
    Effect.exit(runRollout({ clusterName: world.clusterName, policy: defaultPolicy, holder, settings }))
  const exit = await world.run(
    Effect.all(
      [rollout("first"), Effect.sleep(settings.leaseMs + 60_000).pipe(Effect.andThen(rollout("successor")))],
      {
        concurrency: "unbounded",
      },
    ),
    eventLog,
  )
  const [first, successor] = Exit.isSuccess(exit) ? exit.value : []
  const events = await runEvents(world, eventLog)
  const abandoned = world.simulation.callLog.filter(
    (call) => call.operation === operation && call.outcome === "abandoned",
  )
  return { world, first, successor, events, abandoned }
}

const runEvents = async (world: World, eventLog: ReturnType<typeof makeMemoryEventLog>) => {
  const runs = await world.run(eventLog.runs(world.cluster), eventLog)
  const runId = (Exit.isSuccess(runs) ? runs.value[0]?.runId : undefined) ?? ""
  const log = await world.run(eventLog.load(runId), eventLog)
  return Exit.isSuccess(log) ? log.value : ([] as ReadonlyArray<RunEvent>)
}

const valueOrCause = (exit: Exit.Exit<unknown, unknown> | undefined) =>
  exit !== undefined && Exit.isSuccess(exit)
    ? exit.value
    : exit !== undefined && Exit.isFailure(exit) && exit.cause.reasons[0]?._tag === "Fail"
      ? exit.cause.reasons[0].error
      : exit

describe("a hung AWS call under a lease", () => {
  it("given a capacity change whose call hangs for 10 minutes under a 5-minute lease, when the executor rolls out, then it abandons the call before its lease expires, records a retryable failure naming the call, re-issues it, keeps its lease and finishes", async () => {
    const { first, successor, events, abandoned } = await rolloutWithHungCall(
      "autoscaling:UpdateAutoScalingGroup",
    )

    expect(valueOrCause(first)).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    // The executor kept renewing its lease: the successor that came once it would have expired was refused.
    expect(valueOrCause(successor)).toMatchObject({ _tag: "LockHeld", holder: "first" })

    const failure = events.find((event) => event._tag === "CommandFailed")
    expect(failure).toMatchObject({ retryable: true, errorTag: "AwsCallError" })
    expect(failure?._tag === "CommandFailed" ? failure.message : "").toContain("AutoScaling.updateGroup")
    const issued = events.filter(
      (event) => event._tag === "CommandIssued" && event.command.id === failure?.commandId,
    )
    expect(issued.map((event) => event._tag === "CommandIssued" && event.attempt)).toEqual([1, 2])
    expect(
      events.some((event) => event._tag === "CommandSucceeded" && event.commandId === failure?.commandId),
    ).toBe(true)

    // Abandoned once, when the failure was recorded: one call timeout after the call started, which is
    // less than half a lease (the lease it started under had at least half of it left), so before the
    // lease could expire.
    const timeout = callTimeoutMs(settings)
    expect(failure?._tag === "CommandFailed" ? failure.message : "").toContain(formatDuration(timeout))
    const hungAt = issued[0]?.at ?? Number.NaN
    expect(abandoned.map((call) => call.at)).toEqual([failure?.at])
    expect((failure?.at ?? Number.NaN) - hungAt).toBe(timeout)
    expect(timeout).toBeLessThan(settings.leaseMs / 2)
  })

  it("given a call timeout shorter than the step budget, when a capacity change's call hangs, then the command retries the call itself and succeeds at its first attempt", async () => {
    expect(callTimeoutMs(testSettings)).toBeLessThan(testSettings.stepBudgetMs)
    const operation = "autoscaling:UpdateAutoScalingGroup"
    const { world, first, events, abandoned } = await rolloutWithHungCall(operation, testSettings)

    expect(valueOrCause(first)).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    expect(events.filter((event) => event._tag === "CommandFailed")).toEqual([])
    const issued = events.find(
      (event) => event._tag === "CommandIssued" && event.command._tag === "SetCapacity",
    )
    expect(issued?._tag === "CommandIssued" ? issued.attempt : undefined).toBe(1)
    // The call abandoned after the timeout, then the same request again, answered, in the same command.
    const calls = world.simulation.callLog.filter((call) => call.operation === operation)
    expect(calls.slice(0, 2).map((call) => [call.at - (issued?.at ?? 0), call.outcome])).toEqual([
      [callTimeoutMs(testSettings), "abandoned"],
      [expect.any(Number), "ok"],
    ])
    expect(calls[1]?.input).toEqual(abandoned[0]?.input)
    expect((calls[1]?.at ?? Infinity) - (issued?.at ?? 0)).toBeLessThan(testSettings.stepBudgetMs)
  })

  it("given each AWS operation a rollout makes under its lock, hung for 10 minutes in turn, when the executor rolls out, then the call is abandoned one call timeout after it was made — before the lease it started under could expire — and the executor never loses its lease", async () => {
    // The operations an uninterrupted rollout of `small` makes (STS names the account before the lock is taken).
    const reference = makeWorld("small")
    await reference.run(
      runRollout({
        clusterName: reference.clusterName,
        policy: defaultPolicy,
        holder: "reference",
        settings,
      }),
      makeMemoryEventLog(emptyMemoryStorage()),
    )
    const operations = [...new Set(reference.simulation.callLog.map((call) => call.operation))].filter(
      (operation) => !operation.startsWith("sts:"),
    )
    expect(operations).toContain("elasticloadbalancing:DescribeTargetHealth")
    const timeout = callTimeoutMs(settings)
    expect(timeout).toBeLessThan(settings.leaseMs / 2)
    const outcomes = []
    for (const operation of operations) {
      const { first, abandoned } = await rolloutWithHungCall(operation)
      const ended = valueOrCause(first) as { readonly _tag?: string }
      outcomes.push({
        operation,
        abandonedAfter: abandoned.map((call) => call.at - (call.madeAt ?? Number.NaN)),
        leaseLost: ended._tag === "StaleLease",
      })
    }
    expect(outcomes).toEqual(
      operations.map((operation) => ({ operation, abandonedAfter: [timeout], leaseLost: false })),
    )
  })

  it.each([
    ["a launch-spec plugin's call", "ec2:CreateLaunchTemplateVersion"],
    ["an observation's read", "ecs:DescribeServices"],
    ["the target health gate's read", "elasticloadbalancing:DescribeTargetHealth"],
  ])(
    "given %s hung for 10 minutes under a 5-minute lease, when the executor rolls out, then it abandons the call before its lease expires, keeps its lease and finishes",
    async (_what, operation) => {
      const { first, successor, abandoned } = await rolloutWithHungCall(operation)
      expect(valueOrCause(first)).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
      expect(valueOrCause(successor)).toMatchObject({ _tag: "LockHeld", holder: "first" })
      expect(abandoned.map((call) => call.at - (call.madeAt ?? Number.NaN))).toEqual([
        callTimeoutMs(settings),
      ])
    },
  )
})
