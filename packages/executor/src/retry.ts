/**
 * Retries of AWS calls. Throttling, server errors and contention (`AwsCallError.retryable`) clear up
 * by themselves, so they are retried with jittered exponential backoff; every other error fails at
 * once. Retrying is bounded twice: by a number of attempts, and by the budget of the step the call
 * serves — no retry starts whose delay would carry the step past its budget, which is what lets the
 * run loop promise that a command it starts finishes before the deadline.
 */
import { Clock, Duration, Effect, Schedule } from "effect"
import type { AwsCallError } from "@ecs-ami-deploy/domain"

/** The longest pause between two attempts. */
export const MAX_BACKOFF_MS = 10_000

/** 250 ms, 500 ms, 1 s … capped at 10 s, each ±20%, at most 10 retries. */
export const transientBackoff = Schedule.exponential("250 millis", 2).pipe(
  Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.millis(MAX_BACKOFF_MS)))),
  Schedule.jittered,
  Schedule.upTo({ times: 10 }),
)

const isRetryable = (error: unknown): boolean =>
  typeof error === "object" &&
  error !== null &&
  (error as { _tag?: unknown })._tag === "AwsCallError" &&
  (error as AwsCallError).retryable

/**
 * Retries `call` on retryable AWS errors while a worst-case backoff still ends before `budgetEnd`
 * (epoch ms on the Clock). Any other error is returned as it is.
 */
export const retryTransient =
  (budgetEnd: number) =>
  <A, E, R>(call: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    call.pipe(
      Effect.retry({
        schedule: transientBackoff,
        while: (error: E) =>
          isRetryable(error)
            ? Effect.map(Clock.currentTimeMillis, (now) => now + MAX_BACKOFF_MS * 1.2 <= budgetEnd)
            : Effect.succeed(false),
      }),
    )
