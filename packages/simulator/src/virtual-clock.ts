/**
 * Effect's `Clock` backed by simulated time. `sleep` registers a wake-up; once the program has gone
 * quiet (no fiber did anything for a couple of event-loop turns), the earliest wake-up is taken, the
 * world is advanced to that moment — running every simulated event due on the way, in order — and
 * the sleeper resumes. Concurrent sleepers therefore wake in time order (an `Effect.timeout` races
 * correctly against polling), and hours of simulated time pass in milliseconds.
 *
 * "Quiet" is exact for Effect work when the program also runs on `scheduler` (every task Effect queues
 * counts as activity, so a long computation that yields is never mistaken for idleness); without it,
 * only port calls and sleeps count. A fiber awaiting real I/O (a file-backed event log) looks quiet,
 * so simulated time may move on while it waits; in-memory collaborators keep a run exactly reproducible.
 */
import { Duration, Effect, Scheduler, type Clock } from "effect"
import { clearImmediate, setImmediate } from "node:timers"
import type { World } from "./world.ts"
import { advanceTo } from "./world/events.ts"

interface Sleeper {
  readonly at: number
  readonly seq: number
  readonly wake: () => void
}

/** Event-loop turns without activity before the pump moves time on. */
const quietTurnsBeforeAdvancing = 2

export class VirtualClock implements Clock.Clock {
  private readonly world: World
  private readonly sleepers: Array<Sleeper> = []
  private nextSeq = 0
  private activity = 0
  private seenActivity = -1
  private quietTurns = 0
  private pumpScheduled = false

  /** Effect's default scheduler, reporting every dispatch as activity. Provide it with the clock. */
  readonly scheduler: Scheduler.Scheduler

  constructor(world: World) {
    this.world = world
    this.scheduler = new Scheduler.MixedScheduler("async", (task) => {
      this.noteActivity()
      const handle = setImmediate(task)
      return () => clearImmediate(handle)
    })
  }

  currentTimeMillisUnsafe(): number {
    return this.world.now
  }
  readonly currentTimeMillis: Effect.Effect<number> = Effect.sync(() => this.world.now)
  currentTimeNanosUnsafe(): bigint {
    return BigInt(this.world.now) * 1_000_000n
  }
  readonly currentTimeNanos: Effect.Effect<bigint> = Effect.sync(() => this.currentTimeNanosUnsafe())
  monotonicTimeNanosUnsafe(): bigint {
    return this.currentTimeNanosUnsafe()
  }
  readonly monotonicTimeNanos: Effect.Effect<bigint> = Effect.sync(() => this.currentTimeNanosUnsafe())

  sleep(duration: Duration.Duration): Effect.Effect<void> {
    const millis = Duration.toMillis(duration)
    if (!Number.isFinite(millis)) return Effect.never
    return Effect.callback<void>((resume) => {
      const sleeper: Sleeper = {
        at: this.world.now + Math.max(0, Math.ceil(millis)),
        seq: this.nextSeq++,
        wake: () => resume(Effect.void),
      }
      this.insert(sleeper)
      this.noteActivity()
      return Effect.sync(() => {
        const index = this.sleepers.indexOf(sleeper)
        if (index >= 0) this.sleepers.splice(index, 1)
        this.noteActivity()
      })
    })
  }

  /** Called on every port call, so the pump does not move time while a program is busy. */
  noteActivity(): void {
    this.activity++
    this.schedulePump()
  }

  /** Moves time forward by `millis` at once, waking due sleepers in order on the way. */
  advance(millis: number): void {
    const target = this.world.now + millis
    for (;;) {
      const next = this.sleepers[0]
      if (next === undefined || next.at > target) break
      this.sleepers.shift()
      advanceTo(this.world, next.at)
      next.wake()
    }
    advanceTo(this.world, target)
    this.noteActivity()
  }

  /** How many fibers are asleep on this clock. */
  get sleeping(): number {
    return this.sleepers.length
  }

  private insert(sleeper: Sleeper): void {
    // Equal times keep registration order: insert after every sleeper due at or before this one.
    const index = this.sleepers.findLastIndex((other) => other.at <= sleeper.at) + 1
    this.sleepers.splice(index, 0, sleeper)
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return
    this.pumpScheduled = true
    setImmediate(() => this.pump())
  }

  private pump(): void {
    this.pumpScheduled = false
    if (this.activity !== this.seenActivity) {
      this.seenActivity = this.activity
      this.quietTurns = 0
      this.schedulePump()
      return
    }
    if (++this.quietTurns < quietTurnsBeforeAdvancing) {
      this.schedulePump()
      return
    }
    this.quietTurns = 0
    const next = this.sleepers.shift()
    if (next === undefined) return
    advanceTo(this.world, next.at)
    next.wake()
    this.noteActivity()
  }
}
