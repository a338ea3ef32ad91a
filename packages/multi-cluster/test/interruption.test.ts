/**
 * A fleet invocation interrupted (a signal, an aborted call) while it writes to the event log. A write,
 * once sent, goes on whether or not its caller still waits for it (a file append or link, a DynamoDB
 * request), so the executor must wait for it before it stops. Let go at the interruption while taking
 * the fleet's lock, it would never learn of the lease and leave the fleet locked by a gone holder
 * until the lease runs out; while appending a fleet event, it would release the lock and end with its
 * own write still under way, its state behind the stored stream, and the write could land after the
 * release — or be refused by it and lost.
 *
 * Deterministic: the chosen write is held until the interruption has been delivered (Effect's runFork
 * starts the interrupting fiber at once, and it interrupts a fiber waiting on a promise at once), and
 * the test records, as they happen, when the write landed, when the fleet's lock was released and
 * when the invocation ended; no timing decides the order.
 */
import { describe, expect, it } from "vitest"
import { Effect, Exit, Fiber, Layer } from "effect"
import { makeMemoryEventLog, makeMemoryFleetRolloutLog } from "@ecs-ami-deploy/event-log"
import { EventLog, FleetRolloutLog, fleetLockOf } from "@ecs-ami-deploy/ports"
import { runFleetRollout } from "../src/index.ts"
import { decode, rehearsal, sixClusterFleet } from "./fixtures.ts"

type Step = "write landed" | "write refused" | "fleet lock released" | "invocation ended"

/**
 * Runs a fleet rollout, interrupts it while the chosen write is held, then lets the write go on;
 * answers, once the write is over too, in which order things happened, the fleet's lock and its stream.
 */
const interruptedWhile = async (held: "taking the fleet's lock" | "writing the first FleetStageStarted") => {
  const definition = await Effect.runPromise(decode(sixClusterFleet()))
  const setup = rehearsal(definition)
  const fleets = makeMemoryFleetRolloutLog(setup.storage)
  const locks = makeMemoryEventLog(setup.storage)
  const order: Array<Step> = []
  const writeStarted = Promise.withResolvers<void>()
  const goOn = Promise.withResolvers<void>()
  const writeDone = Promise.withResolvers<void>()
  let holding = true
  // Sent: it goes on once the test lets it, whether or not the executor still waits.
  const holdOnce = <A, E>(write: Effect.Effect<A, E>): Effect.Effect<A, E> => {
    if (!holding) return write
    holding = false
    return Effect.promise(async () => {
      writeStarted.resolve()
      await goOn.promise
      const written = await Effect.runPromiseExit(write)
      order.push(Exit.isSuccess(written) ? "write landed" : "write refused")
      writeDone.resolve()
      return written
    }).pipe(Effect.flatMap((written) => written))
  }
  const log = Layer.mergeAll(
    Layer.succeed(FleetRolloutLog, {
      load: fleets.load,
      append: (lease, events) =>
        held === "writing the first FleetStageStarted" &&
        events.some((event) => event._tag === "FleetStageStarted")
          ? holdOnce(fleets.append(lease, events))
          : fleets.append(lease, events),
    }),
    Layer.succeed(EventLog, {
      ...locks,
      acquire: (input) =>
        held === "taking the fleet's lock" && input.accountId === fleetLockOf("platform").accountId
          ? holdOnce(locks.acquire(input))
          : locks.acquire(input),
      release: (lease) =>
        Effect.tap(locks.release(lease), () =>
          Effect.sync(() => {
            if (lease.accountId === fleetLockOf("platform").accountId) order.push("fleet lock released")
          }),
        ),
    }),
  )
  const layer = Layer.mergeAll(setup.fleet.runner().pipe(Layer.provide(log)), log, setup.fleet.clockLayer)

  const invocation = Effect.runFork(
    runFleetRollout({ definition, holder: "test", startIfNone: true }).pipe(Effect.provide(layer)),
  )
  invocation.addObserver(() => order.push("invocation ended"))
  await writeStarted.promise
  const interruption = Effect.runPromise(Fiber.interrupt(invocation))
  // The write goes on only once the interruption has been delivered.
  goOn.resolve()
  await interruption
  // Were the executor not to wait for the write, it is over now too.
  await writeDone.promise
  return {
    order,
    lock: await Effect.runPromise(locks.lock(fleetLockOf("platform"))),
    stream: (await Effect.runPromise(fleets.load("platform"))).map((event) => [event.seq, event._tag]),
  }
}

describe("fleet executor, interrupted while writing", () => {
  it("given an interruption while the fleet's lock is being taken, then the invocation learns of the lease and releases it before it ends: the fleet is free, its stream untouched", async () => {
    const { order, lock, stream } = await interruptedWhile("taking the fleet's lock")

    expect(order).toEqual(["write landed", "fleet lock released", "invocation ended"])
    expect(lock).toBeUndefined()
    expect(stream).toEqual([])
  })

  it("given an interruption while the first FleetStageStarted is being written, then the write lands first, the fleet's lock is released after it, and the invocation ends last", async () => {
    const { order, lock, stream } = await interruptedWhile("writing the first FleetStageStarted")

    expect(order).toEqual(["write landed", "fleet lock released", "invocation ended"])
    expect(lock).toBeUndefined()
    expect(stream).toEqual([
      [0, "FleetRolloutStarted"],
      [1, "FleetLeaseTaken"],
      [2, "FleetStageStarted"],
    ])
  })
})
