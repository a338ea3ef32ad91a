/**
 * The in-memory EventLog: the twin of the durable drivers for tests and simulations. Every event
 * goes through the same trip as on disk or in DynamoDB (encode, JSON text, parse, decode), so an
 * event that would not survive storage fails here first. Each operation runs without yielding, so
 * its check and its write are atomic with respect to every other fiber.
 */
import { type EventLogCorrupt, type RunEvent, SequenceConflict } from "@ecs-ami-deploy/domain"
import { EventLog, FleetRolloutLog, type Lease, type RunSummary } from "@ecs-ami-deploy/ports"
import { Effect, Layer, Result } from "effect"
import { formatRecord, parseRecord } from "./codec.ts"
import { fleetStreamId, makeFleetRolloutLog } from "./fleet-rollout-log.ts"
import {
  acquireLock,
  belongsTo,
  clusterKey,
  heldLease,
  checkLeaseCurrent,
  checkSequence,
  FIRST_SEQ,
  leaseOf,
  newestFirst,
  summarizeRun,
  type LockRecord,
} from "./rules.ts"

/**
 * What the memory driver holds: each run's records as JSON text in sequence order, each cluster's lock
 * (by {@link clusterKey}), and each fleet's rollout stream as JSON text in sequence order.
 */
export interface MemoryStorage {
  readonly runs: Map<string, Array<string>>
  readonly locks: Map<string, LockRecord>
  readonly fleets: Map<string, Array<string>>
}

export const emptyMemoryStorage = (): MemoryStorage => ({
  runs: new Map(),
  locks: new Map(),
  fleets: new Map(),
})

const loadRun = (storage: MemoryStorage, runId: string) =>
  Effect.forEach(storage.runs.get(runId) ?? [], (text, index) =>
    parseRecord(text, `memory:${runId}#${index + 1}`),
  )

/**
 * The text to store for an event, read back at once: an event that does not survive the trip fails its
 * append (EventLogCorrupt) instead of a later load.
 */
const throughJson = (
  event: RunEvent,
): Effect.Effect<{ readonly runId: string; readonly text: string }, EventLogCorrupt> => {
  const text = formatRecord(event)
  return Effect.as(parseRecord(text, `memory:${event.runId}#${event.seq} (being appended)`), {
    runId: event.runId,
    text,
  })
}

/** An EventLog over `storage`; pass your own storage to inspect or seed records in a test. */
export const makeMemoryEventLog = (storage: MemoryStorage = emptyMemoryStorage()): EventLog["Service"] => {
  const lastSeqOf = (runId: string): number => {
    const texts = storage.runs.get(runId)
    return FIRST_SEQ - 1 + (texts?.length ?? 0)
  }
  /** Runs a check-and-write in one synchronous step, so no other fiber can interleave with it. */
  const atomically = <A, E>(step: () => Result.Result<A, E>) =>
    Effect.suspend(() => Effect.fromResult(step()))
  const currentLease = (lease: Lease) => checkLeaseCurrent(storage.locks.get(clusterKey(lease)), lease)
  const storeLock = (record: LockRecord): Lease => {
    storage.locks.set(clusterKey(record), record)
    return leaseOf(record)
  }
  return EventLog.of({
    acquire: (input) =>
      atomically(() => Result.map(acquireLock(storage.locks.get(clusterKey(input)), input), storeLock)),
    renew: (lease, { leaseMs, now }) =>
      atomically(() =>
        Result.map(currentLease(lease), (record) => storeLock({ ...record, expiresAt: now + leaseMs })),
      ),
    lock: (cluster) => Effect.sync(() => heldLease(storage.locks.get(clusterKey(cluster)))),
    release: (lease) =>
      Effect.sync(() => {
        const current = currentLease(lease)
        if (Result.isSuccess(current)) storeLock({ ...current.success, released: true })
      }),
    append: (lease, events) =>
      Effect.forEach(events, throughJson).pipe(
        Effect.flatMap((records) =>
          atomically(() =>
            Result.flatMap(currentLease(lease), (): Result.Result<void, SequenceConflict> =>
              checkSequence(lastSeqOf, events),
            ).pipe(
              Result.map(() => {
                for (const { runId, text } of records) {
                  const stored = storage.runs.get(runId)
                  if (stored === undefined) storage.runs.set(runId, [text])
                  else stored.push(text)
                }
              }),
            ),
          ),
        ),
      ),
    load: (runId) => Effect.suspend(() => loadRun(storage, runId)),
    runs: (cluster) =>
      Effect.suspend(() =>
        Effect.forEach([...storage.runs.keys()], (runId) => loadRun(storage, runId)).pipe(
          Effect.map((runs: ReadonlyArray<ReadonlyArray<RunEvent>>) =>
            runs
              .map(summarizeRun)
              .filter(
                (summary): summary is RunSummary => summary !== undefined && belongsTo(summary, cluster),
              )
              .sort(newestFirst),
          ),
        ),
      ),
  })
}

/** The memory driver as a layer, over fresh storage unless given one. */
export const layerMemory = (storage: MemoryStorage = emptyMemoryStorage()): Layer.Layer<EventLog> =>
  Layer.sync(EventLog, () => makeMemoryEventLog(storage))

/** The fleet rollout log over `storage`: its fleets' locks are the memory event log's over the same storage. */
export const makeMemoryFleetRolloutLog = (storage: MemoryStorage): FleetRolloutLog["Service"] =>
  makeFleetRolloutLog(makeMemoryEventLog(storage), {
    read: (fleetName) =>
      Effect.sync(() =>
        (storage.fleets.get(fleetName) ?? []).map((text, index) => ({
          seq: FIRST_SEQ + index,
          text,
          location: `memory:${fleetStreamId(fleetName)}#${FIRST_SEQ + index}`,
        })),
      ),
    write: (_lease, fleetName, records) =>
      Effect.suspend(() => {
        const stored = storage.fleets.get(fleetName) ?? []
        const taken = records.find((record, index) => record.seq !== FIRST_SEQ + stored.length + index)
        if (taken !== undefined)
          return Effect.fail(new SequenceConflict({ runId: fleetStreamId(fleetName), seq: taken.seq }))
        storage.fleets.set(fleetName, [...stored, ...records.map((record) => record.text)])
        return Effect.void
      }),
  })

/** The memory event log and fleet rollout log over one storage (fresh unless given). */
export const layerMemoryWithFleets = (
  storage: MemoryStorage = emptyMemoryStorage(),
): Layer.Layer<EventLog | FleetRolloutLog> =>
  Layer.merge(
    layerMemory(storage),
    Layer.sync(FleetRolloutLog, () => makeMemoryFleetRolloutLog(storage)),
  )
