/**
 * Where an engine run's time went, read from its event log: waiting for new capacity to be proven
 * (from a wave's capacity command to its drain command), waiting for a wave to drain (from its drain
 * command to its terminate command), and everything else (preparation, finishing, rollback). The
 * benchmark uses it to say which phase dominates a duration.
 */
import type { RunEvent } from "@ecs-ami-deploy/domain"

export interface Phases {
  readonly newCapacityMs: number
  readonly drainingMs: number
  readonly otherMs: number
  /** Waves that reached their drain command. */
  readonly drainedWaves: number
}

/** A drain command's wave: `drain:<asg>:w<k>` → `<asg>:w<k>`. */
const drainedWave = (id: string): string | undefined => /^drain:(.+:w\d+)$/.exec(id)?.[1]

export const phasesOf = (events: ReadonlyArray<RunEvent>): Phases => {
  const first = events[0]
  const last = events[events.length - 1]
  if (first === undefined || last === undefined) return { newCapacityMs: 0, drainingMs: 0, otherMs: 0, drainedWaves: 0 }
  // The first issue of each wave command (a re-issue after a failure does not restart the phase).
  const issuedAt = new Map<string, number>()
  for (const event of events)
    if (event._tag === "CommandIssued" && !issuedAt.has(event.command.id)) issuedAt.set(event.command.id, event.at)
  let newCapacityMs = 0
  let drainingMs = 0
  let drainedWaves = 0
  for (const [id, at] of issuedAt) {
    const wave = drainedWave(id)
    if (wave === undefined) continue
    drainedWaves++
    const capacityAt = issuedAt.get(`capacity:${wave}`) ?? issuedAt.get(`detach:${wave}`)
    if (capacityAt !== undefined) newCapacityMs += at - capacityAt
    drainingMs += (issuedAt.get(`terminate:${wave}`) ?? last.at) - at
  }
  return { newCapacityMs, drainingMs, otherMs: last.at - first.at - newCapacityMs - drainingMs, drainedWaves }
}
