/**
 * The Lambda's core, independent of where its services come from: decode the trigger, work out which
 * clusters it concerns, and for each one start or resume its rollout through the executor with a
 * deadline taken from the invocation's remaining time minus a safety buffer. A run still open when
 * the invocation stops is handed over to a fresh invocation (see continuation.ts). Another invocation
 * holding a cluster's lock is normal (overlapping triggers, duplicate SNS deliveries): it is logged
 * and the cluster skipped, with no side effect. `makeHandler` turns the core into the Promise-returning
 * function Lambda calls, over whichever layer it is given: AWS in production, the simulator in tests.
 */
import { Cause, Clock, Data, Effect, type Layer, ManagedRuntime } from "effect"
import type { AwsCallError, EventLogCorrupt, EventLogUnavailable, RunEvent } from "@ecs-ami-deploy/domain"
import { clusterRefOf, continueRun, RunObserver, runRollout, type RunResult } from "@ecs-ami-deploy/executor"
import {
  type AutoScaling,
  type CloudWatch,
  type Ec2,
  type Ecs,
  EventLog,
  type Identity,
  type LoadBalancing,
  type Notifier,
  type Ssm,
} from "@ecs-ami-deploy/ports"
import type { Plugins } from "@ecs-ami-deploy/strategies"
import type { LambdaConfig } from "./config.ts"
import { Continuation } from "./continuation.ts"
import { clusterAnnotation, CurrentRunLogContext, emptyRunLogContext, type RunLogContext } from "./logging.ts"
import { decodeTrigger, type Trigger } from "./triggers.ts"

/** Everything the core needs; production and tests provide it differently. */
export type HandlerServices =
  | EventLog
  | Ec2
  | AutoScaling
  | Ecs
  | Ssm
  | CloudWatch
  | LoadBalancing
  | Identity
  | Plugins
  | Notifier
  | Continuation

/** The parts of the Lambda context the handler uses. */
export interface InvocationContext {
  readonly awsRequestId: string
  readonly getRemainingTimeInMillis: () => number
}

/** What happened to one cluster in this invocation. */
export type ClusterReport =
  | {
      readonly clusterName: string
      readonly _tag: "Ran"
      readonly result: RunResult
      readonly handedOver: boolean
    }
  | { readonly clusterName: string; readonly _tag: "Locked"; readonly holder: string }
  | { readonly clusterName: string; readonly _tag: "Errored"; readonly error: string }

export type InvocationReport =
  | { readonly _tag: "Rejected"; readonly problem: string }
  | {
      readonly _tag: "Handled"
      readonly trigger: Trigger["_tag"]
      readonly clusters: ReadonlyArray<ClusterReport>
    }

/**
 * At least one cluster failed with an unexpected error. The invocation fails so that Lambda counts an
 * error (alarmed on) and retries the asynchronous event, which is safe: a retry resumes from the log.
 */
export class InvocationFailed extends Data.TaggedError("InvocationFailed")<{
  readonly failures: ReadonlyArray<{ readonly clusterName: string; readonly error: string }>
}> {
  override get message(): string {
    return this.failures.map((f) => `${f.clusterName}: ${f.error}`).join("; ")
  }
}

/** Keeps the log context's run id and phase current as the executor reports progress. */
const progressInto = (context: RunLogContext) =>
  RunObserver.of({
    eventAppended: (event: RunEvent) =>
      Effect.sync(() => {
        context.runId = event.runId
        if (event._tag === "RunFinished") context.phase = "finished"
      }),
    decided: (_decision, phase) =>
      Effect.sync(() => {
        context.phase = phase
      }),
  })

const describeResult = (result: RunResult): string => {
  switch (result._tag) {
    case "Finished":
      return `run ${result.outcome}: ${result.reason}`
    case "Suspended":
      return `run suspended before the deadline: ${result.reason}`
    case "Deferred":
      return `no step fits before the deadline: ${result.reason}`
    case "NothingToDo":
      return `nothing to do: ${result.reason}`
    case "Refused":
      return `refused to start: ${result.problems.map((p) => `${p.problem} (fix: ${p.fix})`).join("; ")}`
  }
}

/** The run's outcome as a log field of its own: the CloudWatch metric filter on failed runs matches it. */
const outcomeFields = (result: RunResult) =>
  result._tag === "Finished"
    ? { outcome: result.outcome }
    : result._tag === "Refused"
      ? { outcome: "refused" }
      : {}

/** A run suspended at its deadline goes on in a fresh invocation; one waiting at a checkpoint waits for its `continue`. */
const needsHandOver = (result: RunResult): boolean =>
  (result._tag === "Suspended" && result.waitsAtCheckpoint === undefined) || result._tag === "Deferred"

type InvocationError =
  Effect.Error<ReturnType<typeof runRollout>> | Effect.Error<ReturnType<typeof continueRun>>
type InvocationServices =
  Effect.Services<ReturnType<typeof runRollout>> | Effect.Services<ReturnType<typeof continueRun>>

/** One cluster: start or resume (or continue past its checkpoint when `continueBy` is given), report, and hand over if the run is still open. */
const runCluster = (
  config: LambdaConfig,
  clusterName: string,
  hop: number,
  holder: string,
  deadline: number,
  continueBy?: string,
) => {
  const logContext = emptyRunLogContext()
  const invocation: Effect.Effect<RunResult, InvocationError, InvocationServices> =
    continueBy === undefined
      ? runRollout({ clusterName, policy: config.policy, holder, deadline })
      : continueRun({ clusterName, holder, deadline, by: continueBy })
  return invocation.pipe(
    Effect.flatMap((result) =>
      Effect.gen(function* () {
        yield* Effect.logInfo(describeResult(result)).pipe(Effect.annotateLogs(outcomeFields(result)))
        if (!needsHandOver(result)) return { clusterName, _tag: "Ran", result, handedOver: false } as const
        if (hop >= config.maxContinuations) {
          yield* Effect.logError(
            `the run was handed over ${hop} times, the most MAX_CONTINUATIONS allows; it waits for the next resume sweep`,
          )
          return { clusterName, _tag: "Ran", result, handedOver: false } as const
        }
        const handedOver = yield* Continuation.use((continuation) =>
          continuation.handOver(clusterName, hop),
        ).pipe(
          Effect.as(true),
          Effect.catchTag("ContinuationFailed", (failure) =>
            Effect.as(Effect.logError(failure.message), false),
          ),
        )
        return { clusterName, _tag: "Ran", result, handedOver } as const
      }),
    ),
    Effect.catchTag("LockHeld", (held) =>
      Effect.as(Effect.logInfo(`${held.message}; this invocation leaves the cluster to it`), {
        clusterName,
        _tag: "Locked",
        holder: held.holder,
      } as const),
    ),
    Effect.catchCause((cause) =>
      Effect.as(Effect.logError("the rollout stopped on an error", cause), {
        clusterName,
        _tag: "Errored",
        // The full cause (with stacks) is in the log line above; the report and the invocation error keep the messages.
        error: Cause.prettyErrors(cause)
          .map((error) => error.message)
          .join("; "),
      } as const),
    ),
    Effect.provideService(RunObserver, progressInto(logContext)),
    Effect.provideService(CurrentRunLogContext, logContext),
    Effect.annotateLogs(clusterAnnotation, clusterName),
  )
}

/** The configured clusters with an open run: the only ones the resume sweep touches. */
const clustersWithOpenRuns = (clusters: ReadonlyArray<string>) =>
  Effect.filter(clusters, (clusterName) =>
    Effect.flatMap(clusterRefOf(clusterName), (cluster) => EventLog.use((log) => log.runs(cluster))).pipe(
      Effect.map((runs) => runs.some((run) => run.status === "open")),
    ),
  )

/** The clusters a trigger concerns, or why it concerns none this Lambda may touch. */
const clustersOf = (
  config: LambdaConfig,
  trigger: Trigger,
): Effect.Effect<
  ReadonlyArray<string> | string,
  EventLogUnavailable | EventLogCorrupt | AwsCallError,
  EventLog | Identity
> => {
  switch (trigger._tag) {
    case "Continue":
    case "ContinueAtCheckpoint":
      return Effect.succeed(
        config.clusters.includes(trigger.clusterName)
          ? [trigger.clusterName]
          : `continue event for cluster ${trigger.clusterName}, which is not in CLUSTERS (${config.clusters.join(", ")})`,
      )
    case "ResumeOpenRuns":
      return clustersWithOpenRuns(config.clusters)
    case "Schedule":
    case "AmiAnnouncement":
      return Effect.succeed(config.clusters)
  }
}

/** Runs a decoded trigger: every cluster it concerns, concurrently. */
const handleTrigger = (config: LambdaConfig, trigger: Trigger, context: InvocationContext) =>
  Effect.gen(function* () {
    const clusters = yield* clustersOf(config, trigger).pipe(
      Effect.tapCause((cause) => Effect.logError("could not read the event log to find open runs", cause)),
      // None of the clusters could be checked: a failed invocation, which Lambda retries and the alarm reports.
      Effect.mapError(
        (error) =>
          new InvocationFailed({
            failures: config.clusters.map((clusterName) => ({ clusterName, error: error.message })),
          }),
      ),
    )
    if (typeof clusters === "string") {
      yield* Effect.logError(`event rejected, nothing done: ${clusters}`)
      return { _tag: "Rejected", problem: clusters } as const
    }
    const now = yield* Clock.currentTimeMillis
    const deadline = now + context.getRemainingTimeInMillis() - config.deadlineBufferMs
    const hop = trigger._tag === "Continue" ? trigger.hop : 0
    yield* Effect.logInfo(`${trigger._tag} trigger for ${clusters.join(", ")}`).pipe(
      Effect.annotateLogs(
        trigger._tag === "AmiAnnouncement" ? { releaseVersions: trigger.releaseVersions } : {},
      ),
    )
    // Clusters are independent (one lock each), so they share the invocation's time rather than queue for it.
    const reports = yield* Effect.forEach(
      clusters,
      (clusterName) =>
        runCluster(
          config,
          clusterName,
          hop,
          `lambda:${context.awsRequestId}`,
          deadline,
          trigger._tag === "ContinueAtCheckpoint" ? trigger.by : undefined,
        ),
      { concurrency: "unbounded" },
    )
    const failures = reports.flatMap((report) =>
      report._tag === "Errored" ? [{ clusterName: report.clusterName, error: report.error }] : [],
    )
    if (failures.length > 0) return yield* new InvocationFailed({ failures })
    return { _tag: "Handled", trigger: trigger._tag, clusters: reports } as const
  })

/** Decodes an invocation event and hands the trigger to `handle`; an event that is no trigger is logged and reported as rejected, never retried. */
export const onTrigger = <A, E, R>(event: unknown, handle: (trigger: Trigger) => Effect.Effect<A, E, R>) =>
  decodeTrigger(event).pipe(
    Effect.matchEffect({
      onFailure: (rejected) =>
        Effect.as(Effect.logError(rejected.message), {
          _tag: "Rejected",
          problem: rejected.problem,
        } as const),
      onSuccess: handle,
    }),
  )

/** Handles one invocation event: a rejected event is logged and reported, never retried; an unexpected cluster error fails the invocation. */
export const handleEvent = (
  config: LambdaConfig,
  event: unknown,
  context: InvocationContext,
): Effect.Effect<InvocationReport, InvocationFailed, HandlerServices> =>
  onTrigger(event, (trigger) => handleTrigger(config, trigger, context)).pipe(
    Effect.annotateLogs({ requestId: context.awsRequestId }),
  )

/**
 * The function Lambda calls, over `layer` (built once per container and reused by warm invocations).
 * A failed invocation rejects with the InvocationFailed error, which Lambda records and retries.
 */
export const makeHandler = <E>(config: LambdaConfig, layer: Layer.Layer<HandlerServices, E>) => {
  const runtime = ManagedRuntime.make(layer)
  return (event: unknown, context: InvocationContext): Promise<InvocationReport> =>
    runtime.runPromise(handleEvent(config, event, context))
}
