/**
 * A fleet invocation interrupted (a signal, an aborted call) while a fleet event is being written. A
 * write, once sent, goes on whether or not its caller still waits for it (a file append, a DynamoDB
 * request), so the executor must wait for it and fold it before it stops: let go at the interruption,
 * it would release the fleet's lock and end while its own write is still under way, its state behind
 * the stored stream, and the write could land after the release — or be refused by it and lost.
 *
 * Deterministic: the chosen event's write is held until the interruption has been delivered (Effect's
 * runFork starts the interrupting fiber at once, and it interrupts a fiber waiting on a promise at
 * once), and the test records, as they happen, when the write landed, when the fleet's lock was
 * released and when the invocation ended; no timing decides the order.
 */
import { describe, expect, it } from "vitest"
import { Effect, Fiber, Layer } from "effect"
import { makeMemoryEventLog, makeMemoryFleetRolloutLog } from "@ecs-ami-deploy/event-log"
import { EventLog, FleetRolloutLog } from "@ecs-ami-deploy/ports"
import { runFleetRollout } from "../src/index.ts"
import { decode, rehearsal, sixClusterFleet } from "./fixtures.ts"

type Step = "write landed" | "write refused" | "fleet lock released" | "invocation ended"

describe("fleet executor, interrupted while appending", () => {
  it("given an interruption while the first FleetStageStarted is being written, then the write lands first, the fleet's lock is released after it, and the invocation ends last", async () => {
    const definition = await Effect.runPromise(decode(sixClusterFleet()))
    const setup = rehearsal(definition)
    const fleets = makeMemoryFleetRolloutLog(setup.storage)
    const locks = makeMemoryEventLog(setup.storage)
    const order: Array<Step> = []
    const writeStarted = Promise.withResolvers<void>()
    const goOn = Promise.withResolvers<void>()
    const writeDone = Promise.withResolvers<void>()
    let held = false
    const log = Layer.mergeAll(
      Layer.succeed(FleetRolloutLog, {
        load: fleets.load,
        append: (lease, events) => {
          if (held || !events.some((event) => event._tag === "FleetStageStarted"))
            return fleets.append(lease, events)
          held = true
          // Sent: it goes on once the test lets it, whether or not the executor still waits.
          return Effect.promise(async () => {
            writeStarted.resolve()
            await goOn.promise
            const written = await Effect.runPromiseExit(fleets.append(lease, events))
            order.push(written._tag === "Success" ? "write landed" : "write refused")
            writeDone.resolve()
          })
        },
      }),
      Layer.succeed(EventLog, {
        ...locks,
        release: (lease) =>
          Effect.tap(locks.release(lease), () =>
            Effect.sync(() => {
              if (lease.accountId === "fleet") order.push("fleet lock released")
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

    expect(order).toEqual(["write landed", "fleet lock released", "invocation ended"])
    const stream = await Effect.runPromise(fleets.load("platform"))
    expect(stream.map((event) => [event.seq, event._tag])).toEqual([
      [0, "FleetRolloutStarted"],
      [1, "FleetLeaseTaken"],
      [2, "FleetStageStarted"],
    ])
  })
})
