/**
 * The fleet decider, given events, when deciding at a time, then the next step: stages in order,
 * batches of the stage's size, a bake before the next stage, and a stop that names where.
 */
import { describe, expect, it } from "vitest"
import {
  FLEET_ROLLOUT_SCHEMA_VERSION,
  type FleetRolloutEvent,
  type FleetRolloutEventBody,
} from "@ecs-ami-deploy/domain"
import { decide, fold } from "../src/index.ts"

const T0 = 1_767_225_600_000
const cluster = (name: string) => ({ id: `caller/eu-west-1/${name}`, clusterName: name, region: "eu-west-1" })

const stream = (...bodies: ReadonlyArray<FleetRolloutEventBody>): ReadonlyArray<FleetRolloutEvent> =>
  bodies.map(
    (body, seq) =>
      ({
        ...body,
        schemaVersion: FLEET_ROLLOUT_SCHEMA_VERSION,
        fleetName: "f",
        rolloutId: "f-1",
        seq,
        at: T0 + seq,
      }) as FleetRolloutEvent,
  )

const started: FleetRolloutEventBody = {
  _tag: "FleetRolloutStarted",
  fileDigest: "d",
  stages: [
    { name: "canary", batchSize: 1, bakeMs: 3_600_000, clusters: [cluster("c1")] },
    { name: "rest", batchSize: 2, bakeMs: 0, clusters: [cluster("c2"), cluster("c3"), cluster("c4")] },
  ],
}
const requested = (stage: string, name: string): FleetRolloutEventBody => ({
  _tag: "FleetClusterRunRequested",
  stage,
  cluster: `caller/eu-west-1/${name}`,
  runsBefore: [],
})
const ended = (
  stage: string,
  name: string,
  outcome: "succeeded" | "rolled-back" = "succeeded",
): FleetRolloutEventBody => ({
  _tag: "FleetClusterRunEnded",
  stage,
  cluster: `caller/eu-west-1/${name}`,
  runId: `${name}-run`,
  outcome,
  reason: "r",
})
const canaryDone: ReadonlyArray<FleetRolloutEventBody> = [
  started,
  { _tag: "FleetStageStarted", stage: "canary" },
  requested("canary", "c1"),
  ended("canary", "c1"),
]

describe("fleet decider", () => {
  it("given no stream, then there is no open rollout", () => {
    expect(decide(fold([]), T0)).toEqual({ _tag: "NoOpenRollout" })
  })

  it("given a started rollout, then its first stage starts, then its first batch runs", () => {
    expect(decide(fold(stream(started)), T0)).toEqual({ _tag: "StartStage", stage: "canary" })
    expect(decide(fold(stream(started, { _tag: "FleetStageStarted", stage: "canary" })), T0)).toEqual({
      _tag: "RunClusters",
      stage: "canary",
      clusters: ["caller/eu-west-1/c1"],
    })
  })

  it("given a requested cluster without an end (a killed rollout), then it runs again before anything else", () => {
    expect(decide(fold(stream(...canaryDone.slice(0, 3))), T0)).toMatchObject({
      _tag: "RunClusters",
      clusters: ["caller/eu-west-1/c1"],
    })
  })

  it("given the canary succeeded, then it bakes for the stage's bake time, and the next stage waits for the bake", () => {
    const now = T0 + 10
    expect(decide(fold(stream(...canaryDone)), now)).toEqual({
      _tag: "StartBake",
      stage: "canary",
      until: now + 3_600_000,
    })
    const baking = [
      ...canaryDone,
      { _tag: "FleetStageBakeStarted", stage: "canary", until: now + 3_600_000 } as const,
    ]
    expect(decide(fold(stream(...baking)), now)).toEqual({
      _tag: "FinishBake",
      stage: "canary",
      until: now + 3_600_000,
    })
    const baked = [
      ...baking,
      { _tag: "FleetStageBakeEnded", stage: "canary", firing: [], checked: "x" } as const,
    ]
    expect(decide(fold(stream(...baked)), now)).toEqual({ _tag: "StartStage", stage: "rest" })
  })

  it("given an alarm firing at the end of the bake, then the fleet stops at that stage and the next never starts", () => {
    const events = [
      ...canaryDone,
      { _tag: "FleetStageBakeStarted", stage: "canary", until: T0 } as const,
      {
        _tag: "FleetStageBakeEnded",
        stage: "canary",
        firing: ["caller/eu-west-1/c1: high-5xx"],
        checked: "x",
      } as const,
    ]
    expect(decide(fold(stream(...events)), T0)).toMatchObject({
      _tag: "Finish",
      outcome: "stopped",
      stoppedAt: { stage: "canary" },
      reason: expect.stringContaining("high-5xx in ALARM; stage(s) rest not started"),
    })
  })

  it("given a stage of three in batches of two, then two run together, then the third", () => {
    const rest = [
      ...canaryDone,
      { _tag: "FleetStageBakeStarted", stage: "canary", until: T0 } as const,
      { _tag: "FleetStageBakeEnded", stage: "canary", firing: [], checked: "x" } as const,
      { _tag: "FleetStageStarted", stage: "rest" } as const,
    ]
    expect(decide(fold(stream(...rest)), T0)).toMatchObject({
      clusters: ["caller/eu-west-1/c2", "caller/eu-west-1/c3"],
    })
    const firstBatch = [
      ...rest,
      requested("rest", "c2"),
      requested("rest", "c3"),
      ended("rest", "c3"),
      ended("rest", "c2"),
    ]
    expect(decide(fold(stream(...firstBatch)), T0)).toMatchObject({ clusters: ["caller/eu-west-1/c4"] })
    const done = [...firstBatch, requested("rest", "c4"), ended("rest", "c4")]
    expect(decide(fold(stream(...done)), T0)).toEqual({ _tag: "StartBake", stage: "rest", until: T0 })
  })

  it("given a cluster of a batch that rolled back, then the fleet stops naming stage, cluster, run and outcome once its batch ended", () => {
    const rest = [
      ...canaryDone,
      { _tag: "FleetStageBakeStarted", stage: "canary", until: T0 } as const,
      { _tag: "FleetStageBakeEnded", stage: "canary", firing: [], checked: "x" } as const,
      { _tag: "FleetStageStarted", stage: "rest" } as const,
      requested("rest", "c2"),
      requested("rest", "c3"),
      ended("rest", "c2", "rolled-back"),
    ]
    expect(decide(fold(stream(...rest)), T0)).toMatchObject({
      _tag: "RunClusters",
      clusters: ["caller/eu-west-1/c3"],
    })
    expect(decide(fold(stream(...rest, ended("rest", "c3"))), T0)).toEqual({
      _tag: "Finish",
      outcome: "stopped",
      reason:
        "cluster caller/eu-west-1/c2 of stage rest ended rolled-back (run c2-run): r; it was the last stage; nothing was rolled back: caller/eu-west-1/c1, caller/eu-west-1/c3 keep the new image (to undo, roll each onto the previous image with `ecs-ami-deploy upgrade-cluster --cluster C --ami-id <previous image>` in its account and Region; once the cause is fixed, `fleet apply` starts a new rollout)",
      stoppedAt: { stage: "rest", cluster: "caller/eu-west-1/c2", runId: "c2-run", outcome: "rolled-back" },
    })
  })

  it("given a finished rollout, then nothing is open", () => {
    const events = stream(started, { _tag: "FleetRolloutFinished", outcome: "stopped", reason: "r" })
    expect(decide(fold(events), T0)).toEqual({ _tag: "NoOpenRollout" })
    expect(fold(events).rollout?.finished).toMatchObject({ outcome: "stopped" })
  })
})
