/**
 * The memory driver against the EventLog and FleetRolloutLog contracts; its back door writes a record's JSON text
 * straight into the storage the driver reads.
 */
import { Effect } from "effect"
import { emptyMemoryStorage, layerMemory, layerMemoryWithFleets } from "../src/index.ts"
import { eventLogContract } from "./contract.ts"
import { fleetRolloutLogContract } from "./fleet-contract.ts"

eventLogContract("memory", () =>
  Effect.sync(() => {
    const storage = emptyMemoryStorage()
    return {
      layer: layerMemory(storage),
      storeRawRecord: (runId: string, _seq: number, record: unknown) =>
        Effect.sync(() => {
          const texts = storage.runs.get(runId) ?? []
          texts.push(JSON.stringify(record))
          storage.runs.set(runId, texts)
        }),
    }
  }),
)

fleetRolloutLogContract("memory", () => Effect.sync(() => layerMemoryWithFleets()))
