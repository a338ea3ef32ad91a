/**
 * The Promise API for plain TypeScript and JavaScript: each function runs the Effect API's operation
 * of the same name with an Effect runtime, in the environment its second argument describes. There is
 * no second implementation: a Promise call and an Effect call drive the same executor.
 *
 * Cancellation: aborting the `signal` interrupts the run. The executor stops where it is, the stop is
 * recorded as `RunSuspended` (see the Effect API's interruption), the cluster's lock is released, and
 * the run stays open in the log, so `resumeRun` continues it later. The Promise then rejects with the
 * signal's reason (an `AbortError` unless the caller gave another).
 *
 * Progress: `onEvent` hears every event once it is durably in the log, `onDecision` every decision the
 * planner makes. A callback that throws stops the run as an abort does (recorded as suspended, the run
 * stays resumable) and the Promise rejects with what it threw.
 */
import { Cause, Effect, Exit, Layer, Result, Schema } from "effect"
import type { Decision, Phase, RunEvent } from "@ecs-ami-deploy/domain"
import { RunObserver } from "@ecs-ami-deploy/executor"
import { type EnvironmentChoice, rolloutEnvironment, type RolloutEnvironment } from "./environment.ts"
import type { InvalidOptions } from "./errors.ts"
import {
  checkOptions,
  type ContinueOptions,
  type LatestAmiOptions,
  type PlanOptions,
  type ResumeOptions,
  type RollbackOptions,
  type StatusOptions,
  type UpgradeOptions,
} from "./options.ts"
import * as Rollout from "./rollout.ts"

/** Where and how a Promise call runs: the environment, plus cancellation and progress callbacks. */
export interface CallOptions extends EnvironmentChoice {
  /** Aborting it stops the run cleanly; the run stays resumable. */
  readonly signal?: AbortSignal
  /** Called with each run event after it is durably appended to the event log. */
  readonly onEvent?: (event: RunEvent) => void
  /** Called with each decision of the planner, before the executor acts on it. */
  readonly onDecision?: (decision: Decision, phase: Phase) => void
}

const isFunction = (value: unknown): value is (...args: ReadonlyArray<never>) => void =>
  typeof value === "function"

const AnyLayer = Schema.declare((value: unknown): value is Layer.Layer<never> => Layer.isLayer(value), {
  expected: "a layer, e.g. awsPorts({ region }), simulatedPorts(simulation) or memoryEventLog()",
})
const Callback = Schema.declare(isFunction, { expected: "a function" })

/** `CallOptions` as a schema, so that plain JavaScript callers get named problems (a typo such as `eventlog` must not fall back to the default log). */
const CallOptionsSchema = Schema.Struct({
  ports: AnyLayer,
  eventLog: Schema.optionalKey(Schema.Union([Schema.String, AnyLayer])),
  notifier: Schema.optionalKey(AnyLayer),
  signal: Schema.optionalKey(Schema.instanceOf(AbortSignal)),
  onEvent: Schema.optionalKey(Callback),
  onDecision: Schema.optionalKey(Callback),
})

const observerLayer = (options: CallOptions): Layer.Layer<never> =>
  Layer.succeed(RunObserver, {
    eventAppended: (event) => Effect.sync(() => options.onEvent?.(event)),
    decided: (decision, phase) => Effect.sync(() => options.onDecision?.(decision, phase)),
  })

/** Runs an Effect API operation as a Promise: its success resolves, its typed error (or the abort reason) rejects. */
const run = async <A, E>(
  operation: string,
  effect: Effect.Effect<A, E, RolloutEnvironment>,
  options: CallOptions,
): Promise<A> => {
  const checked = checkOptions(`${operation} (call options)`, CallOptionsSchema)(options)
  if (Result.isFailure(checked)) throw checked.failure
  const provided = effect.pipe(
    Effect.provide(Layer.merge(rolloutEnvironment(options), observerLayer(options))),
  )
  const exit = await Effect.runPromiseExit<A, E | InvalidOptions>(
    provided,
    options.signal === undefined ? {} : { signal: options.signal },
  )
  if (Exit.isSuccess(exit)) return exit.value
  if (options.signal?.aborted === true && Cause.hasInterruptsOnly(exit.cause)) throw options.signal.reason
  throw Cause.squash(exit.cause)
}

/** Promise form of the Effect API's `upgradeCluster`: start or resume a rollout and drive it to its end. */
export const upgradeCluster = (options: UpgradeOptions, callOptions: CallOptions) =>
  run("upgradeCluster", Rollout.upgradeCluster(options), callOptions)

/** Promise form of `planUpgrade`: what a rollout starting now would do, or why it would refuse. */
export const planUpgrade = (options: PlanOptions, callOptions: CallOptions) =>
  run("planUpgrade", Rollout.planUpgrade(options), callOptions)

/** Promise form of `latestAmi`: the image the AMI source names now. */
export const latestAmi = (options: LatestAmiOptions, callOptions: CallOptions) =>
  run("latestAmi", Rollout.latestAmi(options), callOptions)

/** Promise form of `listClusters`: the ECS clusters the environment can see. */
export const listClusters = (callOptions: CallOptions) =>
  run("listClusters", Rollout.listClusters(), callOptions)

/** Promise form of `resumeRun`: continue the cluster's open run. */
export const resumeRun = (options: ResumeOptions, callOptions: CallOptions) =>
  run("resumeRun", Rollout.resumeRun(options), callOptions)

/** Promise form of `rollbackRun`: roll the cluster's open run back. */
export const rollbackRun = (options: RollbackOptions, callOptions: CallOptions) =>
  run("rollbackRun", Rollout.rollbackRun(options), callOptions)

/** Promise form of `continueRun`: continue the cluster's run past the checkpoint it pauses at. */
export const continueRun = (options: ContinueOptions, callOptions: CallOptions) =>
  run("continueRun", Rollout.continueRun(options), callOptions)

/** Promise form of `callerIdentity`: the account, caller ARN and Region the AWS ports act in. */
export const callerIdentity = (callOptions: CallOptions) =>
  run("callerIdentity", Rollout.callerIdentity(), callOptions)

/** Promise form of `clusterRuns`: the cluster's runs in that account and Region, newest first. */
export const clusterRuns = (cluster: string, callOptions: CallOptions) =>
  run("clusterRuns", Rollout.clusterRuns(cluster), callOptions)

/** Promise form of `runStatus`: the cluster's open (else newest) run and its progress. */
export const runStatus = (options: StatusOptions, callOptions: CallOptions) =>
  run("runStatus", Rollout.runStatus(options), callOptions)
