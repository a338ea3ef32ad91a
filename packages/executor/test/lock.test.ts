/**
 * One run per cluster (invariant 5): executors started together, a holder that dies, the lease
 * running out, and a stale holder's append being refused.
 */
import { describe, expect, it } from "vitest"
import { Clock, Effect, Exit } from "effect"
import { defaultPolicy, EVENT_SCHEMA_VERSION, type LockHeld } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { EventLog } from "@ecs-ami-deploy/ports"
import { runRollout } from "../src/index.ts"
import { isKilled, killable, makeWorld, testSettings } from "./harness.ts"

const rollout = (clusterName: string, holder: string) =>
  runRollout({ clusterName, policy: defaultPolicy, holder, settings: testSettings })

const lockHeld = (exit: Exit.Exit<unknown, unknown>): LockHeld | undefined =>
  Exit.isFailure(exit) &&
  exit.cause.reasons[0]?._tag === "Fail" &&
  (exit.cause.reasons[0].error as { _tag?: string })._tag === "LockHeld"
    ? (exit.cause.reasons[0].error as LockHeld)
    : undefined

describe("the cluster lock", () => {
  it("given five executors started together, when they run, then exactly one rolls out and the others exit with LockHeld naming it", async () => {
    const world = makeWorld("small")
    const holders = ["executor-1", "executor-2", "executor-3", "executor-4", "executor-5"]
    const exit = await world.run(
      Effect.all(
        holders.map((holder) => Effect.exit(rollout(world.clusterName, holder))),
        { concurrency: "unbounded" },
      ),
      makeMemoryEventLog(emptyMemoryStorage()),
    )
    const exits = Exit.isSuccess(exit) ? exit.value : []
    const finished = exits.flatMap((result, index) =>
      Exit.isSuccess(result) && result.value._tag === "Finished" ? [holders[index]] : [],
    )
    const refused = exits.flatMap((result) => {
      const held = lockHeld(result)
      return held === undefined ? [] : [held]
    })
    expect(finished).toHaveLength(1)
    expect(refused).toHaveLength(4)
    for (const held of refused) {
      expect(held.holder).toBe(finished[0])
      expect(held.message).toContain(finished[0])
    }
  })

  it("given a rollout lasting many leases, when another executor tries mid-run, then it is refused: the holder renews its lease", async () => {
    const world = makeWorld("small")
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const midRun = 6 * testSettings.leaseMs
    const exit = await world.run(
      Effect.all(
        [
          Effect.exit(rollout(world.clusterName, "long-runner")),
          Effect.sleep(midRun).pipe(Effect.andThen(Effect.exit(rollout(world.clusterName, "latecomer")))),
        ],
        { concurrency: "unbounded" },
      ),
      eventLog,
    )
    const [longRunner, latecomer] = Exit.isSuccess(exit) ? exit.value : []
    expect(
      longRunner !== undefined && Exit.isSuccess(longRunner) ? longRunner.value : longRunner,
    ).toMatchObject({
      _tag: "Finished",
      outcome: "succeeded",
    })
    // The rollout outlasted the moment the latecomer tried, so the lease had to be renewed to refuse it.
    const runs = await world.run(eventLog.runs(world.cluster), eventLog)
    const runId = (Exit.isSuccess(runs) ? runs.value[0]?.runId : undefined) ?? ""
    const log = await world.run(eventLog.load(runId), eventLog)
    const events = Exit.isSuccess(log) ? log.value : []
    const duration = (events.at(-1)?.at ?? 0) - (events[0]?.at ?? 0)
    expect(duration).toBeGreaterThan(midRun)
    expect(latecomer === undefined ? undefined : lockHeld(latecomer)?.holder).toBe("long-runner")
  })

  it("given a holder that died mid-run, when others start, then they are refused naming the holder and its run until the lease expires, and then one takes over", async () => {
    const world = makeWorld("small")
    const storage = emptyMemoryStorage()
    const eventLog = makeMemoryEventLog(storage)

    const died = await world.run(rollout(world.clusterName, "first"), killable(eventLog, 9))
    expect(isKilled(died)).toBe(true)
    const runs = await world.run(eventLog.runs(world.cluster), eventLog)
    const runId = Exit.isSuccess(runs) ? runs.value[0]?.runId : undefined
    expect(runId).toBeDefined()

    const whileHeld = await world.run(
      Effect.all(
        ["second", "third", "fourth", "fifth"].map((holder) =>
          Effect.exit(rollout(world.clusterName, holder)),
        ),
      ),
      eventLog,
    )
    const refusals = (Exit.isSuccess(whileHeld) ? whileHeld.value : []).map(lockHeld)
    expect(refusals.map((held) => [held?.holder, held?.runId])).toEqual(
      Array.from({ length: 4 }, () => ["first", runId]),
    )

    world.simulation.advance(testSettings.leaseMs)
    const takeover = await world.run(rollout(world.clusterName, "sixth"), eventLog)
    expect(Exit.isSuccess(takeover) ? takeover.value : takeover).toMatchObject({
      _tag: "Finished",
      runId,
      outcome: "succeeded",
    })
  })

  it("given a holder that stalls after recording a command's intent while another takes its lease over and finishes, when it wakes, then it fails with StaleLease before making any AWS call", async () => {
    const world = makeWorld("small")
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    // The first capacity change: its intent is stored, then the holder stalls for ten hours (a frozen
    // VM, a suspended laptop) with its call still to make.
    let stalled = false
    const stalling = EventLog.of({
      ...eventLog,
      append: (lease, events) =>
        Effect.tap(eventLog.append(lease, events), () => {
          const capacityIntent = events.some(
            (event) => event._tag === "CommandIssued" && event.command._tag === "SetCapacity",
          )
          if (stalled || !capacityIntent) return Effect.void
          stalled = true
          return Effect.sleep(10 * 60 * 60_000)
        }),
    })
    let successorFinishedAt = Number.POSITIVE_INFINITY
    const [first, second] = await world
      .run(
        Effect.all(
          [
            Effect.exit(
              rollout(world.clusterName, "stalled").pipe(Effect.provideService(EventLog, stalling)),
            ),
            Effect.sleep(2 * testSettings.leaseMs).pipe(
              Effect.andThen(Effect.exit(rollout(world.clusterName, "successor"))),
              Effect.tap(() => Effect.sync(() => (successorFinishedAt = world.simulation.now()))),
            ),
          ],
          { concurrency: "unbounded" },
        ),
        eventLog,
      )
      .then((exit) => (Exit.isSuccess(exit) ? exit.value : []))
    expect(stalled).toBe(true)
    expect(second !== undefined && Exit.isSuccess(second) ? second.value : second).toMatchObject({
      _tag: "Finished",
      outcome: "succeeded",
    })
    expect(
      first !== undefined && Exit.isFailure(first) && first.cause.reasons[0]?._tag === "Fail"
        ? (first.cause.reasons[0].error as { _tag: string })._tag
        : first,
    ).toBe("StaleLease")
    const callsAfterTakeover = world.simulation.callLog.filter(
      (call) => call.mutating && call.at > successorFinishedAt,
    )
    expect(callsAfterTakeover.map((call) => call.operation)).toEqual([])
  })

  it("given a live lease replaced through the dead-local-holder path while its holder was in fact alive (a reused pid, another container with the host name), when that holder goes on with a command, then it fails with StaleLease before any AWS call", async () => {
    const world = makeWorld("small")
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    // A long lease: when the old holder wakes, most of it is left, so it has no renewal due that
    // would tell it of the takeover — only the lock itself does.
    const longLease = { ...testSettings, leaseMs: 10 * 60 * 60_000 }
    const stallMs = 3 * 60 * 60_000
    let stalled = false
    let wakesAt = Number.POSITIVE_INFINITY
    const stalling = EventLog.of({
      ...eventLog,
      append: (lease, events) =>
        Effect.tap(eventLog.append(lease, events), () => {
          const capacityIntent = events.some(
            (event) => event._tag === "CommandIssued" && event.command._tag === "SetCapacity",
          )
          if (stalled || !capacityIntent) return Effect.void
          stalled = true
          wakesAt = world.simulation.now() + stallMs
          return Effect.sleep(stallMs)
        }),
    })
    let successorFinishedAt = Number.POSITIVE_INFINITY
    const successor = Effect.gen(function* () {
      yield* Effect.sleep(60_000)
      const held = yield* eventLog.lock(world.cluster)
      if (held === undefined) return yield* Effect.die("the old holder holds no lock")
      return yield* runRollout({
        clusterName: world.clusterName,
        policy: defaultPolicy,
        holder: "successor",
        settings: testSettings,
        replacing: { holder: held.holder, leaseExpiresAt: held.expiresAt },
      })
    })
    const [first, second] = await world
      .run(
        Effect.all(
          [
            Effect.exit(
              runRollout({
                clusterName: world.clusterName,
                policy: defaultPolicy,
                holder: "alive-after-all",
                settings: longLease,
              }).pipe(Effect.provideService(EventLog, stalling)),
            ),
            Effect.exit(successor).pipe(
              Effect.tap(() => Effect.sync(() => (successorFinishedAt = world.simulation.now()))),
            ),
          ],
          { concurrency: "unbounded" },
        ),
        eventLog,
      )
      .then((exit) => (Exit.isSuccess(exit) ? exit.value : []))
    expect(stalled).toBe(true)
    expect(second !== undefined && Exit.isSuccess(second) ? second.value : second).toMatchObject({
      _tag: "Finished",
      outcome: "succeeded",
    })
    // The successor finished before the old holder woke, so every later mutating call is the old holder's.
    expect(successorFinishedAt).toBeLessThan(wakesAt)
    expect(
      first !== undefined && Exit.isFailure(first) && first.cause.reasons[0]?._tag === "Fail"
        ? (first.cause.reasons[0].error as { _tag: string })._tag
        : first,
    ).toBe("StaleLease")
    const callsAfterTakeover = world.simulation.callLog.filter(
      (call) => call.mutating && call.at > successorFinishedAt,
    )
    expect(callsAfterTakeover.map((call) => call.operation)).toEqual([])
  })

  it("given a second executor whose clock runs ahead by less than the tolerated skew (half a lease minus a step: 90 s by default), when it keeps trying during a long rollout, then it never takes the live holder's lock", async () => {
    const world = makeWorld("standard-20")
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const policy = { ...defaultPolicy, unsafeServices: "proceed" as const, pollIntervalMs: 30_000 }
    const base = world.simulation.clock
    const skewMs = 80_000
    const ahead: Clock.Clock = {
      currentTimeMillisUnsafe: () => base.currentTimeMillisUnsafe() + skewMs,
      currentTimeMillis: Effect.map(base.currentTimeMillis, (now) => now + skewMs),
      currentTimeNanosUnsafe: () => base.currentTimeNanosUnsafe() + BigInt(skewMs) * 1_000_000n,
      currentTimeNanos: Effect.map(base.currentTimeNanos, (now) => now + BigInt(skewMs) * 1_000_000n),
      monotonicTimeNanosUnsafe: () => base.monotonicTimeNanosUnsafe(),
      monotonicTimeNanos: base.monotonicTimeNanos,
      sleep: (duration) => base.sleep(duration),
    }
    // Default executor settings: a 5-minute lease renewed once half is gone, 60 s steps.
    const attempts = Array.from({ length: 20 }, (_, k) =>
      Effect.sleep((k + 1) * 45_000).pipe(
        Effect.andThen(
          Effect.exit(runRollout({ clusterName: world.clusterName, policy, holder: `skewed-${k}` })),
        ),
        Effect.provideService(Clock.Clock, ahead),
      ),
    )
    const exit = await world.run(
      Effect.all(
        [Effect.exit(runRollout({ clusterName: world.clusterName, policy, holder: "holder" })), ...attempts],
        { concurrency: "unbounded" },
      ),
      eventLog,
    )
    const [holder, ...others] = Exit.isSuccess(exit) ? exit.value : []
    expect(holder !== undefined && Exit.isSuccess(holder) ? holder.value : holder).toMatchObject({
      _tag: "Finished",
      outcome: "succeeded",
    })
    // Every attempt made while the holder ran was refused; none took the lock over.
    const refusedWhileRunning = others.filter((other) => lockHeld(other)?.holder === "holder")
    expect(refusedWhileRunning.length).toBeGreaterThan(10)
    expect(
      others.every(
        (other) =>
          lockHeld(other) !== undefined || (Exit.isSuccess(other) && other.value._tag === "NothingToDo"),
      ),
    ).toBe(true)
  })

  it("given a stalled holder whose lease was taken over, when it wakes and appends, then the append is refused as stale", async () => {
    const world = makeWorld("small")
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    // The first executor stops after its 9th event: from the log's point of view, stalled.
    await world.run(rollout(world.clusterName, "stalled"), killable(eventLog, 9))
    const runs = await world.run(eventLog.runs(world.cluster), eventLog)
    const runId = (Exit.isSuccess(runs) ? runs.value[0]?.runId : undefined) ?? ""
    const before = await world.run(eventLog.load(runId), eventLog)
    const stalledLease = (Exit.isSuccess(before) ? before.value : []).find(
      (event) => event._tag === "LeaseAcquired" && event.holder === "stalled",
    )
    if (stalledLease?._tag !== "LeaseAcquired") throw new Error("the stalled executor recorded no lease")

    world.simulation.advance(testSettings.leaseMs)
    const takeover = await world.run(rollout(world.clusterName, "successor"), eventLog)
    expect(Exit.isSuccess(takeover) ? takeover.value : takeover).toMatchObject({ _tag: "Finished", runId })

    const after = await world.run(eventLog.load(runId), eventLog)
    const lastSeq = Exit.isSuccess(after) ? (after.value.at(-1)?.seq ?? 0) : 0
    const append = await world.run(
      eventLog.append(
        {
          ...world.cluster,
          holder: "stalled",
          fencingToken: stalledLease.fencingToken,
          expiresAt: stalledLease.at + testSettings.leaseMs,
        },
        [
          {
            _tag: "Noted",
            schemaVersion: EVENT_SCHEMA_VERSION,
            runId,
            seq: lastSeq + 1,
            at: world.simulation.now(),
            level: "info",
            message: "written by a holder that lost its lease",
          },
        ],
      ),
      eventLog,
    )
    expect(
      Exit.isFailure(append) && append.cause.reasons[0]?._tag === "Fail"
        ? append.cause.reasons[0].error._tag
        : append,
    ).toBe("StaleLease")
  })
})
