/**
 * The EventLog contract: one suite every driver must pass (memory, file, DynamoDB), so the executor
 * can rely on the same lease, fencing, sequence and index behaviour whichever log it is given.
 */
import { describe, expect, it } from "@effect/vitest"
import { encodeRunEvent, type RunEvent } from "@ecs-ami-deploy/domain"
import { EventLog, type Lease } from "@ecs-ami-deploy/ports"
import { Effect, Result, type Layer, type Scope } from "effect"
import { everyVariant, HERE, noted, runFinished, runStarted, T0, type Scope as Where } from "./fixtures.ts"

/** A driver under test: its layer, and a back door that stores a record as-is, bypassing validation. */
export interface ContractDriver {
  readonly layer: Layer.Layer<EventLog>
  readonly storeRawRecord: (runId: string, seq: number, record: unknown) => Effect.Effect<void>
}

const LEASE_MS = 60_000

const seqRange = (from: number, to: number): ReadonlyArray<number> =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index)

export const eventLogContract = <E>(
  name: string,
  makeDriver: () => Effect.Effect<ContractDriver, E, Scope.Scope>,
): void => {
  const setup = Effect.gen(function* () {
    const driver = yield* makeDriver()
    const log = yield* Effect.provide(
      Effect.gen(function* () {
        return yield* EventLog
      }),
      driver.layer,
    )
    return { driver, log }
  })

  const acquire = (
    log: EventLog["Service"],
    holder: string,
    now = T0,
    clusterName = "prod",
    where: Where = HERE,
  ) => log.acquire({ ...where, clusterName, holder, leaseMs: LEASE_MS, now })
  const cluster = (clusterName: string, where: Where = HERE) => ({ ...where, clusterName })

  describe(`EventLog contract: ${name}`, () => {
    it.live("given every event variant, when appended and loaded, then the events come back equal", () =>
      Effect.gen(function* () {
        const { log } = yield* setup
        const lease = yield* acquire(log, "executor-a")
        const events = everyVariant("run-1", "prod")

        yield* log.append(lease, events.slice(0, 4))
        yield* log.append(lease, events.slice(4))

        expect(yield* log.load("run-1")).toEqual(events)
        expect(yield* log.load("run-unknown")).toEqual([])
      }),
    )

    it.live(
      "given a stored run, when a batch skips, repeats or restarts a seq, then SequenceConflict and nothing is stored",
      () =>
        Effect.gen(function* () {
          const { log } = yield* setup
          const lease = yield* acquire(log, "executor-a")
          const stored = [runStarted("run-1", "prod", T0), noted("run-1", 1)]
          yield* log.append(lease, stored)

          for (const batch of [
            [noted("run-1", 3)],
            [noted("run-1", 1)],
            [noted("run-1", 2), noted("run-1", 4)],
          ]) {
            const error = yield* Effect.flip(log.append(lease, batch))
            expect(error).toMatchObject({ _tag: "SequenceConflict", runId: "run-1" })
          }
          const firstNotZero = yield* Effect.flip(log.append(lease, [noted("run-2", 1)]))
          expect(firstNotZero).toMatchObject({ _tag: "SequenceConflict", runId: "run-2", seq: 1 })

          expect(yield* log.load("run-1")).toEqual(stored)
          expect(yield* log.load("run-2")).toEqual([])
        }),
    )

    it.live(
      "given a held lock, when another holder acquires before expiry, then LockHeld names the holder and expiry",
      () =>
        Effect.gen(function* () {
          const { log } = yield* setup
          const lease = yield* acquire(log, "executor-a")
          expect(lease).toEqual({
            ...HERE,
            clusterName: "prod",
            holder: "executor-a",
            fencingToken: 1,
            expiresAt: T0 + LEASE_MS,
          })

          const error = yield* Effect.flip(acquire(log, "executor-b", T0 + LEASE_MS - 1))
          expect(error).toMatchObject({
            _tag: "LockHeld",
            clusterName: "prod",
            holder: "executor-a",
            leaseExpiresAt: T0 + LEASE_MS,
          })

          const otherCluster = yield* acquire(log, "executor-b", T0, "staging")
          expect(otherCluster.fencingToken).toBe(1)
        }),
    )

    it.live(
      "lock reads who holds the cluster's lock and until when: nothing before, the lease while held (renewed included), nothing once released",
      () =>
        Effect.gen(function* () {
          const { log } = yield* setup
          expect(yield* log.lock(cluster("prod"))).toBeUndefined()
          const lease = yield* acquire(log, "executor-a")
          expect(yield* log.lock(cluster("prod"))).toEqual(lease)
          const renewed = yield* log.renew(lease, { leaseMs: LEASE_MS, now: T0 + 1_000 })
          expect(yield* log.lock(cluster("prod"))).toEqual(renewed)
          expect(yield* log.lock(cluster("staging"))).toBeUndefined()
          yield* log.release(renewed)
          expect(yield* log.lock(cluster("prod"))).toBeUndefined()
        }),
    )

    it.live(
      "given a live lease whose holder is known dead, when another replaces exactly that lease, then it takes over at once; a lease renewed since is not replaced",
      () =>
        Effect.gen(function* () {
          const { log } = yield* setup
          const dead = yield* acquire(log, "ecs-ami-deploy@host:101")
          const replacing = { holder: dead.holder, leaseExpiresAt: dead.expiresAt }
          const taken = yield* log.acquire({
            ...HERE,
            clusterName: "prod",
            holder: "ecs-ami-deploy@host:202",
            leaseMs: LEASE_MS,
            now: T0 + 1_000,
            replacing,
          })
          expect(taken).toMatchObject({ holder: "ecs-ami-deploy@host:202", fencingToken: 2 })
          expect((yield* Effect.flip(log.renew(dead, { leaseMs: LEASE_MS, now: T0 + 2_000 })))._tag).toBe(
            "StaleLease",
          )

          // The new holder renews: a third party that saw its old expiry cannot replace it.
          const stale = { holder: taken.holder, leaseExpiresAt: taken.expiresAt }
          yield* log.renew(taken, { leaseMs: LEASE_MS, now: T0 + 3_000 })
          const refused = yield* Effect.flip(
            log.acquire({
              ...HERE,
              clusterName: "prod",
              holder: "ecs-ami-deploy@host:303",
              leaseMs: LEASE_MS,
              now: T0 + 4_000,
              replacing: stale,
            }),
          )
          expect(refused).toMatchObject({ _tag: "LockHeld", holder: "ecs-ami-deploy@host:202" })
        }),
    )

    it.live(
      "given an expired lease, when another holder takes over, then its token is higher and the old lease is stale",
      () =>
        Effect.gen(function* () {
          const { log } = yield* setup
          const old = yield* acquire(log, "executor-a")
          yield* log.append(old, [runStarted("run-1", "prod", T0)])

          const taken = yield* acquire(log, "executor-b", T0 + LEASE_MS)
          expect(taken.fencingToken).toBe(old.fencingToken + 1)

          const staleAppend = yield* Effect.flip(
            log.append(old, [noted("run-1", 1, "from the stale holder")]),
          )
          expect(staleAppend).toMatchObject({
            _tag: "StaleLease",
            clusterName: "prod",
            fencingToken: old.fencingToken,
            currentFencingToken: taken.fencingToken,
          })
          const staleRenew = yield* Effect.flip(log.renew(old, { leaseMs: LEASE_MS, now: T0 + LEASE_MS + 1 }))
          expect(staleRenew).toMatchObject({ _tag: "StaleLease", currentFencingToken: taken.fencingToken })

          yield* log.append(taken, [noted("run-1", 1, "from the new holder")])
          expect((yield* log.load("run-1")).map((event) => event._tag === "Noted" && event.message)).toEqual([
            false,
            "from the new holder",
          ])
        }),
    )

    it.live("given an expired lease nobody took, when its holder renews and appends, then both succeed", () =>
      Effect.gen(function* () {
        const { log } = yield* setup
        const lease = yield* acquire(log, "executor-a")
        const later = T0 + 3 * LEASE_MS

        yield* log.append(lease, [runStarted("run-1", "prod", T0)])
        const renewed = yield* log.renew(lease, { leaseMs: LEASE_MS, now: later })
        expect(renewed).toEqual({ ...lease, expiresAt: later + LEASE_MS })

        const error = yield* Effect.flip(acquire(log, "executor-b", later + LEASE_MS - 1))
        expect(error).toMatchObject({ _tag: "LockHeld", holder: "executor-a" })
        yield* log.append(renewed, [noted("run-1", 1)])
        expect(yield* log.load("run-1")).toHaveLength(2)
      }),
    )

    it.live(
      "given a released lock, when another holder acquires at once, then it gets the next token and the released lease is stale",
      () =>
        Effect.gen(function* () {
          const { log } = yield* setup
          const first = yield* acquire(log, "executor-a")
          yield* log.release(first)

          const second = yield* acquire(log, "executor-b", T0 + 1)
          expect(second.fencingToken).toBe(first.fencingToken + 1)
          const error = yield* Effect.flip(log.append(first, [runStarted("run-1", "prod", T0)]))
          expect(error).toMatchObject({ _tag: "StaleLease", currentFencingToken: second.fencingToken })

          yield* log.release(first)
          const stillHeld = yield* Effect.flip(acquire(log, "executor-c", T0 + 2))
          expect(stillHeld).toMatchObject({ _tag: "LockHeld", holder: "executor-b" })
          yield* log.append(second, [runStarted("run-1", "prod", T0)])
        }),
    )

    it.live("given a free lock, when several holders race to acquire it, then exactly one gets it", () =>
      Effect.gen(function* () {
        const { log } = yield* setup
        const holders = ["executor-a", "executor-b", "executor-c", "executor-d"]
        const results = yield* Effect.forEach(holders, (holder) => Effect.result(acquire(log, holder)), {
          concurrency: "unbounded",
        })
        const winners = results.filter(Result.isSuccess)
        expect(winners).toHaveLength(1)
        expect(results.filter(Result.isFailure).map((result) => result.failure._tag)).toEqual([
          "LockHeld",
          "LockHeld",
          "LockHeld",
        ])
      }),
    )

    it.live(
      "given runs in two clusters, when listed, then each cluster's runs come newest first with status and last seq",
      () =>
        Effect.gen(function* () {
          const { log } = yield* setup
          const prod = yield* acquire(log, "executor-a")
          const staging = yield* acquire(log, "executor-a", T0, "staging")
          yield* log.append(prod, [runStarted("run-old", "prod", T0), runFinished("run-old", 1, "succeeded")])
          yield* log.append(prod, [noted("run-old", 2, "appended after the run finished")])
          yield* log.append(prod, [runStarted("run-new", "prod", T0 + 10_000), noted("run-new", 1)])
          yield* log.append(staging, [runStarted("run-staging", "staging", T0 + 5_000)])

          expect(yield* log.runs(cluster("prod"))).toEqual([
            { runId: "run-new", ...cluster("prod"), startedAt: T0 + 10_000, lastSeq: 1, status: "open" },
            { runId: "run-old", ...cluster("prod"), startedAt: T0, lastSeq: 2, status: "succeeded" },
          ])
          expect(yield* log.runs(cluster("staging"))).toEqual([
            {
              runId: "run-staging",
              ...cluster("staging"),
              startedAt: T0 + 5_000,
              lastSeq: 0,
              status: "open",
            },
          ])
          expect(yield* log.runs(cluster("nowhere"))).toEqual([])
        }),
    )

    it.live(
      "given the same cluster name in two Regions and another account, then each has its own lock and runs",
      () =>
        Effect.gen(function* () {
          const { log } = yield* setup
          const otherRegion: Where = { ...HERE, region: "us-east-1" }
          const otherAccount: Where = { ...HERE, accountId: "210987654321" }
          const here = yield* acquire(log, "executor-a")
          // Held here, the same name elsewhere is free: each gets its own first token.
          const there = yield* acquire(log, "executor-b", T0, "prod", otherRegion)
          const elsewhere = yield* acquire(log, "executor-c", T0, "prod", otherAccount)
          expect(
            [here, there, elsewhere].map((lease) => [lease.region, lease.accountId, lease.fencingToken]),
          ).toEqual([
            ["eu-west-1", "123456789012", 1],
            ["us-east-1", "123456789012", 1],
            ["eu-west-1", "210987654321", 1],
          ])
          const error = yield* Effect.flip(acquire(log, "executor-d", T0 + 1, "prod", otherRegion))
          expect(error).toMatchObject({ _tag: "LockHeld", holder: "executor-b" })

          yield* log.append(here, [runStarted("run-eu", "prod", T0)])
          yield* log.append(there, [runStarted("run-us", "prod", T0 + 1_000, otherRegion)])
          yield* log.append(elsewhere, [runStarted("run-other-account", "prod", T0 + 2_000, otherAccount)])
          expect((yield* log.runs(cluster("prod"))).map((run) => run.runId)).toEqual(["run-eu"])
          expect(yield* log.runs(cluster("prod", otherRegion))).toEqual([
            {
              runId: "run-us",
              ...cluster("prod", otherRegion),
              startedAt: T0 + 1_000,
              lastSeq: 0,
              status: "open",
            },
          ])
          expect((yield* log.runs(cluster("prod", otherAccount))).map((run) => run.runId)).toEqual([
            "run-other-account",
          ])

          // A lease of one Region does not fence the other: the stale check is per cluster.
          yield* log.release(there)
          yield* log.append(here, [noted("run-eu", 1)])
          expect(yield* log.load("run-eu")).toHaveLength(2)
          expect(yield* Effect.flip(log.append(there, [noted("run-us", 1)]))).toMatchObject({
            _tag: "StaleLease",
          })
        }),
    )

    it.live(
      "given a stored record of another schema version, when loaded, then EventLogCorrupt names the version",
      () =>
        Effect.gen(function* () {
          const { driver, log } = yield* setup
          const lease = yield* acquire(log, "executor-a")
          yield* log.append(lease, [runStarted("run-1", "prod", T0)])
          yield* driver.storeRawRecord("run-1", 1, { ...encodeRunEvent(noted("run-1", 1)), schemaVersion: 2 })

          const error = yield* Effect.flip(log.load("run-1"))
          expect(error._tag).toBe("EventLogCorrupt")
          expect(error.problem).toContain("schemaVersion 2")
        }),
    )

    it.live("given more events than one page or 1 MB holds, when loaded, then all come back in order", () =>
      Effect.gen(function* () {
        const { log } = yield* setup
        const lease = yield* acquire(log, "executor-a")
        const padding = "x".repeat(1_000)
        const events: ReadonlyArray<RunEvent> = [
          runStarted("run-big", "prod", T0),
          ...seqRange(1, 1_499).map((seq) => noted("run-big", seq, `${seq} ${padding}`)),
        ]
        for (let start = 0; start < events.length; start += 250)
          yield* log.append(lease, events.slice(start, start + 250))

        const loaded = yield* log.load("run-big")
        expect(loaded).toHaveLength(events.length)
        expect(loaded.map((event) => event.seq)).toEqual(events.map((event) => event.seq))
        expect(loaded).toEqual(events)
        expect(yield* log.runs(cluster("prod"))).toMatchObject([
          { runId: "run-big", lastSeq: events.length - 1 },
        ])
      }),
    )

    it.live(
      "given two appenders racing for the same seq, when both append, then exactly one wins and its event is stored",
      () =>
        Effect.gen(function* () {
          const { log } = yield* setup
          const lease: Lease = yield* acquire(log, "executor-a")
          yield* log.append(lease, [runStarted("run-1", "prod", T0)])

          for (const seq of seqRange(1, 10)) {
            const contenders = ["left", "right"]
            const results = yield* Effect.forEach(
              contenders,
              (side) => Effect.result(log.append(lease, [noted("run-1", seq, `${side} ${seq}`)])),
              { concurrency: "unbounded" },
            )
            const winnerIndex = results.findIndex(Result.isSuccess)
            expect(results.filter(Result.isSuccess)).toHaveLength(1)
            expect(results.filter(Result.isFailure).map((result) => result.failure)).toMatchObject([
              { _tag: "SequenceConflict", runId: "run-1", seq },
            ])
            const stored = (yield* log.load("run-1")).at(-1)
            expect(stored).toMatchObject({ seq, message: `${contenders[winnerIndex]} ${seq}` })
          }
        }),
    )
  })
}
