/**
 * A stage's bake: the wait after its last cluster succeeded and before the next stage starts, during
 * which the alarms its clusters' policies name are read every `pollMs` and once more at the bake's
 * end — one DescribeAlarms request per cluster per read, in the cluster's account and Region. The
 * first alarm found in ALARM (or no longer found) ends the bake there, failed. A cluster whose alarms
 * cannot be read is read again at the next poll, and fails the bake only if they still cannot be read
 * at its end. A stage whose clusters name no alarm just waits the bake out. The bake stops (the
 * rollout suspended) before a read or its end would fall past the invocation's deadline; the next
 * invocation goes on polling until the recorded end.
 */
import { Clock, Effect } from "effect"
import { formatDuration, type FleetBakeFailure } from "@ecs-ami-deploy/domain"
import type { FleetClusterRunner } from "./cluster-runner.ts"
import type { FleetClusterSpec } from "./fleet-file.ts"

/** How often a baking stage's alarms are read by default: CloudWatch's standard alarm period. */
export const defaultBakePollMs = 60_000

/** How many clusters' alarms are read at the same time. */
const readConcurrency = 10

export interface BakeInput {
  readonly stage: string
  /** When the bake ends (the fleet's clock). */
  readonly until: number
  /** The stage's clusters whose policies name alarms. */
  readonly watched: ReadonlyArray<FleetClusterSpec>
  readonly pollMs: number
  /** The latest time a read (or the bake's end) may happen in this invocation. */
  readonly deadline: number
  readonly readAlarms: FleetClusterRunner["Service"]["alarmFailures"]
  /** Run before each read, so the fleet's lease outlives a long bake. */
  readonly heartbeat: Effect.Effect<void>
}

export type BakeEnd =
  | {
      readonly _tag: "Ended"
      /** What failed the bake; none: baked. */
      readonly failures: ReadonlyArray<FleetBakeFailure>
      /** What was read, for the record. */
      readonly checked: string
    }
  | { readonly _tag: "Suspended" }

/** Bakes the stage until `until`, or until an alarm fails it, or until the deadline comes too close. */
export const bake = (input: BakeInput): Effect.Effect<BakeEnd> =>
  Effect.gen(function* () {
    const alarmCount = input.watched.reduce((sum, cluster) => sum + (cluster.policy.alarms ?? []).length, 0)
    let reads = 0
    for (;;) {
      const now = yield* Clock.currentTimeMillis
      const readAt = input.watched.length === 0 ? input.until : Math.min(input.until, now + input.pollMs)
      if (readAt > input.deadline) return { _tag: "Suspended" } as const
      if (readAt > now) yield* Effect.sleep(readAt - now)
      if (input.watched.length === 0)
        return {
          _tag: "Ended",
          failures: [],
          checked: "no alarms: the policies of the stage's clusters name none",
        } as const
      yield* input.heartbeat
      const atEnd = readAt >= input.until
      const readNow = yield* Clock.currentTimeMillis
      reads += 1
      const found = yield* Effect.forEach(
        input.watched,
        (cluster) =>
          input.readAlarms(cluster, readNow).pipe(
            Effect.map((gates) =>
              gates.map((gate): FleetBakeFailure => ({
                cluster: cluster.id,
                alarm: gate.name,
                detail: gate.detail,
              })),
            ),
            Effect.catchTag("ClusterUnreachable", (error) =>
              Effect.succeed<ReadonlyArray<FleetBakeFailure>>(
                atEnd
                  ? [{ cluster: cluster.id, detail: `its alarms could not be read: ${error.reason}` }]
                  : [],
              ),
            ),
          ),
        { concurrency: readConcurrency },
      )
      const failures = found.flat()
      if (failures.length > 0 || atEnd)
        return {
          _tag: "Ended",
          failures,
          checked: `${alarmCount} alarm(s) of ${input.watched.length} cluster(s) read ${reads} time(s) in this invocation, every ${formatDuration(input.pollMs)} until ${atEnd ? "the bake's end" : `${new Date(readNow).toISOString()}, when the first failure was found`}`,
        } as const
    }
  })
