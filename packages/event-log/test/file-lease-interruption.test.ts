/**
 * The file driver's lease writes under interruption. A renewal or a release rewrites the holder's lock
 * file, and a file write, once started, goes on whether or not its caller still waits for it. Were the
 * caller let go at the interruption, the next lock operation (the executor releases its lease on the way
 * out) could run while the abandoned write is still under way, and that write could land last: a
 * renewal landing after the release leaves the cluster locked by a holder that is gone.
 *
 * Deterministic: the lock file's rename is held until the interruption has been delivered (Effect's
 * runFork starts the interrupting fiber at once, and it interrupts a fiber waiting on a promise at once),
 * and the test records, as they happen, when the write landed and when the operation ended; no timing
 * decides the order.
 */
import { describe, expect, it, onTestFinished, vi } from "vitest"
import { Effect, Fiber } from "effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { makeFileEventLog } from "../src/index.ts"
import { HERE, T0 } from "./fixtures.ts"

/** The next rename onto a lock file waits here until the test lets it go on. */
const heldLockWrite = vi.hoisted(() => ({
  next: undefined as
    | {
        readonly started: () => void
        readonly mayGoOn: Promise<void>
        readonly landed: () => void
      }
    | undefined,
}))

vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof fs>()
  return {
    ...actual,
    rename: async (from: string, to: string) => {
      const held = to.includes(`${path.sep}cluster-locks${path.sep}`) ? heldLockWrite.next : undefined
      if (held === undefined) return actual.rename(from, to)
      heldLockWrite.next = undefined
      held.started()
      await held.mayGoOn
      await actual.rename(from, to)
      held.landed()
    },
  }
})

const leaseMs = 60_000

const heldLease = async () => {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), "event-log-lease-"))
  onTestFinished(() => fs.rm(directory, { recursive: true, force: true }))
  const log = makeFileEventLog({ directory })
  const lease = await Effect.runPromise(
    log.acquire({ ...HERE, clusterName: "prod", holder: "cli", leaseMs, now: T0 }),
  )
  return { log, lease }
}

/**
 * Runs a lease write, interrupts it while its rename is held, then lets the rename go on; answers, once
 * the interruption is over, in which order the write landed and the operation ended.
 */
const interruptedWhileWriting = async (write: Effect.Effect<unknown, unknown>) => {
  const order: Array<"write landed" | "operation ended"> = []
  const writeStarted = Promise.withResolvers<void>()
  const goOn = Promise.withResolvers<void>()
  heldLockWrite.next = {
    started: () => writeStarted.resolve(),
    mayGoOn: goOn.promise,
    landed: () => order.push("write landed"),
  }
  const operation = Effect.runFork(write)
  operation.addObserver(() => order.push("operation ended"))
  await writeStarted.promise
  const interruption = Effect.runPromise(Fiber.interrupt(operation))
  // The write goes on only once the interruption has been delivered.
  goOn.resolve()
  await interruption
  return order
}

describe("file driver lease writes, interrupted", () => {
  it("given a renewal interrupted while its lock file is being rewritten, then it ends only once the write landed, and a release right after it leaves the cluster free", async () => {
    const { log, lease } = await heldLease()

    const order = await interruptedWhileWriting(log.renew(lease, { leaseMs, now: T0 + leaseMs / 2 }))
    await Effect.runPromise(log.release(lease))

    expect(order).toEqual(["write landed", "operation ended"])
    expect(await Effect.runPromise(log.lock(lease))).toBeUndefined()
  })

  it("given a release interrupted while its lock file is being rewritten, then it ends only once the write landed: the cluster is free when it ends", async () => {
    const { log, lease } = await heldLease()

    const order = await interruptedWhileWriting(log.release(lease))

    expect(order).toEqual(["write landed", "operation ended"])
    expect(await Effect.runPromise(log.lock(lease))).toBeUndefined()
  })
})
