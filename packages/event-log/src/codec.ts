/**
 * The stored form of a run event, shared by the drivers that keep events as JSON text: one encoded
 * event per line or record. Reading refuses what cannot be parsed or decoded with the record's location.
 */
import { decodeRunEvent, encodeRunEvent, EventLogCorrupt, type RunEvent } from "@ecs-ami-deploy/domain"
import { Effect } from "effect"

/** An event that does not satisfy its own schema is a bug of the caller: encoding it throws. */
export const formatRecord = (event: RunEvent): string => JSON.stringify(encodeRunEvent(event))

export const parseRecord = (text: string, location: string): Effect.Effect<RunEvent, EventLogCorrupt> =>
  Effect.try({
    try: (): unknown => JSON.parse(text),
    catch: (error) => new EventLogCorrupt({ location, problem: `not JSON: ${String(error)}` }),
  }).pipe(Effect.flatMap((record) => decodeRunEvent(record, location)))
