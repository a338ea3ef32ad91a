/**
 * Per-group progress kept by `evolve`: which instances each wave and surplus-removal round took
 * (detach, else drain; latest intent), and whether its terminate succeeded (latest outcome), per group
 * and per scope (the end game's rounds apart from rollback's), from the structured command ids.
 */
import type { Command } from "@ecs-ami-deploy/domain"
import { describe, expect, it } from "vitest"
import { commandIds } from "../src/command-ids.ts"
import { groupProgressIn } from "../src/group-progress.ts"
import { evolve, initialState, type RunState } from "../src/index.ts"
import { events, runStartedWithoutGroups } from "./fixtures.ts"

const drainOf = (id: string, instanceIds: ReadonlyArray<string>): Command => ({
  _tag: "DrainInstances",
  id,
  reason: "test",
  clusterName: "ci",
  wave: 1,
  containerInstanceArns: instanceIds.map((instanceId) => `arn:ci/${instanceId}`),
  instanceIds,
})

const terminateOf = (id: string, asgName: string, instanceIds: ReadonlyArray<string>): Command => ({
  _tag: "TerminateInstances",
  id,
  reason: "test",
  asgName,
  instanceIds,
  decrementDesiredCapacity: true,
})

const detachOf = (id: string, asgName: string, instanceIds: ReadonlyArray<string>): Command => ({
  _tag: "DetachInstances",
  id,
  reason: "test",
  asgName,
  instanceIds,
  decrementDesiredCapacity: false,
})

type Body = Parameters<typeof events>[2][number]
const issued = (command: Command): Body => ({ _tag: "CommandIssued", command, attempt: 1 })
const succeeded = (commandId: string): Body => ({ _tag: "CommandSucceeded", commandId })
const failed = (commandId: string): Body => ({
  _tag: "CommandFailed",
  commandId,
  errorTag: "Throttled",
  message: "slow down",
  retryable: true,
})

const fold = (bodies: ReadonlyArray<Body>) => {
  const state: RunState = events("run-1", 100, [runStartedWithoutGroups, ...bodies]).reduce(
    evolve,
    initialState,
  )
  if (state._tag !== "Running") throw new Error(`expected a running state, got ${state._tag}`)
  return state
}

describe("per-group progress", () => {
  it("given waves drained, detached and terminated in two groups, then each group keeps its own", () => {
    const state = fold([
      issued(drainOf(commandIds.drain("a", 1), ["i-1"])),
      issued(terminateOf(commandIds.terminate("a", 1), "a", ["i-1"])),
      succeeded(commandIds.terminate("a", 1)),
      issued(detachOf(commandIds.detach("a", 2), "a", ["i-2", "i-3"])),
      issued(drainOf(commandIds.drain("a", 2), ["i-2"])),
      issued(drainOf(commandIds.drain("b:w9", 1), ["i-9"])),
    ])
    const a = groupProgressIn(state.groupProgress, "a")
    expect(a.waves.get(1)).toEqual({ drained: ["i-1"], terminated: true })
    expect(a.waves.get(2)).toEqual({ detached: ["i-2", "i-3"], drained: ["i-2"], terminated: false })
    expect(a.waves.get(3)).toBeUndefined()
    expect(groupProgressIn(state.groupProgress, "b:w9").waves.get(1)).toEqual({
      drained: ["i-9"],
      terminated: false,
    })
  })

  it("given a terminate re-issued after it failed, then the wave is not terminated until it succeeds", () => {
    const id = commandIds.terminate("a", 1)
    const failedOnce = fold([issued(terminateOf(id, "a", ["i-1"])), failed(id)])
    expect(groupProgressIn(failedOnce.groupProgress, "a").waves.get(1)?.terminated).toBe(false)
    const done = fold([
      issued(terminateOf(id, "a", ["i-1"])),
      failed(id),
      issued(terminateOf(id, "a", ["i-1"])),
      succeeded(id),
    ])
    expect(groupProgressIn(done.groupProgress, "a").waves.get(1)?.terminated).toBe(true)
  })

  it("given surplus rounds of the end game and of rollback, then they are kept apart from the waves", () => {
    const state = fold([
      issued(drainOf(commandIds.trimDrain("a", 1), ["i-5"])),
      issued(terminateOf(commandIds.trimTerminate("a", 1), "a", ["i-5"])),
      succeeded(commandIds.trimTerminate("a", 1)),
      issued(drainOf(commandIds.rollbackTrimDrain("a", 1), ["i-6"])),
    ])
    const a = groupProgressIn(state.groupProgress, "a")
    expect(a.waves.size).toBe(0)
    expect(a.rounds.get(1)).toEqual({ drained: ["i-5"], terminated: true })
    expect(a.rollbackRounds.get(1)).toEqual({ drained: ["i-6"], terminated: false })
  })

  it("given an outcome for a command never issued, or a step not numbered by wave, then no progress is kept", () => {
    const state = fold([
      succeeded(commandIds.terminate("a", 1)),
      issued(terminateOf(commandIds.removeNew("a"), "a", ["i-7"])),
      succeeded(commandIds.removeNew("a")),
    ])
    expect(groupProgressIn(state.groupProgress, "a")).toEqual({
      waves: new Map(),
      rounds: new Map(),
      rollbackRounds: new Map(),
    })
  })
})
