/**
 * `progressOf`: a run's progress from its folded state — the phase the planner recorded for its latest
 * step (or, in a log recorded before phases were kept, the one the command's kind implies), waves,
 * old instances drained and terminated, commands by outcome and per phase.
 */
import { defaultPolicy, type Command, type RunEvent, type RunEventBody } from "@ecs-ami-deploy/domain"
import { describe, expect, it } from "vitest"
import { evolve, initialState, progressOf } from "../src/index.ts"
import { newImage, policy } from "./fixtures.ts"

/** Stamps bodies as the run loop does: version, run id, consecutive sequence numbers, a second apart. */
const fold = (...bodies: ReadonlyArray<RunEventBody>) =>
  bodies
    .map((body, seq) => ({ ...body, schemaVersion: 1, runId: "run-1", seq, at: seq * 1_000 }) as RunEvent)
    .reduce(evolve, initialState)

const started = (overrides: Partial<Extract<RunEventBody, { _tag: "RunStarted" }>> = {}): RunEventBody => ({
  _tag: "RunStarted",
  clusterName: "prod",
  policy: defaultPolicy,
  targetImage: newImage,
  groups: [
    {
      asgName: "web",
      desiredCapacity: 2,
      minSize: 1,
      maxSize: 4,
      launchSpec: {
        _tag: "LaunchTemplate",
        template: { launchTemplateId: "lt-1", launchTemplateName: "web", version: "$Latest" },
      },
      launchSpecImageId: "ami-old",
      suspendedProcesses: [],
      oldInstanceIds: ["i-a", "i-b"],
    },
  ],
  reason: "2 instances to move",
  ...overrides,
})
const drainA: Command = {
  _tag: "DrainInstances",
  id: "drain:web:w1",
  reason: "wave 1",
  clusterName: "prod",
  wave: 1,
  containerInstanceArns: ["arn:a"],
  instanceIds: ["i-a"],
}
const terminateA: Command = {
  _tag: "TerminateInstances",
  id: "terminate:web:w1",
  reason: "drained",
  asgName: "web",
  instanceIds: ["i-a"],
  decrementDesiredCapacity: true,
}
const restoreCapacity: Command = {
  _tag: "SetCapacity",
  id: "restore-capacity:web",
  reason: "back to the start capacity",
  asgName: "web",
  desiredCapacity: 2,
  minSize: 1,
  maxSize: 4,
}
const surge = (wave: number, desiredCapacity: number): Command => ({
  _tag: "SetCapacity",
  id: `capacity:web:w${wave}`,
  reason: `wave ${wave}`,
  asgName: "web",
  desiredCapacity,
  minSize: 1,
  maxSize: 4,
})
const issued = (command: Command, recorded: { phase?: "restoring" | "launching"; wave?: number } = {}) =>
  ({ _tag: "CommandIssued", command, attempt: 1, ...recorded }) as RunEventBody
const succeeded = (command: Command): RunEventBody => ({ _tag: "CommandSucceeded", commandId: command.id })

describe("progressOf", () => {
  it("given a terminate whose outcome is unknown, then the drained instance counts, the terminated one not yet", () => {
    const progress = progressOf(fold(started(), issued(drainA), succeeded(drainA), issued(terminateA)))
    expect(progress).toMatchObject({
      phase: "terminating",
      wave: 1,
      groups: [{ asgName: "web", oldInstances: 2, drained: 1, terminated: 0 }],
      commands: { succeeded: 1, failed: 0, outcomeUnknown: 1 },
    })
    expect(progress.groups[0]?.instances).toEqual([
      { instanceId: "i-a", step: "draining" },
      { instanceId: "i-b", step: "to replace" },
    ])
  })

  it("given a rollback, then the phase is rolling-back and the reason is kept", () => {
    const progress = progressOf(
      fold(
        started(),
        issued(drainA),
        {
          _tag: "CommandFailed",
          commandId: drainA.id,
          errorTag: "AwsCallError",
          message: "denied",
          retryable: false,
        },
        { _tag: "RollbackStarted", reason: "command drain:web:w1 failed" },
      ),
    )
    expect(progress).toMatchObject({
      phase: "rolling-back",
      rollbackReason: "command drain:web:w1 failed",
      commands: { failed: 1 },
    })
  })

  it("given the end-of-run capacity restore recorded in the planner's phase, then progress shows restoring, not launching", () => {
    const recorded = progressOf(fold(started(), issued(restoreCapacity, { phase: "restoring" })))
    expect(recorded.phase).toBe("restoring")
    // A log recorded before phases were kept falls back to the command's kind.
    expect(progressOf(fold(started(), issued(restoreCapacity))).phase).toBe("launching")
  })

  it("given a wave recorded on its capacity command, then the wave counts once that command succeeded", () => {
    const second = surge(2, 3)
    const before = progressOf(fold(started(), issued(second, { phase: "launching", wave: 2 })))
    const after = progressOf(
      fold(started(), issued(second, { phase: "launching", wave: 2 }), succeeded(second)),
    )
    expect([before.wave, after.wave]).toEqual([0, 2])
    expect(after.peakExtraInstances).toBe(1)
  })

  it("sizes the waves as the planner does: a wave is the smaller of max surge and max draining", () => {
    const all = { unit: "percent", value: 100 } as const
    const oneAtATime = { unit: "instances", value: 1 } as const
    const waves = (overrides: Parameters<typeof policy>[0]) =>
      progressOf(fold(started({ policy: policy(overrides) }))).estimatedWaves
    expect(waves({ maxSurge: all, maxDraining: all })).toBe(1)
    expect(waves({ maxSurge: all, maxDraining: oneAtATime })).toBe(2)
    expect(waves({ maxSurge: oneAtATime, maxDraining: all })).toBe(2)
  })

  it("given a finished run, then its progress keeps what its commands did and the phase is finished", () => {
    const progress = progressOf(
      fold(started(), issued(drainA), succeeded(drainA), issued(terminateA), succeeded(terminateA), {
        _tag: "RunFinished",
        outcome: "succeeded",
        reason: "done",
      }),
    )
    expect(progress).toMatchObject({
      phase: "finished",
      groups: [{ asgName: "web", drained: 1, terminated: 1 }],
      commands: { succeeded: 2, failed: 0, outcomeUnknown: 0 },
    })
    expect(progress.phases.map((phase) => [phase.phase, phase.firstAt, phase.lastAt])).toEqual([
      ["draining", 1_000, 2_000],
      ["terminating", 3_000, 4_000],
    ])
  })
})
