/**
 * The fleet rollout log contract: one suite every driver must pass (memory, file, DynamoDB). A
 * fleet's stream keeps its events in order, refuses a repeated or skipped sequence number, and takes
 * appends only under the fleet's current lease (the event log's lock of `fleetLockOf(name)`).
 */
import { describe, expect, it } from "@effect/vitest"
import { FLEET_ROLLOUT_SCHEMA_VERSION, type FleetRolloutEvent } from "@ecs-ami-deploy/domain"
import { EventLog, FleetRolloutLog, fleetLockOf } from "@ecs-ami-deploy/ports"
import { Effect, type Layer, type Scope } from "effect"
import { T0 } from "./fixtures.ts"

const LEASE_MS = 60_000

const envelope = (seq: number) => ({
  schemaVersion: FLEET_ROLLOUT_SCHEMA_VERSION,
  fleetName: "platform",
  rolloutId: "platform-1",
  seq,
  at: T0 + seq * 1_000,
})

/** One event of every variant, optional fields present and absent, in sequence order from 0. */
export const everyFleetVariant = (): ReadonlyArray<FleetRolloutEvent> => [
  {
    _tag: "FleetRolloutStarted",
    ...envelope(0),
    fileDigest: "d1",
    stages: [
      {
        name: "canary",
        batchSize: 1,
        bakeMs: 3_600_000,
        clusters: [
          {
            id: "111111111111/eu-west-1/c1",
            clusterName: "c1",
            region: "eu-west-1",
            roleArn: "arn:aws:iam::111111111111:role/r",
          },
          { id: "caller/eu-west-1/c2", clusterName: "c2", region: "eu-west-1" },
        ],
      },
    ],
  },
  { _tag: "FleetLeaseTaken", ...envelope(1), holder: "cli", fencingToken: 1 },
  { _tag: "FleetStageStarted", ...envelope(2), stage: "canary" },
  {
    _tag: "FleetClusterRunRequested",
    ...envelope(3),
    stage: "canary",
    cluster: "caller/eu-west-1/c2",
    runsBefore: ["r0"],
  },
  {
    _tag: "FleetClusterRunEnded",
    ...envelope(4),
    stage: "canary",
    cluster: "caller/eu-west-1/c2",
    runId: "r1",
    outcome: "succeeded",
    reason: "ok",
  },
  {
    _tag: "FleetClusterRunEnded",
    ...envelope(5),
    stage: "canary",
    cluster: "caller/eu-west-1/c2",
    outcome: "error",
    reason: "denied",
  },
  { _tag: "FleetStageBakeStarted", ...envelope(6), stage: "canary", until: T0 + 10 },
  { _tag: "FleetStageBakeEnded", ...envelope(7), stage: "canary", firing: ["c1: high-5xx"], checked: "x" },
  { _tag: "FleetRolloutSuspended", ...envelope(8), reason: "deadline" },
  { _tag: "FleetRolloutFinished", ...envelope(9), outcome: "succeeded", reason: "done" },
  {
    _tag: "FleetRolloutFinished",
    ...envelope(10),
    outcome: "stopped",
    reason: "failed",
    stoppedAt: { stage: "canary", cluster: "c1", runId: "r1", outcome: "rolled-back" },
  },
]

export const fleetRolloutLogContract = <E>(
  name: string,
  makeLayer: () => Effect.Effect<Layer.Layer<EventLog | FleetRolloutLog>, E, Scope.Scope>,
): void => {
  const setup = Effect.gen(function* () {
    const layer = yield* makeLayer()
    return yield* Effect.provide(Effect.all({ locks: EventLog, fleets: FleetRolloutLog }), layer)
  })
  const acquire = (locks: EventLog["Service"], holder: string, now = T0) =>
    locks.acquire({ ...fleetLockOf("platform"), holder, leaseMs: LEASE_MS, now })

  describe(`FleetRolloutLog contract: ${name}`, () => {
    it.live(
      "given every fleet event variant, when appended in two batches and loaded, then they come back equal",
      () =>
        Effect.gen(function* () {
          const { locks, fleets } = yield* setup
          const lease = yield* acquire(locks, "cli")
          const events = everyFleetVariant()
          yield* fleets.append(lease, events.slice(0, 3))
          yield* fleets.append(lease, events.slice(3))
          expect(yield* fleets.load("platform")).toEqual(events)
          expect(yield* fleets.load("other")).toEqual([])
        }),
    )

    it.live(
      "given a stored stream, when a batch skips or repeats a seq, then SequenceConflict and nothing is stored",
      () =>
        Effect.gen(function* () {
          const { locks, fleets } = yield* setup
          const lease = yield* acquire(locks, "cli")
          const events = everyFleetVariant()
          yield* fleets.append(lease, events.slice(0, 2))
          for (const batch of [[events[3]], [events[1]], [events[2], events[4]]]) {
            const error = yield* Effect.flip(
              fleets.append(
                lease,
                batch.flatMap((event) => event ?? []),
              ),
            )
            expect(error).toMatchObject({ _tag: "SequenceConflict", runId: "fleet:platform" })
          }
          expect(yield* fleets.load("platform")).toEqual(events.slice(0, 2))
        }),
    )

    it.live(
      "given a lease taken over after it expired, when its holder appends, then StaleLease and the new holder appends",
      () =>
        Effect.gen(function* () {
          const { locks, fleets } = yield* setup
          const events = everyFleetVariant()
          const first = yield* acquire(locks, "first")
          yield* fleets.append(first, events.slice(0, 1))
          const second = yield* acquire(locks, "second", T0 + LEASE_MS + 1)
          const stale = yield* Effect.flip(fleets.append(first, events.slice(1, 2)))
          expect(stale).toMatchObject({ _tag: "StaleLease", fencingToken: first.fencingToken })
          yield* fleets.append(second, events.slice(1, 2))
          yield* locks.release(second)
          const released = yield* Effect.flip(fleets.append(second, events.slice(2, 3)))
          expect(released._tag).toBe("StaleLease")
          expect(yield* fleets.load("platform")).toEqual(events.slice(0, 2))
        }),
    )
  })
}
