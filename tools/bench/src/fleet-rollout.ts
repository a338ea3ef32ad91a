/**
 * The fleet benchmark: a fleet of simulated clusters rolled stage by stage through the real fleet
 * executor (`@ecs-ami-deploy/multi-cluster`), one simulated world per cluster — a canary baked an
 * hour, a staging stage baked 30 minutes, then production in batches of five. Measures the wall time
 * and the fleet's simulated duration (batches roll side by side, bakes included), and counts the AWS
 * requests of every world and the AssumeRole calls.
 */
import { Effect, Layer } from "effect"
import { emptyMemoryStorage, layerMemoryWithFleets } from "@ecs-ami-deploy/event-log"
import { scenarios } from "@ecs-ami-deploy/simulator"
import { decodeFleetFile, type FleetRolloutResult, runFleetRollout } from "@ecs-ami-deploy/multi-cluster"
import { simulatedFleet } from "@ecs-ami-deploy/multi-cluster/simulator"

/** The built-in scenarios the fleet's clusters rotate through (4 instances each, every launch-spec kind). */
const clusterScenarios = ["small", "launch-template", "mixed-instances", "launch-configuration"] as const

const account = (index: number) => String(111111111111 * (index + 1)).slice(0, 12)

/** A fleet file of `count` clusters (≥ 6): canary 1, staging 4 (together), production the rest in batches of 5. */
export const fleetFileOf = (count: number): string => {
  const cluster = (index: number) => ({
    cluster: `cluster-${String(index + 1).padStart(2, "0")}`,
    region: ["eu-west-1", "us-east-1", "us-west-2"][index % 3],
    simulate: { scenario: clusterScenarios[index % clusterScenarios.length] },
  })
  const ids = Array.from({ length: count }, (_, index) => index)
  return JSON.stringify({
    fleet: `bench-${count}`,
    defaults: { policy: { maxSurge: "100%" } },
    stages: [
      {
        name: "canary",
        bakeMs: 3_600_000,
        defaults: { role: `arn:aws:iam::${account(0)}:role/rollout` },
        clusters: ids.slice(0, 1).map(cluster),
      },
      {
        name: "staging",
        batchSize: 4,
        bakeMs: 1_800_000,
        defaults: { role: `arn:aws:iam::${account(1)}:role/rollout` },
        clusters: ids.slice(1, 5).map(cluster),
      },
      {
        name: "production",
        batchSize: 5,
        defaults: { role: `arn:aws:iam::${account(2)}:role/rollout` },
        clusters: ids.slice(5).map(cluster),
      },
    ],
  })
}

export interface FleetBenchResult {
  readonly clusters: number
  readonly stages: number
  readonly result: FleetRolloutResult
  readonly wallMs: number
  readonly simulatedMs: number
  readonly awsRequests: number
  readonly assumeRoleCalls: number
  readonly fleetEvents: number
}

/** Rolls the fleet of `count` clusters once and measures it. */
export const fleetBench = (count: number): Promise<FleetBenchResult> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const definition = yield* decodeFleetFile(fleetFileOf(count), `bench-${count}.json`)
      const fleet = simulatedFleet(
        definition,
        (cluster) => scenarios[cluster.simulate?.scenario ?? "small"] ?? scenarios.small,
      )
      const storage = emptyMemoryStorage()
      const log = layerMemoryWithFleets(storage)
      const start = fleet.clock.currentTimeMillisUnsafe()
      const wallStart = performance.now()
      const result = yield* runFleetRollout({ definition, holder: "bench", startIfNone: true }).pipe(
        Effect.provide(Layer.mergeAll(fleet.runner().pipe(Layer.provide(log)), log, fleet.clockLayer)),
      )
      return {
        clusters: fleet.worlds.size,
        stages: definition.stages.length,
        result,
        wallMs: performance.now() - wallStart,
        simulatedMs: fleet.clock.currentTimeMillisUnsafe() - start,
        awsRequests: [...fleet.worlds.values()].reduce(
          (sum, world) => sum + world.metrics().apiCalls.awsRequests,
          0,
        ),
        assumeRoleCalls: fleet.assumeRoleCalls.length,
        fleetEvents: storage.fleets.get(definition.fleetName)?.length ?? 0,
      }
    }),
  )
