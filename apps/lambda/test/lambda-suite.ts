/**
 * The Lambda's behaviour on the simulator, as one suite run against each event-log backend (memory
 * in the unit tests, DynamoDB on dynalite in the integration test): a rollout longer than one
 * invocation completes across hand-overs without a service dipping below its floor and without any
 * action taken twice; duplicate SNS deliveries and overlapping invocations add nothing.
 */
import { expect, it } from "@effect/vitest"
import type { Layer } from "effect"
import type { EventLog } from "@ecs-ami-deploy/ports"
import { newImageId } from "@ecs-ami-deploy/simulator"
import type { InvocationReport } from "../src/handler.ts"
import {
  announcementEvent,
  makeSimulatedLambda,
  scheduledEvent,
  type SimulatedLambda,
} from "./simulated-lambda.ts"

const minutes = 60_000
/** Far shorter than the rollout of the small scenario (about 15 simulated minutes): forces hand-overs. */
const shortBudgetMs = 4 * minutes
/** The simulated delay between a hand-over and the invocation it triggers. */
const invokeLatencyMs = 1_500

/** Plays the Lambda service: delivers each queued continue event as a new invocation until none is left. */
const deliverHandOvers = async (
  lambda: SimulatedLambda,
  budgetMs: number,
): Promise<ReadonlyArray<InvocationReport>> => {
  const reports: Array<InvocationReport> = []
  for (
    let next = lambda.pendingHandOvers.shift();
    next !== undefined;
    next = lambda.pendingHandOvers.shift()
  ) {
    lambda.simulation.advance(invokeLatencyMs)
    reports.push(await lambda.invoke(next, budgetMs))
  }
  return reports
}

const mutatingCalls = (lambda: SimulatedLambda, operation: string) =>
  lambda.simulation.callLog.filter(
    (call) => call.mutating && call.outcome === "ok" && call.operation === operation,
  )

/** The ids each successful mutating call of `operation` acted on, flattened: duplicates mean an action was repeated. */
const actedOn = (
  lambda: SimulatedLambda,
  operation: string,
  ids: (input: Record<string, unknown>) => ReadonlyArray<string>,
) => mutatingCalls(lambda, operation).flatMap((call) => ids(call.input as Record<string, unknown>))

const strings = (value: unknown): ReadonlyArray<string> =>
  Array.isArray(value) ? value.filter((v) => typeof v === "string") : []

/** Every action of a rollout happened once: one launch template version, each old instance tagged, drained and terminated once. */
const expectEachActionOnce = (lambda: SimulatedLambda, oldInstanceIds: ReadonlyArray<string>) => {
  expect(mutatingCalls(lambda, "ec2:CreateLaunchTemplateVersion")).toHaveLength(1)
  const terminated = [
    ...actedOn(lambda, "autoscaling:TerminateInstanceInAutoScalingGroup", (input) =>
      strings([input["instanceId"]]),
    ),
    ...actedOn(lambda, "ec2:TerminateInstances", (input) => strings(input["instanceIds"])),
  ]
  expect([...terminated].sort()).toEqual([...oldInstanceIds].sort())
  const drained = actedOn(lambda, "ecs:UpdateContainerInstancesState", (input) =>
    strings(input["containerInstanceArns"]),
  )
  expect(new Set(drained).size).toBe(drained.length)
  expect(drained).toHaveLength(oldInstanceIds.length)
  const tagged = actedOn(lambda, "ec2:CreateTags", (input) => strings(input["resourceIds"]))
  expect(new Set(tagged).size).toBe(tagged.length)
}

const liveInstances = (lambda: SimulatedLambda) =>
  lambda.simulation
    .snapshotState()
    .instances.filter((instance) => instance.state === "pending" || instance.state === "running")

/** Registers the suite; `eventLog` gives each test a fresh, empty log. */
export const lambdaOnSimulatorSuite = (eventLog: () => Promise<Layer.Layer<EventLog>>) => {
  it("given a rollout longer than one invocation, when each invocation has 4 minutes, then each stops before its buffer and the run completes across hand-overs with no service below its floor and no action repeated", async () => {
    const lambda = makeSimulatedLambda(await eventLog())
    const oldInstanceIds = liveInstances(lambda).map((instance) => instance.instanceId)

    const first = await lambda.invoke(scheduledEvent, shortBudgetMs)
    const continued = await deliverHandOvers(lambda, shortBudgetMs)

    expect(first).toMatchObject({
      _tag: "Handled",
      clusters: [{ _tag: "Ran", result: { _tag: "Suspended" }, handedOver: true }],
    })
    expect(continued.length).toBeGreaterThan(1)
    expect(continued.at(-1)).toMatchObject({
      _tag: "Handled",
      trigger: "Continue",
      clusters: [{ _tag: "Ran", result: { _tag: "Finished", outcome: "succeeded" }, handedOver: false }],
    })
    expect(liveInstances(lambda).map((instance) => instance.imageId)).toEqual(
      oldInstanceIds.map(() => newImageId),
    )
    expect(lambda.simulation.metrics().serviceSecondsBelowFloor).toBe(0)
    expectEachActionOnce(lambda, oldInstanceIds)
    for (const { tookMs, budgetMs } of lambda.durations)
      expect(tookMs).toBeLessThanOrEqual(budgetMs - lambda.config.deadlineBufferMs)
    expect(lambda.notifications.filter((n) => n.kind !== "suspended").map((n) => n.kind)).toEqual([
      "started",
      "succeeded",
    ])
  })

  it("given the announcement delivered twice, when the second copy arrives mid-run and again after it, then it only resumes or finds nothing to do", async () => {
    const lambda = makeSimulatedLambda(await eventLog())
    const oldInstanceIds = liveInstances(lambda).map((instance) => instance.instanceId)

    await lambda.invoke(announcementEvent, shortBudgetMs)
    lambda.simulation.advance(invokeLatencyMs)
    const duplicateMidRun = await lambda.invoke(announcementEvent, shortBudgetMs)
    await deliverHandOvers(lambda, shortBudgetMs)
    const mutationsBefore = lambda.simulation.callLog.filter((call) => call.mutating).length
    const duplicateAfter = await lambda.invoke(announcementEvent, shortBudgetMs)

    expect(duplicateMidRun).toMatchObject({ _tag: "Handled", clusters: [{ _tag: "Ran" }] })
    expect(duplicateAfter).toMatchObject({
      _tag: "Handled",
      clusters: [{ _tag: "Ran", result: { _tag: "NothingToDo" } }],
    })
    expect(lambda.simulation.callLog.filter((call) => call.mutating)).toHaveLength(mutationsBefore)
    expectEachActionOnce(lambda, oldInstanceIds)
    const runs = new Set((await lambda.runEvents()).map((event) => event.runId))
    expect(runs.size).toBe(1)
    expect(lambda.simulation.metrics().serviceSecondsBelowFloor).toBe(0)
  })

  it("given two invocations at once, when both reach the cluster, then one runs, the other leaves it to the first with no side effect", async () => {
    const lambda = makeSimulatedLambda(await eventLog())
    const oldInstanceIds = liveInstances(lambda).map((instance) => instance.instanceId)

    const [fromSchedule, fromAnnouncement] = await Promise.all([
      lambda.invoke(scheduledEvent, shortBudgetMs),
      lambda.invoke(announcementEvent, shortBudgetMs),
    ])
    const tags = [fromSchedule, fromAnnouncement].map((report) =>
      report._tag === "Handled" ? report.clusters[0]?._tag : report._tag,
    )
    await deliverHandOvers(lambda, shortBudgetMs)

    expect([...tags].sort()).toEqual(["Locked", "Ran"])
    expect(lambda.pendingHandOvers).toEqual([])
    expect(liveInstances(lambda).map((instance) => instance.imageId)).toEqual(
      oldInstanceIds.map(() => newImageId),
    )
    expectEachActionOnce(lambda, oldInstanceIds)
    expect(lambda.notifications.filter((n) => n.kind === "started")).toHaveLength(1)
  })
}
