/**
 * How plugins report what went wrong in a port call. An AWS failure keeps its kind (so `access-denied`
 * or `throttled` still reaches the executor's retry and reporting logic unchanged) but gains a sentence
 * saying what the plugin was doing; a `not-found` on a resource the user named becomes the plugin's
 * own tagged error, with the problem and the fix spelled out.
 */
import { Effect } from "effect"
import { AwsCallError } from "@ecs-ami-deploy/domain"

/** Prefixes the message of any `AwsCallError` with what the plugin was doing, keeping its kind and code. */
export const inContext =
  (context: string) =>
  <A, E, R>(effect: Effect.Effect<A, E | AwsCallError, R>): Effect.Effect<A, E | AwsCallError, R> =>
    Effect.mapError(effect, (error) =>
      error instanceof AwsCallError
        ? new AwsCallError({
            operation: error.operation,
            kind: error.kind,
            code: error.code,
            message: `${context}: ${error.message}`,
          })
        : error,
    )

/** Turns a `not-found` from the port into the plugin's own error; every other failure passes through. */
export const whenNotFound =
  <E2>(explain: (error: AwsCallError) => E2) =>
  <A, E, R>(effect: Effect.Effect<A, E | AwsCallError, R>): Effect.Effect<A, E | E2 | AwsCallError, R> =>
    Effect.catchIf(
      effect,
      (error): error is AwsCallError => error instanceof AwsCallError && error.kind === "not-found",
      (error) => Effect.fail(explain(error)),
    )
