/**
 * `initialState` and `evolve`: every RunEvent variant folds, and the fold is what resume relies on.
 */
import type { Command } from "@ecs-ami-deploy/domain"
import { HashMap } from "effect"
import { describe, expect, it } from "vitest"
import { evolve, initialState, type RunState } from "../src/index.ts"
import { events, newImage, runStartedWithoutGroups } from "./fixtures.ts"

const drain: Command = {
  _tag: "DrainInstances",
  id: "drain:a:w1",
  reason: "test",
  clusterName: "ci",
  wave: 1,
  containerInstanceArns: ["arn:ci/i-1"],
  instanceIds: ["i-1"],
}

const started = events("run-1", 100, [runStartedWithoutGroups])

const fold = (log: Parameters<typeof evolve>[1][]): RunState => log.reduce(evolve, initialState)

const running = (state: RunState) => {
  if (state._tag !== "Running") throw new Error(`expected a running state, got ${state._tag}`)
  return state
}

describe("evolve", () => {
  it("given no events, then the state is the no-run state", () => {
    expect(initialState).toEqual({ _tag: "NoRun", lastSeq: -1 })
  })

  it("given RunStarted, then the run facts are recorded with the start time", () => {
    const state = running(fold(started))
    expect(state.run).toMatchObject({
      runId: "run-1",
      clusterName: "ci",
      startedAt: 100,
      targetImage: newImage,
    })
  })

  it("given an intent without an outcome, then the command's outcome is unknown", () => {
    const state = running(
      fold([...started, ...events("run-1", 200, [{ _tag: "CommandIssued", command: drain, attempt: 1 }], 1)]),
    )
    expect(HashMap.get(state.commands, drain.id)).toMatchObject({
      value: { outcome: "unknown", issuedAt: 200, attempts: 1 },
    })
  })

  it("given an intent then a success, then the command succeeded at the outcome's time", () => {
    const log = [
      ...started,
      ...events("run-1", 200, [{ _tag: "CommandIssued", command: drain, attempt: 1 }], 1),
      ...events("run-1", 250, [{ _tag: "CommandSucceeded", commandId: drain.id }], 2),
    ]
    expect(HashMap.get(running(fold(log)).commands, drain.id)).toMatchObject({
      value: { outcome: "succeeded", outcomeAt: 250 },
    })
  })

  it("given failures, then they are counted with the last error and whether it is retryable", () => {
    const attempt = (k: number) => [
      ...events("run-1", 200 + k, [{ _tag: "CommandIssued", command: drain, attempt: k }], 1 + 2 * k),
      ...events(
        "run-1",
        201 + k,
        [
          {
            _tag: "CommandFailed",
            commandId: drain.id,
            errorTag: "AwsCallError",
            message: "slow down",
            retryable: true,
          },
        ],
        2 + 2 * k,
      ),
    ]
    const state = running(fold([...started, ...attempt(0), ...attempt(1)]))
    expect(HashMap.get(state.commands, drain.id)).toMatchObject({
      value: {
        outcome: "failed",
        failures: 2,
        attempts: 2,
        lastFailure: { errorTag: "AwsCallError", retryable: true },
      },
    })
  })

  it("given lease, note, suspension, rollback and finish events, then each folds and the sequence follows the log", () => {
    const log = [
      ...started,
      ...events(
        "run-1",
        300,
        [
          { _tag: "LeaseAcquired", holder: "lambda", fencingToken: 2 },
          { _tag: "Noted", level: "warning", message: "slow drain" },
          { _tag: "RunSuspended", reason: "deadline" },
          { _tag: "RollbackStarted", reason: "drain timeout" },
        ],
        1,
      ),
    ]
    const state = running(fold(log))
    expect([state.rollback, state.lastSeq]).toEqual([{ reason: "drain timeout", at: 300 }, 4])
    const finished = fold([
      ...log,
      ...events("run-1", 400, [{ _tag: "RunFinished", outcome: "rolled-back", reason: "done" }], 5),
    ])
    expect(finished).toMatchObject({ _tag: "Finished", outcome: "rolled-back", lastSeq: 5 })
  })

  it("given an outcome of another run, then the open run's commands are unchanged", () => {
    const state = fold([
      ...started,
      ...events("run-0", 200, [{ _tag: "CommandSucceeded", commandId: drain.id }], 1),
    ])
    expect(HashMap.size(running(state).commands)).toBe(0)
  })
})
