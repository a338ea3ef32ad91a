/**
 * A rollout interrupted (a signal, an aborted call) while it takes the cluster's lock. The lock's write,
 * once sent, goes on whether or not its caller still waits for it (the file driver's link, DynamoDB's
 * conditional put), so the executor must wait for it and release the lease it brings: let go at the
 * interruption, it would end without ever learning of the lease, and the cluster would stay locked by
 * a holder that is gone until the lease runs out.
 *
 * Deterministic: the acquisition is held until the interruption has been delivered (a fiber forked
 * with startImmediately interrupts at once, and a fiber waiting on a promise is interrupted at once),
 * and the test records, as they happen, when the lock was taken, when it was released and when the
 * rollout ended; no timing decides the order.
 */
import { describe, expect, it } from "vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import type { EventLog } from "@ecs-ami-deploy/ports"
import { forkRollout, makeWorld } from "./harness.ts"

type Step = "lock taken" | "lock released" | "rollout ended"

describe("a rollout interrupted while taking the cluster's lock", () => {
  it("given an interruption while the lock is being written, then the rollout learns of the lease and releases it before it ends: the cluster is free, and nothing was changed", async () => {
    const world = makeWorld("small")
    const log = makeMemoryEventLog(emptyMemoryStorage())
    const order: Array<Step> = []
    const goOn = Promise.withResolvers<void>()
    const lockWritten = Promise.withResolvers<void>()
    const writing = { started: (): void => undefined }
    // Sent: it goes on once the test lets it, whether or not the executor still waits.
    const eventLog: EventLog["Service"] = {
      ...log,
      acquire: (input) =>
        Effect.promise(async () => {
          writing.started()
          await goOn.promise
          const taken = await Effect.runPromiseExit(log.acquire(input))
          if (Exit.isSuccess(taken)) order.push("lock taken")
          lockWritten.resolve()
          return taken
        }).pipe(Effect.flatMap((taken) => taken)),
      release: (lease) =>
        Effect.tap(log.release(lease), () => Effect.sync(() => order.push("lock released"))),
    }

    const interrupted = await world.run(
      Effect.gen(function* () {
        const started = yield* Deferred.make<void>()
        writing.started = () => Deferred.doneUnsafe(started, Exit.void)
        const rollout = yield* forkRollout(world)
        rollout.addObserver(() => order.push("rollout ended"))
        yield* Deferred.await(started)
        const interruption = yield* Effect.forkChild(Fiber.interrupt(rollout), { startImmediately: true })
        // The lock's write goes on only once the interruption has been delivered.
        goOn.resolve()
        yield* Fiber.join(interruption)
        // Were the executor not to wait for the write, it is over now too.
        yield* Effect.promise(() => lockWritten.promise)
        return yield* log.lock(world.cluster)
      }),
      eventLog,
    )

    if (Exit.isFailure(interrupted)) expect.fail(String(interrupted.cause))
    expect(order).toEqual(["lock taken", "lock released", "rollout ended"])
    expect(interrupted.value).toBeUndefined()
    expect(world.simulation.callLog.filter((call) => call.mutating)).toEqual([])
  })
})
