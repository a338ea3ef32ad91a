/** The killable event log of `@ecs-ami-deploy/executor/testing`: it kills its executor exactly where asked. */
import { describe, expect, it } from "vitest"
import { Effect, Exit } from "effect"
import { EVENT_SCHEMA_VERSION, type RunEvent } from "@ecs-ami-deploy/domain"
import { makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { isKilled, killable } from "../src/testing.ts"

const envelope = { schemaVersion: EVENT_SCHEMA_VERSION, runId: "run-1", at: 0 } as const
const noted = (seq: number): RunEvent => ({
  ...envelope,
  _tag: "Noted",
  seq,
  level: "info",
  message: `note ${seq}`,
})

/** Appends notes 0..n-1 one by one through `eventLog`, stopping at the first failure; returns the exits. */
const appendNotes = (eventLog: ReturnType<typeof makeMemoryEventLog>, n: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const lease = yield* eventLog.acquire({
        accountId: "123456789012",
        region: "eu-west-1",
        clusterName: "c",
        holder: "h",
        leaseMs: 60_000,
        now: 0,
      })
      const exits: Array<Exit.Exit<void, unknown>> = []
      for (let seq = 0; seq < n; seq++) {
        const exit = yield* Effect.exit(eventLog.append(lease, [noted(seq)]))
        exits.push(exit)
        if (Exit.isFailure(exit)) break
      }
      return exits
    }),
  )

const stored = (inner: ReturnType<typeof makeMemoryEventLog>) =>
  Effect.runPromise(inner.load("run-1")).then((events) => events.length)

describe("the killable event log", () => {
  it("given a kill after the 2nd append, when appending, then the 2nd event is stored and its executor dies there", async () => {
    const inner = makeMemoryEventLog()
    const exits = await appendNotes(killable(inner, 2, "after"), 4)
    expect(exits.map(isKilled)).toEqual([false, true])
    expect(await stored(inner)).toBe(2)
  })

  it("given a kill before the 2nd append, when appending, then only the 1st event is stored", async () => {
    const inner = makeMemoryEventLog()
    const exits = await appendNotes(killable(inner, 2, "before"), 4)
    expect(exits.map(isKilled)).toEqual([false, true])
    expect(await stored(inner)).toBe(1)
  })

  it("given a dead executor, when it loads or appends again, then it dies again and stores nothing more", async () => {
    const inner = makeMemoryEventLog()
    const log = killable(inner, 1, "after")
    await appendNotes(log, 1)
    expect(isKilled(await Effect.runPromiseExit(log.load("run-1")))).toBe(true)
    expect(await stored(inner)).toBe(1)
  })
})
