/**
 * A fleet deployment's handler on simulated clusters: the schedule starts the fleet's rollout, an
 * invocation that runs out of time leaves it suspended in the event log, and the resume sweep carries
 * it to the end; the cold start refuses a bad FLEET and CLUSTERS beside FLEET.
 */
import { describe, expect, it } from "vitest"
import { Layer, Result } from "effect"
import { emptyMemoryStorage, layerMemoryWithFleets } from "@ecs-ami-deploy/event-log"
import { decodeFleetFile } from "@ecs-ami-deploy/multi-cluster"
import { simulatedFleet } from "@ecs-ami-deploy/multi-cluster/simulator"
import { Effect } from "effect"
import { scenarios } from "ecs-ami-deploy/simulator"
import { loadConfig } from "../src/config.ts"
import { makeFleetHandler } from "../src/fleet-handler.ts"
import { resumeOpenRunsKind } from "../src/triggers.ts"

const fleetText = JSON.stringify({
  fleet: "platform",
  defaults: { region: "eu-west-1", role: "arn:aws:iam::222222222222:role/ecs-ami-deploy-rollout" },
  stages: [
    { name: "canary", bakeMs: 3_600_000, clusters: [{ cluster: "canary" }] },
    { name: "rest", batchSize: 2, clusters: [{ cluster: "a" }, { cluster: "b" }] },
  ],
})

const env = (extra: Record<string, string> = {}) => ({
  EVENT_LOG_TABLE: "log",
  AWS_LAMBDA_FUNCTION_NAME: "ecs-ami-deploy",
  FLEET: fleetText,
  ...extra,
})

const scheduled = {
  source: "aws.events",
  "detail-type": "Scheduled Event",
  id: "e-1",
  time: "2026-11-26T00:00:00Z",
}

describe("fleet deployment handler", () => {
  it("given the schedule, then the fleet starts; out of time it is suspended, and the resume sweep finishes it", async () => {
    const config = loadConfig(env())
    if (Result.isFailure(config)) throw config.failure
    const fleet = await Effect.runPromise(decodeFleetFile(fleetText, "FLEET"))
    const simulated = simulatedFleet(fleet, () => scenarios.small)
    const log = layerMemoryWithFleets(emptyMemoryStorage())
    const handler = makeFleetHandler(
      config.success,
      fleet,
      Layer.mergeAll(log, simulated.runner().pipe(Layer.provide(log)), simulated.clockLayer),
    )
    // 40 minutes: the canary rolls (about 16 simulated minutes), its hour of bake does not fit.
    const first = await handler(scheduled, {
      awsRequestId: "r-1",
      getRemainingTimeInMillis: () => 40 * 60_000,
    })
    expect(first).toMatchObject({ _tag: "Fleet", trigger: "Schedule", result: { _tag: "Suspended" } })
    const sweep = await handler(
      { kind: resumeOpenRunsKind },
      { awsRequestId: "r-2", getRemainingTimeInMillis: () => 15 * 3_600_000 },
    )
    expect(sweep).toMatchObject({
      _tag: "Fleet",
      trigger: "ResumeOpenRuns",
      result: { _tag: "Finished", outcome: "succeeded" },
    })
    // Nothing open any more: the sweep starts nothing.
    const idle = await handler(
      { kind: resumeOpenRunsKind },
      { awsRequestId: "r-3", getRemainingTimeInMillis: () => 60_000 },
    )
    expect(idle).toMatchObject({ result: { _tag: "NoOpenRollout" } })
    expect(simulated.assumeRoleCalls.length).toBeGreaterThanOrEqual(3)
  })

  it("given a bad FLEET or CLUSTERS beside it, then the cold start refuses it naming the variable", () => {
    const bad = loadConfig(env({ FLEET: JSON.stringify({ fleet: "f", stages: [] }), CLUSTERS: "prod" }))
    expect(Result.isFailure(bad)).toBe(true)
    if (Result.isSuccess(bad)) return
    expect(bad.failure.problems.map((problem) => problem.variable).sort()).toEqual(["CLUSTERS", "FLEET"])
    expect(Result.isSuccess(loadConfig(env()))).toBe(true)
  })
})
