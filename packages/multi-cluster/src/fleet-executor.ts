/**
 * The fleet executor: takes the fleet's lock (the event log's lease under `fleetLockOf(name)`), folds
 * the fleet's stream, and carries out the decider's decisions one by one — starting stages, rolling a
 * batch of clusters through the {@link FleetClusterRunner}, baking, finishing — appending each
 * transition to the stream before it moves on (a cluster's run is requested before it starts, and its
 * end recorded after). Resume is the same path: fold, then decide. It stops before `deadline`, with
 * the rollout suspended and resumable; the lease is renewed between steps and whenever a cluster's
 * run appends an event, and an append under a lease another executor took fails (`StaleLease`). An
 * append's write and its fold into the invocation's state are never cut apart by an interruption.
 */
import { Clock, Effect, Ref, Semaphore } from "effect"
import {
  FLEET_ROLLOUT_SCHEMA_VERSION,
  type FleetRolloutEvent,
  type FleetRolloutEventBody,
  type FleetRolloutOutcome,
  type FleetStopPoint,
  fleetBakeFailureName,
} from "@ecs-ami-deploy/domain"
import { EventLog, FleetRolloutLog, fleetLockOf, type Lease } from "@ecs-ami-deploy/ports"
import { Data } from "effect"
import { bake, defaultBakePollMs } from "./bake.ts"
import { type ClusterRunEnd, FleetClusterRunner } from "./cluster-runner.ts"
import { decide, evolve, fold, type FleetRolloutState } from "./decider.ts"
import { type FleetDefinition, recordedStages } from "./fleet-file.ts"

/** How long the fleet's lease lasts; renewed when half is gone. Default 30 minutes. */
export const defaultFleetLeaseMs = 30 * 60_000

/** The fleet's open rollout was started from another version of the fleet file. */
export class FleetFileChanged extends Data.TaggedError("FleetFileChanged")<{
  readonly fleetName: string
  readonly rolloutId: string
}> {
  override get message(): string {
    return `fleet ${this.fleetName}'s open rollout ${this.rolloutId} was started from another version of the fleet file; restore that version to continue it (its stages are recorded, the file's digest differs)`
  }
}

export interface FleetRolloutInvocation {
  readonly definition: FleetDefinition
  readonly holder: string
  /** Epoch ms (the fleet's clock) by which the invocation stops, the rollout suspended. */
  readonly deadline?: number
  readonly leaseMs?: number
  /** Start a rollout when none is open (`fleet apply`); without it only an open one continues. */
  readonly startIfNone: boolean
  /** Told of each fleet event once it is appended (the CLI prints them). */
  readonly onEvent?: (event: FleetRolloutEvent) => Effect.Effect<void>
  /** How often a baking stage's alarms are read (ms). Default {@link defaultBakePollMs}. */
  readonly bakePollMs?: number
}

/** How an invocation ended. */
export type FleetRolloutResult =
  | { readonly _tag: "NoOpenRollout"; readonly fleetName: string }
  | {
      readonly _tag: "Finished"
      readonly rolloutId: string
      readonly outcome: FleetRolloutOutcome
      readonly reason: string
      readonly stoppedAt?: FleetStopPoint
    }
  | { readonly _tag: "Suspended"; readonly rolloutId: string; readonly reason: string }

/** The room a step needs before the deadline: a batch or a bake is not begun with less left. */
const stepRoomMs = 2 * 60_000

const clusterSpec = (definition: FleetDefinition, id: string) => {
  for (const stage of definition.stages)
    for (const cluster of stage.clusters) if (cluster.id === id) return cluster
  return undefined
}

/** Runs (or resumes) the fleet's rollout until it finishes, or suspends it before the deadline. */
export const runFleetRollout = (invocation: FleetRolloutInvocation) =>
  Effect.gen(function* () {
    const eventLog = yield* EventLog
    const fleetLog = yield* FleetRolloutLog
    const runner = yield* FleetClusterRunner
    const { definition } = invocation
    const fleetName = definition.fleetName
    const leaseMs = invocation.leaseMs ?? defaultFleetLeaseMs
    const lock = fleetLockOf(fleetName)

    // The lock's write, once sent, lands whether or not anyone waits for it: acquireUseRelease takes it
    // uninterruptibly, so an interruption waits for the lease and releases it.
    return yield* Effect.acquireUseRelease(
      Clock.currentTimeMillis.pipe(
        Effect.flatMap((now) => eventLog.acquire({ ...lock, holder: invocation.holder, leaseMs, now })),
        Effect.flatMap((acquired) => Ref.make<Lease>(acquired)),
      ),
      (lease) =>
        Effect.gen(function* () {
          const acquired = yield* Ref.get(lease)
          const state = yield* Ref.make<FleetRolloutState>(fold(yield* fleetLog.load(fleetName)))
          const appending = yield* Semaphore.make(1)

          const keepLease = Effect.gen(function* () {
            const now = yield* Clock.currentTimeMillis
            const current = yield* Ref.get(lease)
            if (current.expiresAt - now < leaseMs / 2)
              yield* Ref.set(lease, yield* eventLog.renew(current, { leaseMs, now }))
          })

          const append = (rolloutId: string, body: FleetRolloutEventBody) =>
            appending.withPermits(1)(
              Effect.gen(function* () {
                yield* keepLease
                const at = yield* Clock.currentTimeMillis
                const before = yield* Ref.get(state)
                const event = {
                  ...body,
                  schemaVersion: FLEET_ROLLOUT_SCHEMA_VERSION,
                  fleetName,
                  rolloutId,
                  seq: before.lastSeq + 1,
                  at,
                } as const
                const writingLease = yield* Ref.get(lease)
                // A write, once sent, goes on whether or not anyone waits for it (a file append, a
                // DynamoDB request): an interruption waits for it and for its fold, so the invocation
                // never ends, nor releases the fleet's lock, with its own write still under way.
                yield* Effect.uninterruptible(
                  Effect.andThen(
                    fleetLog.append(writingLease, [event]),
                    Ref.set(state, evolve(before, event)),
                  ),
                )
                yield* invocation.onEvent?.(event) ?? Effect.void
              }),
            )

          let current = (yield* Ref.get(state)).rollout
          if (
            current !== undefined &&
            current.finished === undefined &&
            current.fileDigest !== definition.digest
          )
            return yield* new FleetFileChanged({ fleetName, rolloutId: current.rolloutId })
          if (current === undefined || current.finished !== undefined) {
            if (!invocation.startIfNone) return { _tag: "NoOpenRollout", fleetName } as FleetRolloutResult
            const now = yield* Clock.currentTimeMillis
            const rolloutId = `${fleetName}-${new Date(now).toISOString().replace(/[-:.]/g, "")}`
            yield* append(rolloutId, {
              _tag: "FleetRolloutStarted",
              fileDigest: definition.digest,
              stages: recordedStages(definition),
            })
            current = (yield* Ref.get(state)).rollout
          }
          const rolloutId = current?.rolloutId ?? ""
          yield* append(rolloutId, {
            _tag: "FleetLeaseTaken",
            holder: acquired.holder,
            fencingToken: acquired.fencingToken,
          })

          const deadline = invocation.deadline ?? Number.POSITIVE_INFINITY
          const suspend = (reason: string) =>
            Effect.as(append(rolloutId, { _tag: "FleetRolloutSuspended", reason }), {
              _tag: "Suspended",
              rolloutId,
              reason,
            } as FleetRolloutResult)
          const beforeDeadline = `stopped before the deadline ${new Date(Math.min(deadline, 8.64e15)).toISOString()}`

          for (;;) {
            const now = yield* Clock.currentTimeMillis
            const decision = decide(yield* Ref.get(state), now)
            switch (decision._tag) {
              case "NoOpenRollout":
                return { _tag: "NoOpenRollout", fleetName } as FleetRolloutResult
              case "Finish":
                yield* append(rolloutId, {
                  _tag: "FleetRolloutFinished",
                  outcome: decision.outcome,
                  reason: decision.reason,
                  ...(decision.stoppedAt === undefined ? {} : { stoppedAt: decision.stoppedAt }),
                })
                return {
                  _tag: "Finished",
                  rolloutId,
                  outcome: decision.outcome,
                  reason: decision.reason,
                  ...(decision.stoppedAt === undefined ? {} : { stoppedAt: decision.stoppedAt }),
                } as FleetRolloutResult
              case "StartStage":
                yield* append(rolloutId, { _tag: "FleetStageStarted", stage: decision.stage })
                break
              case "StartBake":
                yield* append(rolloutId, {
                  _tag: "FleetStageBakeStarted",
                  stage: decision.stage,
                  until: decision.until,
                })
                break
              case "FinishBake": {
                const stage = (yield* Ref.get(state)).rollout?.stages.find(
                  (each) => each.name === decision.stage,
                )
                const watched = (stage?.clusters ?? []).flatMap((cluster) => {
                  const spec = clusterSpec(definition, cluster.id)
                  return spec === undefined || (spec.policy.alarms ?? []).length === 0 ? [] : [spec]
                })
                const baked = yield* bake({
                  stage: decision.stage,
                  until: decision.until,
                  watched,
                  pollMs: invocation.bakePollMs ?? defaultBakePollMs,
                  deadline: deadline - stepRoomMs,
                  readAlarms: runner.alarmFailures,
                  heartbeat: appending.withPermits(1)(keepLease).pipe(Effect.ignore),
                })
                if (baked._tag === "Suspended")
                  return yield* suspend(
                    `${beforeDeadline} (stage ${decision.stage} bakes until ${new Date(decision.until).toISOString()})`,
                  )
                yield* append(rolloutId, {
                  _tag: "FleetStageBakeEnded",
                  stage: decision.stage,
                  firing: baked.failures.map(fleetBakeFailureName),
                  ...(baked.failures.length === 0 ? {} : { failures: baked.failures }),
                  checked: baked.checked,
                })
                break
              }
              case "RunClusters": {
                if (now > deadline - stepRoomMs) return yield* suspend(beforeDeadline)
                const rollout = (yield* Ref.get(state)).rollout
                const batch: Array<{
                  readonly id: string
                  readonly runsBefore: ReadonlyArray<string>
                  readonly requestedAt: number
                }> = []
                for (const id of decision.clusters) {
                  const known = rollout?.clusters[id]
                  if (known?.runsBefore !== undefined) {
                    batch.push({ id, runsBefore: known.runsBefore, requestedAt: now })
                    continue
                  }
                  const spec = clusterSpec(definition, id)
                  const runIds =
                    spec === undefined
                      ? {
                          _tag: "unreachable" as const,
                          reason: `cluster ${id} is not in the fleet file any more`,
                        }
                      : yield* runner.runIds(spec).pipe(
                          Effect.map((ids) => ({ _tag: "known" as const, ids })),
                          Effect.catchTag("ClusterUnreachable", (error) =>
                            Effect.succeed({ _tag: "unreachable" as const, reason: error.reason }),
                          ),
                        )
                  yield* append(rolloutId, {
                    _tag: "FleetClusterRunRequested",
                    stage: decision.stage,
                    cluster: id,
                    runsBefore: runIds._tag === "known" ? runIds.ids : [],
                  })
                  if (runIds._tag === "unreachable")
                    yield* append(rolloutId, {
                      _tag: "FleetClusterRunEnded",
                      stage: decision.stage,
                      cluster: id,
                      outcome: "error",
                      reason: runIds.reason,
                    })
                  else batch.push({ id, runsBefore: runIds.ids, requestedAt: yield* Clock.currentTimeMillis })
                }
                const ends = yield* Effect.forEach(
                  batch,
                  ({ id, runsBefore, requestedAt }) =>
                    Effect.gen(function* () {
                      const spec = clusterSpec(definition, id)
                      if (spec === undefined) return undefined
                      const end: ClusterRunEnd = yield* runner.run({
                        cluster: spec,
                        runsBefore,
                        requestedAt,
                        holder: invocation.holder,
                        ...(invocation.deadline === undefined ? {} : { deadline: invocation.deadline }),
                        heartbeat: appending.withPermits(1)(keepLease).pipe(Effect.ignore),
                      })
                      if (end._tag === "Ended")
                        yield* append(rolloutId, {
                          _tag: "FleetClusterRunEnded",
                          stage: decision.stage,
                          cluster: id,
                          ...(end.runId === undefined ? {} : { runId: end.runId }),
                          outcome: end.outcome,
                          reason: end.reason,
                        })
                      return end
                    }),
                  { concurrency: runner.concurrency(batch.length) },
                )
                const suspended = ends.find((end) => end?._tag === "Suspended")
                if (suspended !== undefined) return yield* suspend(`${beforeDeadline} (${suspended.reason})`)
                break
              }
            }
          }
        }),
      // Releasing a lease that was taken over does nothing.
      (lease) => Effect.flatMap(Ref.get(lease), eventLog.release).pipe(Effect.ignore),
    )
  })
