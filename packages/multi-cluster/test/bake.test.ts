/**
 * A stage's bake on its own, with alarm reads made up: a read that fails during the bake is tried
 * again at the next poll, one that still fails at the bake's end fails the bake, and a bake whose next
 * read would fall past the deadline suspends.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Clock } from "effect"
import { bake, ClusterUnreachable, type FleetClusterSpec } from "../src/index.ts"
import { FleetClock } from "../src/simulated.ts"

const T0 = Date.parse("2026-11-26T00:00:00.000Z")
const cluster: FleetClusterSpec = {
  id: "caller/eu-west-1/c1",
  clusterName: "c1",
  region: "eu-west-1",
  policy: { alarms: ["HighErrors"] },
}

/** Runs the bake on a virtual clock at T0; `readAlarms` is told the read time. */
const baked = (
  readAlarms: (now: number) => Effect.Effect<ReadonlyArray<never>, ClusterUnreachable>,
  deadline = Number.POSITIVE_INFINITY,
) => {
  const reads: Array<number> = []
  return bake({
    stage: "canary",
    until: T0 + 10 * 60_000,
    watched: [cluster],
    pollMs: 60_000,
    deadline,
    readAlarms: (_, now) => Effect.suspend(() => (reads.push(now), readAlarms(now))),
    heartbeat: Effect.void,
  }).pipe(
    Effect.map((end) => ({ end, reads })),
    Effect.provide(Layer.succeed(Clock.Clock, new FleetClock(T0))),
  )
}

const unreachable = new ClusterUnreachable({ cluster: cluster.id, reason: "AccessDenied" })

describe("stage bake", () => {
  it.effect("given reads that fail during the bake and succeed at its end, then the stage bakes", () =>
    Effect.gen(function* () {
      const { end, reads } = yield* baked((now) =>
        now < T0 + 10 * 60_000 ? Effect.fail(unreachable) : Effect.succeed([]),
      )
      expect(end).toMatchObject({ _tag: "Ended", failures: [] })
      expect(reads.length).toBe(10)
    }),
  )

  it.effect(
    "given reads that still fail at the bake's end, then the bake fails naming the cluster and why",
    () =>
      Effect.gen(function* () {
        const { end } = yield* baked(() => Effect.fail(unreachable))
        expect(end).toMatchObject({
          _tag: "Ended",
          failures: [{ cluster: cluster.id, detail: "its alarms could not be read: AccessDenied" }],
        })
      }),
  )

  it.effect("given a deadline inside the bake, then it reads until the deadline and suspends", () =>
    Effect.gen(function* () {
      const { end, reads } = yield* baked(() => Effect.succeed([]), T0 + 4 * 60_000 + 30_000)
      expect(end).toEqual({ _tag: "Suspended" })
      expect(reads).toEqual([1, 2, 3, 4].map((minutes) => T0 + minutes * 60_000))
    }),
  )
})
