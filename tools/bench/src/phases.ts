/**
 * Where an engine run's time went, read from its event log: waiting for new capacity to be proven
 * (from a wave's capacity command to its drain command), waiting for a wave to drain (from its drain
 * command to its terminate command), rebalancing zones at the end (from a balance command to the
 * termination of the surplus it drained), and everything else (preparation, finishing, rollback).
 * The benchmark uses it to say which phase dominates a duration.
 */
import type { RunEvent } from "@ecs-ami-deploy/domain"

export interface Phases {
  readonly newCapacityMs: number
  readonly drainingMs: number
  readonly rebalancingMs: number
  readonly otherMs: number
  /** Waves that reached their drain command. */
  readonly drainedWaves: number
}

/** A wave's drain command: `drain:<asg>:w<k>` → `<asg>:w<k>`. */
const drainedWave = (id: string): string | undefined => /^drain:(.+:w\d+)$/.exec(id)?.[1]
/** A zone-balancing round's first command: `balance-capacity:<asg>:r<k>` → `<asg>:r<k>`. */
const balancingRound = (id: string): string | undefined => /^balance-capacity:(.+:r\d+)$/.exec(id)?.[1]

export const phasesOf = (events: ReadonlyArray<RunEvent>): Phases => {
  const first = events[0]
  const last = events[events.length - 1]
  if (first === undefined || last === undefined)
    return { newCapacityMs: 0, drainingMs: 0, rebalancingMs: 0, otherMs: 0, drainedWaves: 0 }
  // The first issue of each command (a re-issue after a failure does not restart the phase).
  const issuedAt = new Map<string, number>()
  for (const event of events)
    if (event._tag === "CommandIssued" && !issuedAt.has(event.command.id))
      issuedAt.set(event.command.id, event.at)
  let newCapacityMs = 0
  let drainingMs = 0
  let rebalancingMs = 0
  let drainedWaves = 0
  for (const [id, at] of issuedAt) {
    const wave = drainedWave(id)
    if (wave !== undefined) {
      drainedWaves++
      const capacityAt = issuedAt.get(`capacity:${wave}`) ?? issuedAt.get(`detach:${wave}`)
      if (capacityAt !== undefined) newCapacityMs += at - capacityAt
      drainingMs += (issuedAt.get(`terminate:${wave}`) ?? last.at) - at
    }
    const round = balancingRound(id)
    if (round !== undefined) rebalancingMs += (issuedAt.get(`trim-terminate:${round}`) ?? last.at) - at
  }
  return {
    newCapacityMs,
    drainingMs,
    rebalancingMs,
    otherMs: last.at - first.at - newCapacityMs - drainingMs - rebalancingMs,
    drainedWaves,
  }
}
