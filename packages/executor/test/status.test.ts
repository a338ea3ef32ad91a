import { describe, expect, it } from "vitest"
import { defaultPolicy, EVENT_SCHEMA_VERSION, type RunEvent, type RunEventBody } from "@ecs-ami-deploy/domain"
import { progressOf } from "../src/status.ts"
import { group, image } from "./fakes.ts"

/** Stamps bodies as the run loop does: version, run id, consecutive sequence numbers. */
const log = (...bodies: ReadonlyArray<RunEventBody>): ReadonlyArray<RunEvent> =>
  bodies.map(
    (body, seq) =>
      ({ ...body, schemaVersion: EVENT_SCHEMA_VERSION, runId: "run-1", seq, at: seq * 1_000 }) as RunEvent,
  )

const web = group("web")
const started: RunEventBody = {
  _tag: "RunStarted",
  clusterName: "prod",
  policy: defaultPolicy,
  targetImage: image("ami-new", 2),
  groups: [
    {
      asgName: "web",
      desiredCapacity: 2,
      minSize: 1,
      maxSize: 4,
      launchSpec: web.launchSpec,
      launchSpecImageId: "ami-old",
      suspendedProcesses: [],
      oldInstanceIds: ["i-a", "i-b"],
    },
  ],
  reason: "2 instances to move",
}
const drainA: RunEventBody = {
  _tag: "CommandIssued",
  attempt: 1,
  command: {
    _tag: "DrainInstances",
    id: "drain:web:w1",
    reason: "wave 1",
    clusterName: "prod",
    wave: 1,
    containerInstanceArns: ["arn:a"],
    instanceIds: ["i-a"],
  },
}
const terminateA: RunEventBody = {
  _tag: "CommandIssued",
  attempt: 1,
  command: {
    _tag: "TerminateInstances",
    id: "terminate:web:w1",
    reason: "drained",
    asgName: "web",
    instanceIds: ["i-a"],
    decrementDesiredCapacity: true,
  },
}

describe("progressOf", () => {
  it("given a terminate whose outcome is unknown, when summarised, then the drained instance counts, the terminated one not yet", () => {
    const progress = progressOf(
      log(started, drainA, { _tag: "CommandSucceeded", commandId: "drain:web:w1" }, terminateA),
    )
    expect(progress).toEqual({
      phase: "terminating",
      groups: [{ asgName: "web", oldInstances: 2, drained: 1, terminated: 0 }],
      commands: { succeeded: 1, failed: 0, outcomeUnknown: 1 },
    })
  })

  it("given a rollback, when summarised, then the phase is rolling-back and the reason is kept", () => {
    const progress = progressOf(
      log(
        started,
        drainA,
        {
          _tag: "CommandFailed",
          commandId: "drain:web:w1",
          errorTag: "AwsCallError",
          message: "denied",
          retryable: false,
        },
        {
          _tag: "RollbackStarted",
          reason: "command drain:web:w1 failed",
        },
      ),
    )
    expect(progress).toMatchObject({
      phase: "rolling-back",
      rollbackReason: "command drain:web:w1 failed",
      commands: { failed: 1 },
    })
  })
})
