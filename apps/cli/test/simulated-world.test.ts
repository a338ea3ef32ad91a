/**
 * The `--simulator-state` journal: a world reopened from its file is the world the previous process
 * left — same instances, tasks, groups, services and simulated time — including after a rollout
 * stopped half-way, which is what makes `resume` in another process meaningful.
 */
import { describe, expect, it } from "vitest"
import { Clock, Effect, Layer } from "effect"
import { appendFileSync } from "node:fs"
import { join } from "node:path"
import { memoryEventLog, Rollout, silentNotifier } from "ecs-ami-deploy"
import { openSimulatedWorld } from "../src/simulated-world.ts"
import { journaledCalls, tempDir } from "./support.ts"

const openAndRun = <A>(
  stateFile: string,
  cwd: string,
  scenario: string | undefined,
  program: (world: Effect.Success<ReturnType<typeof openSimulatedWorld>>) => Effect.Effect<A, unknown>,
) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(openSimulatedWorld({ scenario, stateFile, cwd }), program)))

describe("a journaled simulated world", () => {
  it("given a rollout stopped half-way, when the journal is reopened, then the world is the one the run left", async () => {
    const cwd = tempDir("journal")
    const stateFile = join(cwd, "world.jsonl")
    const left = await openAndRun(stateFile, cwd, "multi-asg", (world) =>
      Effect.gen(function* () {
        const deadline = (yield* Clock.currentTimeMillis) + 12 * 60_000
        const result = yield* Rollout.upgradeCluster({
          cluster: world.simulation.scenario.clusters[0]?.name ?? "",
          deadline,
        })
        return { result, state: world.simulation.snapshotState(), mutatingCalls: world.mutatingCalls() }
      }).pipe(Effect.provide(Layer.mergeAll(world.ports, memoryEventLog(), silentNotifier))),
    )
    expect(left.result._tag).toBe("Suspended")
    expect(left.mutatingCalls).toBeGreaterThan(0)
    expect(journaledCalls(stateFile)).toHaveLength(left.mutatingCalls)

    const reopened = await openAndRun(stateFile, cwd, undefined, (world) =>
      Effect.succeed({ state: world.simulation.snapshotState(), mutatingCalls: world.mutatingCalls() }),
    )
    expect(reopened.state).toEqual(left.state)
    expect(reopened.mutatingCalls).toBe(0)
  })

  it("given a process killed while appending (its last entry has no newline), when reopened, then that entry is left out; a complete entry that does not decode is refused", async () => {
    const cwd = tempDir("journal-torn")
    const stateFile = join(cwd, "world.jsonl")
    const before = await openAndRun(stateFile, cwd, "small", (world) =>
      Effect.succeed(world.simulation.snapshotState()),
    )
    appendFileSync(stateFile, '{"kind":"call","at":0,"port":"AutoScal')
    const reopened = await openAndRun(stateFile, cwd, undefined, (world) =>
      Effect.succeed(world.simulation.snapshotState()),
    )
    expect(reopened).toEqual(before)

    appendFileSync(stateFile, "\n")
    const corrupt = await Effect.runPromise(
      Effect.scoped(openSimulatedWorld({ scenario: undefined, stateFile, cwd })).pipe(Effect.flip),
    )
    expect(corrupt.problem).toMatch(/simulator state .*world\.jsonl cannot be used/)
  })

  it("refuses a scenario other than the one its file holds", async () => {
    const cwd = tempDir("journal-conflict")
    const stateFile = join(cwd, "world.jsonl")
    await openAndRun(stateFile, cwd, "small", () => Effect.void)
    const conflict = await Effect.runPromise(
      Effect.scoped(openSimulatedWorld({ scenario: "multi-asg", stateFile, cwd })).pipe(Effect.flip),
    )
    expect(conflict.problem).toMatch(
      /--simulator multi-asg conflicts with .*world\.jsonl, which holds scenario small/,
    )
  })
})
