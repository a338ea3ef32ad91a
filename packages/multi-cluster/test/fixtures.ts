/**
 * Fleets for the tests: fleet files as text, decoded, and rehearsed on simulated worlds with an
 * in-memory event log — the same path `simulate --fleet` takes.
 */
import { type Effect, Layer } from "effect"
import { layerMemoryWithFleets, emptyMemoryStorage, type MemoryStorage } from "@ecs-ami-deploy/event-log"
import { newImageId, type Scenario, scenarios } from "ecs-ami-deploy/simulator"
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

/** The alarm the canary of {@link canaryAlarmFleet} names in its policy. */
export const canaryAlarm = "CanaryErrors"

/**
 * The six-cluster fleet with the canary's policy naming {@link canaryAlarm}: with `firesAfterMs`, the
 * alarm goes into ALARM once an instance on the new image has run that long (and stays there), else it
 * stays OK.
 */
export const canaryAlarmFleet = (firesAfterMs?: number): string => {
  const fleet = JSON.parse(sixClusterFleet()) as {
    stages: Array<{ clusters: Array<{ cluster: string; policy?: object; simulate?: object }> }>
  }
  for (const stage of fleet.stages)
    for (const cluster of stage.clusters)
      if (cluster.cluster === "canary") {
        cluster.policy = { alarms: [canaryAlarm] }
        cluster.simulate = {
          scenario: firesAfterMs === undefined ? "small-quiet-alarm" : `small-alarm-after-${firesAfterMs}`,
        }
      }
  return JSON.stringify(fleet)
}

/** A built-in scenario, or `small-quiet-alarm` / `small-alarm-after-<ms>`: the small cluster with {@link canaryAlarm}. */
const scenarioNamed = (name: string): Scenario => {
  const builtIn = scenarios[name]
  if (builtIn !== undefined) return builtIn
  const small = scenarios["small"]
  const firesAfterMs = /^small-alarm-after-(\d+)$/.exec(name)?.[1]
  if (small === undefined || (name !== "small-quiet-alarm" && firesAfterMs === undefined))
    throw new Error(`no scenario ${name}`)
  return {
    ...small,
    name,
    alarms: [
      {
        name: canaryAlarm,
        triggers:
          firesAfterMs === undefined
            ? []
            : [{ instanceOnImage: { imageId: newImageId, forMs: Number(firesAfterMs) } }],
      },
    ],
  }
}

export const decode = (text: string): Effect.Effect<FleetDefinition, unknown> =>
  decodeFleetFile(text, "fleet.json")

/** A simulated fleet on built-in scenarios, its event log in `storage`. */
export const rehearsal = (definition: FleetDefinition, storage: MemoryStorage = emptyMemoryStorage()) => {
  const fleet: SimulatedFleet = simulatedFleet(definition, (cluster) =>
    scenarioNamed(cluster.simulate?.scenario ?? "small"),
  )
  const log = layerMemoryWithFleets(storage)
  const layer = Layer.mergeAll(fleet.runner().pipe(Layer.provide(log)), log, fleet.clockLayer)
  return { fleet, storage, layer }
}
