/**
 * A fleet rollout killed at every fleet-event boundary resumes to the same end state. The kill: the
 * invocation dies right after its k-th append to the fleet's stream and never releases the fleet's
 * lock (as a killed process would not); the next invocation waits out the lease and resumes from the
 * stream. The end state — the fleet's outcome and where it stopped, each cluster's outcome, and the
 * images each simulated cluster runs — must equal that of the run nobody killed.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { EventLog, FleetRolloutLog } from "@ecs-ami-deploy/ports"
import { emptyMemoryStorage, makeMemoryEventLog, makeMemoryFleetRolloutLog } from "@ecs-ami-deploy/event-log"
import { defaultFleetLeaseMs, fold, runFleetRollout, type FleetDefinition } from "../src/index.ts"
import { canaryAlarmFleet, decode, rehearsal, sixClusterFleet } from "./fixtures.ts"

const endState = (definition: FleetDefinition, setup: ReturnType<typeof rehearsal>) => {
  const rollout = fold(
    [...(setup.storage.fleets.get(definition.fleetName) ?? [])].map((text) => JSON.parse(text)),
  ).rollout
  return {
    finished:
      rollout?.finished === undefined
        ? undefined
        : {
            outcome: rollout.finished.outcome,
            stage: rollout.finished.stoppedAt?.stage,
            cluster: rollout.finished.stoppedAt?.cluster,
            clusterOutcome: rollout.finished.stoppedAt?.outcome,
            alarm: rollout.finished.stoppedAt?.alarm,
          },
    clusters: Object.fromEntries(
      Object.entries(rollout?.clusters ?? {}).map(([id, progress]) => [id, progress.ended?.outcome]),
    ),
    images: Object.fromEntries(
      [...setup.fleet.worlds].map(([id, world]) => [
        id,
        world
          .snapshotState()
          .instances.filter((instance) => instance.state === "running")
          .map((instance) => instance.imageId)
          .sort(),
      ]),
    ),
  }
}

class Killed extends Error {}

/** The layer of an invocation killed after `appends` fleet appends: it dies there and releases nothing of the fleet's. */
const killedAfter = (setup: ReturnType<typeof rehearsal>, appends: number) => {
  let count = 0
  const fleets = makeMemoryFleetRolloutLog(setup.storage)
  const locks = makeMemoryEventLog(setup.storage)
  const log = Layer.mergeAll(
    Layer.succeed(FleetRolloutLog, {
      load: fleets.load,
      append: (lease, events) =>
        Effect.flatMap(fleets.append(lease, events), () => {
          count += 1
          return count >= appends ? Effect.die(new Killed(`killed after append ${count}`)) : Effect.void
        }),
    }),
    Layer.succeed(EventLog, {
      ...locks,
      release: (lease) => (lease.accountId === "fleet" ? Effect.void : locks.release(lease)),
    }),
  )
  return Layer.mergeAll(setup.fleet.runner().pipe(Layer.provide(log)), log, setup.fleet.clockLayer)
}

const run = (definition: FleetDefinition, layer: ReturnType<typeof rehearsal>["layer"]) =>
  runFleetRollout({ definition, holder: "test", startIfNone: true }).pipe(Effect.provide(layer))

describe("fleet rollout killed at every fleet-event boundary", () => {
  for (const [name, fleetFile] of [
    ["all clusters healthy", sixClusterFleet()],
    ["staging-b fails", sixClusterFleet("staging-b")],
    ["the canary's alarm fires during its bake", canaryAlarmFleet(45 * 60_000)],
  ] as const)
    it.live(`resumes to the same end state (${name})`, () =>
      Effect.gen(function* () {
        const definition = yield* decode(fleetFile)
        const reference = rehearsal(definition)
        yield* run(definition, reference.layer)
        const expected = endState(definition, reference)
        const boundaries = reference.storage.fleets.get("platform")?.length ?? 0
        expect(boundaries).toBeGreaterThan(5)

        for (let kill = 1; kill < boundaries; kill += 1) {
          const setup = rehearsal(definition, emptyMemoryStorage())
          const exit = yield* Effect.exit(run(definition, killedAfter(setup, kill)))
          expect(exit._tag, `kill after append ${kill}`).toBe("Failure")
          // The killed holder's lease runs out before the next invocation can take the fleet.
          setup.fleet.clock.reach(setup.fleet.clock.currentTimeMillisUnsafe() + defaultFleetLeaseMs + 1)
          const resumed = yield* run(definition, setup.layer)
          expect(resumed._tag, `kill after append ${kill}`).toBe("Finished")
          expect(endState(definition, setup), `kill after append ${kill}`).toEqual(expected)
        }
      }),
    )
})
