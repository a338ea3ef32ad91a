/**
 * Simulated time: everything that happens later (an instance finishing boot, an agent registering, a
 * task passing its health check, the service scheduler reacting) is an event on the world's one queue.
 * The world only changes when an event runs or a call is made, so hours of activity cost a few thousand
 * steps; measurements are taken after each event.
 */
import { recordMeasurements } from "./measurements.ts"
import type { World } from "../world.ts"

/** Runs every event due at or before `time`, in order, and leaves the clock at `time`. */
export const advanceTo = (world: World, time: number): void => {
  for (;;) {
    const next = world.queue.peek()
    if (next === undefined || next.at > time) break
    world.queue.pop()
    world.now = Math.max(world.now, next.at)
    next.run()
    recordMeasurements(world)
  }
  world.now = Math.max(world.now, time)
}

/** Puts `run` on the queue, due `delayMs` from now (after anything already due then). */
export const schedule = (world: World, delayMs: number, label: string, run: () => void): void => {
  world.queue.push(world.now + delayMs, label, run)
}
