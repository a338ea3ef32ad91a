/**
 * The Lambda of a fleet deployment (`FLEET` set): the schedule and the AMI announcements start the
 * fleet's rollout, or continue its open one; the resume sweep continues an open one and starts none.
 * Each invocation works until its deadline (the remaining time minus the safety buffer) and leaves the
 * rollout suspended in the DynamoDB event log — the fleet's stream beside its clusters' ordinary runs —
 * for the next sweep to resume; there is no hand-over by self-invocation for fleets. Another invocation
 * holding the fleet's lock is normal (overlapping triggers): logged, nothing done.
 */
import { Clock, Data, Effect, type Layer, ManagedRuntime } from "effect"
import type { EventLog, FleetRolloutLog } from "@ecs-ami-deploy/ports"
import {
  describeFleetEvent,
  type FleetClusterRunner,
  type FleetDefinition,
  type FleetRolloutResult,
  runFleetRollout,
} from "@ecs-ami-deploy/multi-cluster"
import type { LambdaConfig } from "./config.ts"
import { type InvocationContext, onTrigger } from "./handler.ts"
import type { Trigger } from "./triggers.ts"

/** What a fleet deployment's handler needs. */
export type FleetHandlerServices = EventLog | FleetRolloutLog | FleetClusterRunner

export type FleetInvocationReport =
  | { readonly _tag: "Rejected"; readonly problem: string }
  | { readonly _tag: "FleetLocked"; readonly holder: string }
  | { readonly _tag: "Fleet"; readonly trigger: Trigger["_tag"]; readonly result: FleetRolloutResult }

/** The fleet's rollout could not be carried out (the event log failed, the fleet file changed): Lambda counts and retries it. */
export class FleetInvocationFailed extends Data.TaggedError("FleetInvocationFailed")<{
  readonly error: string
}> {
  override get message(): string {
    return this.error
  }
}

const handleFleetTrigger = (
  config: LambdaConfig,
  fleet: FleetDefinition,
  trigger: Trigger,
  context: InvocationContext,
) =>
  Effect.gen(function* () {
    if (trigger._tag === "Continue")
      return {
        _tag: "Rejected",
        problem: `continue event for cluster ${trigger.clusterName}: this function rolls fleet ${fleet.fleetName}, which the resume sweep continues`,
      } as const
    const deadline =
      (yield* Clock.currentTimeMillis) + context.getRemainingTimeInMillis() - config.deadlineBufferMs
    const result = yield* runFleetRollout({
      definition: fleet,
      holder: `lambda:${context.awsRequestId}`,
      deadline,
      startIfNone: trigger._tag !== "ResumeOpenRuns",
      onEvent: (event) => Effect.logInfo(describeFleetEvent(event)),
    })
    yield* Effect.logInfo(
      result._tag === "Finished"
        ? `fleet rollout ${result.outcome}: ${result.reason}`
        : result._tag === "Suspended"
          ? `fleet rollout suspended: ${result.reason}; the resume sweep continues it`
          : `fleet ${fleet.fleetName} has no open rollout`,
    ).pipe(Effect.annotateLogs(result._tag === "Finished" ? { fleetOutcome: result.outcome } : {}))
    return { _tag: "Fleet", trigger: trigger._tag, result } as const
  })

/** Handles one invocation event of a fleet deployment. */
export const handleFleetEvent = (
  config: LambdaConfig,
  fleet: FleetDefinition,
  event: unknown,
  context: InvocationContext,
): Effect.Effect<FleetInvocationReport, FleetInvocationFailed, FleetHandlerServices> =>
  onTrigger(event, (trigger) =>
    handleFleetTrigger(config, fleet, trigger, context).pipe(
      Effect.catchTag("LockHeld", (held) =>
        Effect.as(Effect.logInfo(`${held.message}; this invocation leaves the fleet to it`), {
          _tag: "FleetLocked",
          holder: held.holder,
        } as const),
      ),
      Effect.mapError((error) => new FleetInvocationFailed({ error: error.message })),
    ),
  ).pipe(Effect.annotateLogs({ requestId: context.awsRequestId, fleet: fleet.fleetName }))

/** The function Lambda calls for a fleet deployment, over `layer` (built once per container). */
export const makeFleetHandler = <E>(
  config: LambdaConfig,
  fleet: FleetDefinition,
  layer: Layer.Layer<FleetHandlerServices, E>,
) => {
  const runtime = ManagedRuntime.make(layer)
  return (event: unknown, context: InvocationContext): Promise<FleetInvocationReport> =>
    runtime.runPromise(handleFleetEvent(config, fleet, event, context))
}
