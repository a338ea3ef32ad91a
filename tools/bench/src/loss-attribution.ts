/**
 * Which lost availability a Spot loss caused by itself. An instance loss kills the tasks on it at
 * that instant; a service whose only tasks were there has none healthy until ECS places and starts
 * replacements — no rollout can prevent that. So a spell of a service below its floor (or with no
 * healthy task) that begins at the very instant an instance was lost is the loss's; every other spell
 * is what the rollout caused. The reliability report holds a rollout to the second kind only.
 */
import type { ServiceAvailability } from "@ecs-ami-deploy/simulator"

export interface SecondsByCause {
  /** Service-seconds of spells that began at an instance loss. */
  readonly atInstanceLoss: number
  /** Service-seconds of every other spell. */
  readonly otherwise: number
}

/** Splits the service-seconds for which `down` holds into spells begun at one of `lossTimes` (epoch ms) and the rest. */
const spellsByCause = (
  services: ReadonlyArray<ServiceAvailability>,
  lossTimes: ReadonlySet<number>,
  until: number,
  down: (point: ServiceAvailability["timeline"][number]) => boolean,
): SecondsByCause => {
  let atInstanceLoss = 0
  let otherwise = 0
  for (const { timeline } of services) {
    let spellStart: number | undefined
    timeline.forEach((point, index) => {
      const isDown = point.desired > 0 && down(point)
      if (!isDown) {
        spellStart = undefined
        return
      }
      spellStart ??= point.at
      const end = timeline[index + 1]?.at ?? until
      if (end <= point.at) return
      if (lossTimes.has(spellStart)) atInstanceLoss += end - point.at
      else otherwise += end - point.at
    })
  }
  return { atInstanceLoss: atInstanceLoss / 1000, otherwise: otherwise / 1000 }
}

export interface AvailabilityByCause {
  readonly belowFloor: SecondsByCause
  readonly zeroHealthy: SecondsByCause
}

export const availabilityByCause = (
  services: ReadonlyArray<ServiceAvailability>,
  lossTimes: ReadonlySet<number>,
  until: number,
): AvailabilityByCause => ({
  belowFloor: spellsByCause(services, lossTimes, until, (point) => point.healthy < point.floor),
  zeroHealthy: spellsByCause(services, lossTimes, until, (point) => point.healthy === 0),
})
