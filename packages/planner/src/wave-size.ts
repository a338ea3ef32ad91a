/**
 * How many old instances a wave of a group may take: the policy's wave size (`waveSizeFor`: max
 * surge, max draining, what is left), and, for runs of decider 3 or later, no further than the run's
 * next checkpoint, so a run with checkpoints pauses with that share replaced whatever the wave size.
 */
import type { GroupAtStart } from "@ecs-ami-deploy/domain"
import { HashMap } from "effect"
import { type Context, takenBy } from "./decide-context.ts"
import { decidesAsOf } from "./decider-version.ts"
import { checkpointRoom } from "./gates.ts"
import { waveSizeFor } from "./plan.ts"

/** The old instances every group's waves have taken so far. */
const takenByWaves = (ctx: Context): ReadonlySet<string> =>
  new Set(
    [...HashMap.values(ctx.state.groupProgress)].flatMap((progress) =>
      [...progress.waves.values()].flatMap((wave) => takenBy(wave) ?? []),
    ),
  )

/**
 * How many more old instances the current wave of `g` may take, with `inWave` taken already and
 * `remainingOld` (those included) still to replace. At most 0 when it may take no more.
 */
export const waveRoom = (ctx: Context, g: GroupAtStart, remainingOld: number, inWave: number): number => {
  const size = waveSizeFor(g.desiredCapacity, ctx.policy, remainingOld) - inWave
  return decidesAsOf(ctx.run, 3)
    ? Math.min(size, checkpointRoom(ctx.state, ctx.index, takenByWaves(ctx)))
    : size
}

/** The size of a new wave of `g`: its room, and at least one instance (a checkpoint already due pauses the run before). */
export const newWaveSize = (ctx: Context, g: GroupAtStart, remainingOld: number): number =>
  Math.max(1, waveRoom(ctx, g, remainingOld, 0))
