/**
 * The {@link FleetClusterRunner} over the library: each cluster rolls through `Rollout.upgradeCluster`
 * (or `resumeRun` for the run this rollout started and left open) in its own environment — the AWS
 * ports of its account and Region, or its simulated world — with the fleet's event log, so every
 * cluster run is an ordinary resumable run beside the fleet's stream. A failure of a cluster's run is
 * an `error` outcome naming it, never a failure of the fleet executor. While a stage bakes, each
 * cluster's policy alarms are read through the CloudWatch port of the same environment.
 */
import { Context, Effect, Layer } from "effect"
import { alarmGateFailures, alarmNameOf, type AwsCallError, type RunEvent } from "@ecs-ami-deploy/domain"
import { EventLog } from "@ecs-ami-deploy/ports"
import {
  type AwsPorts,
  CloudWatch,
  Rollout,
  RunObserver,
  type RunResult,
  silentNotifier,
} from "ecs-ami-deploy"
import { type ClusterRunEnd, ClusterUnreachable, FleetClusterRunner } from "./cluster-runner.ts"
import type { FleetClusterSpec } from "./fleet-file.ts"

export interface LibraryRunnerOptions {
  /** The AWS ports that reach the cluster (its account's role, its Region), or its simulated world. */
  readonly portsOf: (cluster: FleetClusterSpec) => Layer.Layer<AwsPorts, AwsCallError>
  /** How many clusters of a batch roll at the same time. */
  readonly concurrency: (batchSize: number) => number
  /** Told of each event a cluster's run appends (the CLI prints them). */
  readonly onClusterEvent?: (cluster: FleetClusterSpec, event: RunEvent) => Effect.Effect<void>
  /**
   * Called before the cluster is reached at the fleet's time `now` — its run started, its alarms read
   * (the simulator brings the cluster's world to that time).
   */
  readonly atFleetTime?: (cluster: FleetClusterSpec, now: number) => Effect.Effect<void>
  /** Called as a cluster's run ends (the simulator moves the fleet's clock to the world's). */
  readonly afterRun?: (cluster: FleetClusterSpec) => Effect.Effect<void>
}

const describeFailure = (error: unknown): string =>
  error instanceof Error
    ? `${error.name === "Error" ? "" : `${error.name}: `}${error.message}`
    : String(error)

const endOf = (result: RunResult): ClusterRunEnd => {
  switch (result._tag) {
    case "NothingToDo":
      return { _tag: "Ended", outcome: "nothing-to-do", reason: result.reason }
    case "Refused":
      return {
        _tag: "Ended",
        outcome: "refused",
        reason: result.problems.map((problem) => `${problem.problem} (${problem.fix})`).join("; "),
      }
    case "Deferred":
      return { _tag: "Suspended", reason: result.reason }
    case "Finished":
      return { _tag: "Ended", runId: result.runId, outcome: result.outcome, reason: result.reason }
    case "Suspended":
      return { _tag: "Suspended", runId: result.runId, reason: result.reason }
  }
}

/** The runner; it uses the event log of its context (the fleet's). */
export const libraryClusterRunner = (
  options: LibraryRunnerOptions,
): Layer.Layer<FleetClusterRunner, never, EventLog> =>
  Layer.effect(
    FleetClusterRunner,
    Effect.gen(function* () {
      const eventLog = yield* EventLog
      const environmentOf = (cluster: FleetClusterSpec) =>
        Layer.mergeAll(options.portsOf(cluster), Layer.succeed(EventLog, eventLog), silentNotifier)
      // Each cluster's CloudWatch client is built once (its role assumed once, then refreshed by the
      // SDK) and kept for the runner's life, so polling a bake sends only DescribeAlarms requests.
      const scope = yield* Effect.scope
      const cloudWatches = new Map<string, Context.Context<CloudWatch>>()
      const cloudWatchOf = (cluster: FleetClusterSpec) =>
        Effect.gen(function* () {
          const known = cloudWatches.get(cluster.id)
          if (known !== undefined) return known
          const built: Context.Context<CloudWatch> = yield* Layer.buildWithScope(
            options.portsOf(cluster),
            scope,
          )
          cloudWatches.set(cluster.id, built)
          return built
        })
      return FleetClusterRunner.of({
        concurrency: options.concurrency,
        runIds: (cluster) =>
          Rollout.clusterRuns(cluster.clusterName).pipe(
            Effect.map((runs) => runs.map((run) => run.runId)),
            Effect.provide(environmentOf(cluster)),
            Effect.mapError(
              (error) => new ClusterUnreachable({ cluster: cluster.id, reason: describeFailure(error) }),
            ),
          ),
        run: (input) =>
          Effect.gen(function* () {
            const { cluster } = input
            yield* options.atFleetTime?.(cluster, input.requestedAt) ?? Effect.void
            const invocation = {
              cluster: cluster.clusterName,
              holder: input.holder,
              ...(input.deadline === undefined ? {} : { deadline: input.deadline }),
            }
            const end = yield* Effect.gen(function* () {
              const runs = yield* Rollout.clusterRuns(cluster.clusterName)
              const own = runs.find((run) => !input.runsBefore.includes(run.runId))
              if (own !== undefined && own.status !== "open")
                return {
                  _tag: "Ended",
                  runId: own.runId,
                  outcome: own.status,
                  reason: `run ${own.runId} had already ended ${own.status}`,
                } satisfies ClusterRunEnd
              const result =
                own === undefined
                  ? yield* Rollout.upgradeCluster({
                      ...invocation,
                      policy: cluster.policy,
                      ...(cluster.ami === undefined ? {} : { ami: cluster.ami }),
                    })
                  : yield* Rollout.resumeRun(invocation)
              return endOf(result)
            }).pipe(
              Effect.provide(environmentOf(cluster)),
              Effect.provideService(RunObserver, {
                eventAppended: (event) =>
                  Effect.andThen(input.heartbeat, options.onClusterEvent?.(cluster, event) ?? Effect.void),
                decided: () => Effect.void,
              }),
              Effect.catch((error) =>
                Effect.succeed<ClusterRunEnd>({
                  _tag: "Ended",
                  outcome: "error",
                  reason: describeFailure(error),
                }),
              ),
            )
            yield* options.afterRun?.(cluster) ?? Effect.void
            return end
          }),
        alarmFailures: (cluster, now) => {
          const references = cluster.policy.alarms ?? []
          if (references.length === 0) return Effect.succeed([])
          return Effect.gen(function* () {
            yield* options.atFleetTime?.(cluster, now) ?? Effect.void
            const cloudWatch = Context.get(yield* cloudWatchOf(cluster), CloudWatch)
            // The names fit one request: a policy names at most 10 alarms, DescribeAlarms takes 100.
            const states = yield* cloudWatch.describeAlarms(references.map(alarmNameOf))
            return alarmGateFailures(references, states)
          }).pipe(
            Effect.mapError(
              (error) => new ClusterUnreachable({ cluster: cluster.id, reason: describeFailure(error) }),
            ),
          )
        },
      })
    }),
  )
