/**
 * Fleets for the tests: fleet files as text, decoded, and rehearsed on simulated worlds with an
 * in-memory event log — the same path `simulate --fleet` takes.
 */
import { type Effect, Layer } from "effect"
import { layerMemoryWithFleets, emptyMemoryStorage, type MemoryStorage } from "@ecs-ami-deploy/event-log"
import { scenarios } from "ecs-ami-deploy/simulator"
import { newImageId } from "ecs-ami-deploy/simulator"
import { decodeFleetFile, type FleetDefinition } from "../src/index.ts"
import { simulatedFleet, type SimulatedFleet } from "../src/simulated.ts"

/** A role in account `account` (12 digits). */
export const role = (account: string) => `arn:aws:iam::${account}:role/ecs-ami-deploy-rollout`

/**
 * Six clusters in three stages: a canary (bake 1 h), two staging clusters in one batch, three
 * production clusters in batches of two. `failing` names a cluster whose new instances never register
 * with ECS (its run rolls back).
 */
export const sixClusterFleet = (failing?: string): string =>
  JSON.stringify({
    fleet: "platform",
    defaults: { region: "eu-west-1", role: role("111111111111"), policy: { maxSurge: "100%" } },
    stages: [
      { name: "canary", bakeMs: 3_600_000, clusters: [{ cluster: "canary" }] },
      {
        name: "staging",
        batchSize: 2,
        bakeMs: 1_800_000,
        defaults: { role: role("222222222222") },
        clusters: [{ cluster: "staging-a" }, { cluster: "staging-b", region: "us-east-1" }],
      },
      {
        name: "production",
        batchSize: 2,
        defaults: { role: role("333333333333") },
        clusters: [{ cluster: "prod-a" }, { cluster: "prod-b" }, { cluster: "prod-c", region: "us-west-2" }],
      },
    ].map((stage) => ({
      ...stage,
      clusters: stage.clusters.map((cluster) =>
        cluster.cluster === failing
          ? {
              ...cluster,
              simulate: { scenario: "small", faults: { agentNeverRegisters: { imageIds: [newImageId] } } },
            }
          : { ...cluster, simulate: { scenario: "small" } },
      ),
    })),
  })

export const decode = (text: string): Effect.Effect<FleetDefinition, unknown> =>
  decodeFleetFile(text, "fleet.json")

/** A simulated fleet on built-in scenarios, its event log in `storage`. */
export const rehearsal = (definition: FleetDefinition, storage: MemoryStorage = emptyMemoryStorage()) => {
  const fleet: SimulatedFleet = simulatedFleet(definition, (cluster) => {
    const scenario = scenarios[cluster.simulate?.scenario ?? "small"]
    if (scenario === undefined) throw new Error(`no scenario ${cluster.simulate?.scenario}`)
    return scenario
  })
  const log = layerMemoryWithFleets(storage)
  const layer = Layer.mergeAll(fleet.runner().pipe(Layer.provide(log)), log, fleet.clockLayer)
  return { fleet, storage, layer }
}
