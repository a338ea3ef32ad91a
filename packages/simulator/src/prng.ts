/**
 * A small seeded pseudo-random generator (mulberry32). Every random choice the simulator makes —
 * resource ids, fault draws, placement ties — comes from one of these, so a run is a pure function
 * of its scenario and seed. `Math.random` is never used.
 */
import type { Random } from "effect"

export class Prng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** True with probability `rate` (0 never draws, so a fault-free run consumes no randomness for faults). */
  chance(rate: number): boolean {
    return rate > 0 && this.next() < rate
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** `length` lowercase hex digits, for AWS-looking ids. */
  hex(length: number): string {
    let out = ""
    while (out.length < length) out += Math.floor(this.next() * 16).toString(16)
    return out
  }
}

/**
 * Effect's `Random` service drawing from its own seeded generator: what a program under simulation
 * draws (the jitter of its retry backoffs, a run id's suffix) repeats with the seed, apart from the
 * world's draws so that providing it changes nothing the world decides.
 */
export const seededRandom = (seed: number): Random.Random => {
  const prng = new Prng(seed ^ 0x5eed_cafe)
  return {
    nextDoubleUnsafe: () => prng.next(),
    nextIntUnsafe: () => Math.floor(prng.next() * Number.MAX_SAFE_INTEGER),
  }
}
