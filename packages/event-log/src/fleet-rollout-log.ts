/**
 * The fleet rollout log over any driver: the rules written once — an append checks the fleet's lease
 * against the event log's lock (read, strongly consistent where that matters), then that each event's
 * `seq` continues the stream — over a small store per driver that keeps each fleet's records as JSON
 * text and writes a sequence number at most once. The fencing argument is the cluster runs' own: a
 * holder paused between its lease check and its write can only land events at the numbers right after
 * the last one it saw, and the next holder appends its `FleetLeaseTaken` at that same number after
 * loading the stream, so exactly one of the two lands there.
 */
import {
  decodeFleetRolloutEvent,
  encodeFleetRolloutEvent,
  EventLogCorrupt,
  type EventLogUnavailable,
  type FleetRolloutEvent,
  SequenceConflict,
  StaleLease,
} from "@ecs-ami-deploy/domain"
import { type EventLog, FleetRolloutLog, type Lease } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import { FIRST_SEQ } from "./rules.ts"

type LogError = EventLogUnavailable | EventLogCorrupt

/** One stored record of a fleet's stream: its sequence number, JSON text and where it is (for errors). */
export interface FleetRecord {
  readonly seq: number
  readonly text: string
  readonly location: string
}

/** What a driver provides: read a fleet's records in order, and write new ones, each `seq` at most once. */
export interface FleetStreamStore {
  readonly read: (fleetName: string) => Effect.Effect<ReadonlyArray<FleetRecord>, LogError>
  /** Writes records after the stream's current end; a `seq` already taken fails with SequenceConflict. */
  readonly write: (
    lease: Lease,
    fleetName: string,
    records: ReadonlyArray<Omit<FleetRecord, "location">>,
  ) => Effect.Effect<void, SequenceConflict | LogError>
}

/** The stream's id in `SequenceConflict` errors, beside run ids. */
export const fleetStreamId = (fleetName: string): string => `fleet:${fleetName}`

const parseFleetRecord = (record: FleetRecord): Effect.Effect<FleetRolloutEvent, EventLogCorrupt> =>
  Effect.try({
    try: (): unknown => JSON.parse(record.text),
    catch: (error) =>
      new EventLogCorrupt({ location: record.location, problem: `not JSON: ${String(error)}` }),
  }).pipe(
    Effect.flatMap((json) => decodeFleetRolloutEvent(json, record.location)),
    Effect.flatMap((event) =>
      event.seq === record.seq
        ? Effect.succeed(event)
        : Effect.fail(
            new EventLogCorrupt({
              location: record.location,
              problem: `stored at seq ${record.seq} but carries seq ${event.seq}`,
            }),
          ),
    ),
  )

/** The FleetRolloutLog of a driver: `eventLog` holds the fleets' locks, `store` their records. */
export const makeFleetRolloutLog = (
  eventLog: EventLog["Service"],
  store: FleetStreamStore,
): FleetRolloutLog["Service"] => {
  const load = (fleetName: string) =>
    Effect.flatMap(store.read(fleetName), (records) =>
      Effect.forEach(records, (record, index) =>
        record.seq === FIRST_SEQ + index
          ? parseFleetRecord(record)
          : Effect.fail(
              new EventLogCorrupt({
                location: record.location,
                problem: `expected seq ${FIRST_SEQ + index}, found ${record.seq} (two writers, or an edited log)`,
              }),
            ),
      ),
    )
  return FleetRolloutLog.of({
    load,
    append: (lease, events) =>
      Effect.gen(function* () {
        const fleetName = lease.clusterName
        const foreign = events.find((event) => event.fleetName !== fleetName)
        if (foreign !== undefined)
          return yield* Effect.die(
            new Error(`fleet ${foreign.fleetName}'s event appended under fleet ${fleetName}'s lease`),
          )
        const current = yield* eventLog.lock(lease)
        if (current?.fencingToken !== lease.fencingToken)
          return yield* new StaleLease({
            clusterName: fleetName,
            fencingToken: lease.fencingToken,
            currentFencingToken: current?.fencingToken ?? 0,
          })
        const stored = yield* store.read(fleetName)
        let expected = (stored.at(-1)?.seq ?? FIRST_SEQ - 1) + 1
        const records: Array<Omit<FleetRecord, "location">> = []
        for (const event of events) {
          if (event.seq !== expected)
            return yield* new SequenceConflict({ runId: fleetStreamId(fleetName), seq: event.seq })
          const text = JSON.stringify(encodeFleetRolloutEvent(event))
          // Read back at once: an event that would not survive storage fails its append, not a later load.
          yield* parseFleetRecord({
            seq: event.seq,
            text,
            location: `${fleetStreamId(fleetName)}#${event.seq}`,
          })
          records.push({ seq: event.seq, text })
          expected += 1
        }
        yield* store.write(lease, fleetName, records)
      }),
  })
}
