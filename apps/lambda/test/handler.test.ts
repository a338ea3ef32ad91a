import { describe, expect, it } from "@effect/vitest"
import { emptyMemoryStorage, layerMemory } from "@ecs-ami-deploy/event-log"
import { lambdaOnSimulatorSuite } from "./lambda-suite.ts"
import { announcementEvent, makeSimulatedLambda, scheduledEvent } from "./simulated-lambda.ts"

const fullBudgetMs = 15 * 60_000

describe("handler on the simulator, memory event log", () => {
  lambdaOnSimulatorSuite(() => Promise.resolve(layerMemory(emptyMemoryStorage())))

  it("given a malformed event, when invoked, then it is rejected and nothing is called", async () => {
    const lambda = makeSimulatedLambda(layerMemory(emptyMemoryStorage()))
    const report = await lambda.invoke({ Records: [{ EventSource: "aws:sqs" }] }, fullBudgetMs)
    expect(report._tag).toBe("Rejected")
    expect(lambda.simulation.callLog).toEqual([])
    expect(lambda.logLines).toMatchObject([
      { level: "ERROR", message: expect.stringContaining("event rejected") },
    ])
  })

  it("given a continue event for a cluster not configured, when invoked, then it is rejected and nothing is called", async () => {
    const lambda = makeSimulatedLambda(layerMemory(emptyMemoryStorage()))
    const report = await lambda.invoke(
      { kind: "ecs-ami-deploy.continue", clusterName: "someone-elses", hop: 1 },
      fullBudgetMs,
    )
    expect(report).toMatchObject({ _tag: "Rejected", problem: expect.stringContaining("someone-elses") })
    expect(lambda.simulation.callLog).toEqual([])
  })

  it("given a continue event past MAX_CONTINUATIONS, when the run is still open, then it is not handed over again", async () => {
    const lambda = makeSimulatedLambda(layerMemory(emptyMemoryStorage()), { MAX_CONTINUATIONS: "1" })
    await lambda.invoke(announcementEvent, 4 * 60_000)
    const handOver = lambda.pendingHandOvers.shift()
    const report = await lambda.invoke(handOver, 4 * 60_000)
    expect(handOver).toMatchObject({ hop: 1 })
    expect(report).toMatchObject({
      _tag: "Handled",
      clusters: [{ _tag: "Ran", result: { _tag: "Suspended" }, handedOver: false }],
    })
    expect(lambda.pendingHandOvers).toEqual([])
    expect(lambda.logLines.filter((line) => line["level"] === "ERROR")).toMatchObject([
      { message: expect.stringContaining("MAX_CONTINUATIONS") },
    ])
  })

  it("given a configured cluster that does not exist, when invoked, then the other cluster still runs and the invocation fails naming the missing one", async () => {
    const lambda = makeSimulatedLambda(layerMemory(emptyMemoryStorage()), {
      CLUSTERS: "small-cluster,ghost-cluster",
    })
    const invocation = lambda.invoke(scheduledEvent, fullBudgetMs)
    await expect(invocation).rejects.toThrow(/^ghost-cluster: /)
    expect(lambda.notifications.filter((n) => n.kind === "started").map((n) => n.clusterName)).toEqual([
      "small-cluster",
    ])
    expect(lambda.logLines).toContainEqual(
      expect.objectContaining({ level: "ERROR", cluster: "ghost-cluster", cause: expect.any(String) }),
    )
  })

  it("given no open run, when the resume sweep fires, then it touches no cluster and calls nothing but STS (whose account and Region key the runs)", async () => {
    const lambda = makeSimulatedLambda(layerMemory(emptyMemoryStorage()))
    const report = await lambda.invoke({ kind: "ecs-ami-deploy.resume-open-runs" }, fullBudgetMs)
    expect(report).toEqual({ _tag: "Handled", trigger: "ResumeOpenRuns", clusters: [] })
    expect(lambda.simulation.callLog.filter((call) => call.operation !== "sts:GetCallerIdentity")).toEqual([])
  })

  it("given a run whose hand-over was lost, when the resume sweep fires, then it resumes the run and hands over again", async () => {
    const lambda = makeSimulatedLambda(layerMemory(emptyMemoryStorage()))
    await lambda.invoke(scheduledEvent, 4 * 60_000)
    lambda.pendingHandOvers.splice(0)
    lambda.simulation.advance(15 * 60_000)
    const report = await lambda.invoke({ kind: "ecs-ami-deploy.resume-open-runs" }, 4 * 60_000)
    expect(report).toMatchObject({
      _tag: "Handled",
      clusters: [{ _tag: "Ran", clusterName: "small-cluster" }],
    })
    expect(new Set((await lambda.runEvents()).map((event) => event.runId)).size).toBe(1)
    expect(lambda.pendingHandOvers).toHaveLength(1)
  })

  it("given an invocation that works on a cluster, then every log line carries the cluster, run id and phase fields", async () => {
    const lambda = makeSimulatedLambda(layerMemory(emptyMemoryStorage()))
    await lambda.invoke(scheduledEvent, fullBudgetMs)
    for (const line of lambda.logLines)
      expect(Object.keys(line)).toEqual(expect.arrayContaining(["cluster", "runId", "phase", "requestId"]))
    expect(lambda.logLines.filter((line) => line["runId"] !== null).length).toBeGreaterThan(0)
    expect(lambda.logLines.at(-1)).toMatchObject({
      cluster: "small-cluster",
      runId: expect.any(String),
      phase: expect.any(String),
    })
  })
})

describe("checkpoints in the Lambda", () => {
  it("given CHECKPOINTS=50%, when the run reaches it, then it waits without a hand-over until a continue-at-checkpoint event, which finishes it", async () => {
    const lambda = makeSimulatedLambda(layerMemory(emptyMemoryStorage()), { CHECKPOINTS: "50%" })
    const first = await lambda.invoke(scheduledEvent, fullBudgetMs)
    expect(first).toMatchObject({
      _tag: "Handled",
      clusters: [{ _tag: "Ran", result: { _tag: "Suspended", waitsAtCheckpoint: 50 }, handedOver: false }],
    })
    expect(lambda.pendingHandOvers).toEqual([])
    const eventsAtCheckpoint = (await lambda.runEvents()).length
    const swept = await lambda.invoke({ kind: "ecs-ami-deploy.resume-open-runs" }, fullBudgetMs)
    expect(swept).toMatchObject({ clusters: [{ result: { waitsAtCheckpoint: 50 }, handedOver: false }] })
    expect((await lambda.runEvents()).length).toBe(eventsAtCheckpoint)
    const continued = await lambda.invoke(
      { kind: "ecs-ami-deploy.continue-at-checkpoint", clusterName: "small-cluster", by: "alice" },
      fullBudgetMs,
    )
    expect(continued).toMatchObject({
      trigger: "ContinueAtCheckpoint",
      clusters: [{ _tag: "Ran", result: { _tag: "Finished", outcome: "succeeded" } }],
    })
    expect(await lambda.runEvents()).toContainEqual(
      expect.objectContaining({ _tag: "CheckpointContinued", percent: 50, by: "alice" }),
    )
  })
})
