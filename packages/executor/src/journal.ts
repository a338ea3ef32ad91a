/**
 * The run's log as one invocation sees it: each append is stamped (schema version, run id, next
 * sequence number, time), written under the invocation's lease, folded into the run's state and
 * reported to the `RunObserver`; the write and the fold are never cut apart by an interruption. A note
 * is written once per run, however often it is noted.
 */
import { Clock, Effect, Ref } from "effect"
import {
  EVENT_SCHEMA_VERSION,
  type EventLogCorrupt,
  type EventLogUnavailable,
  type RunEvent,
  type RunEventBody,
  type SequenceConflict,
  type StaleLease,
} from "@ecs-ami-deploy/domain"
import { EventLog } from "@ecs-ami-deploy/ports"
import { evolve, initialState, type RunState } from "@ecs-ami-deploy/planner"
import type { Invocation } from "./invocation.ts"
import { RunObserver } from "./run-observer.ts"

export type Running = Extract<RunState, { _tag: "Running" }>

/** The run's log as seen by this invocation: appends stamp, fold and report each event. */
export interface Journal {
  readonly runId: string
  readonly state: Effect.Effect<RunState>
  readonly append: (body: RunEventBody) => Effect.Effect<RunEvent, AppendError, EventLog>
  /** Appends a Noted event unless the run already recorded the same message. */
  readonly note: (level: "info" | "warning", message: string) => Effect.Effect<void, AppendError, EventLog>
}

export type AppendError = SequenceConflict | StaleLease | EventLogUnavailable | EventLogCorrupt

export const makeJournal = (invocation: Invocation, runId: string, events: ReadonlyArray<RunEvent>) =>
  Effect.gen(function* () {
    const stateRef = yield* Ref.make(events.reduce(evolve, initialState))
    const noted = new Set(events.flatMap((event) => (event._tag === "Noted" ? [event.message] : [])))
    const observer = yield* RunObserver
    const append = (body: RunEventBody) =>
      Effect.gen(function* () {
        const eventLog = yield* EventLog
        const at = yield* Clock.currentTimeMillis
        const state = yield* Ref.get(stateRef)
        const event = {
          ...body,
          schemaVersion: EVENT_SCHEMA_VERSION,
          runId,
          seq: state.lastSeq + 1,
          at,
        } as RunEvent
        const lease = yield* Ref.get(invocation.lease)
        // A write, once sent, goes on whether or not anyone waits for it (a file write, a DynamoDB
        // request): an interruption waits for it and for its fold, so the suspension a stop records next
        // follows this event instead of racing it for the same sequence number.
        const evolved = yield* Effect.uninterruptible(
          Effect.gen(function* () {
            yield* eventLog.append(lease, [event])
            const next = evolve(state, event)
            yield* Ref.set(stateRef, next)
            return next
          }),
        )
        yield* observer.eventAppended(event, evolved)
        return event
      })
    const journal: Journal = {
      runId,
      state: Ref.get(stateRef),
      append,
      note: (level, message) =>
        noted.has(message)
          ? Effect.void
          : Effect.tap(append({ _tag: "Noted", level, message }), () =>
              Effect.sync(() => noted.add(message)),
            ),
    }
    return journal
  })
