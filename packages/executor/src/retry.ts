/**
 * Retries of AWS calls. Throttling, server errors and contention (`AwsCallError.retryable`) clear up
 * by themselves, so they are retried with jittered exponential backoff; every other error fails at
 * once. Retrying is bounded twice: by a number of retries, and by the budget of the step the call
 * serves — no retry starts whose delay could carry the step past its budget, which is what lets the
 * run loop promise that a command it starts finishes before the deadline.
 */
import { Clock, Duration, Effect, Schedule } from "effect"
import type { Retryability } from "@ecs-ami-deploy/domain"
import { isLeaseLost } from "./lease.ts"

const BASE_BACKOFF_MS = 250
/** The longest pause between two attempts. */
export const MAX_BACKOFF_MS = 10_000
const MAX_RETRIES = 10
/** `Schedule.jittered` scales each delay by a factor in [0.8, 1.2]. */
const JITTER_CEILING = 1.2

/** 250 ms, 500 ms, 1 s … capped at 10 s, each ±20%, at most 10 retries. */
export const transientBackoff = Schedule.exponential(Duration.millis(BASE_BACKOFF_MS), 2).pipe(
  Schedule.modifyDelay(({ duration }) =>
    Effect.succeed(Duration.min(duration, Duration.millis(MAX_BACKOFF_MS))),
  ),
  Schedule.jittered,
  Schedule.upTo({ times: MAX_RETRIES }),
)

/** The longest delay `transientBackoff` can wait before retry number `retry` (0-based). */
export const backoffCeiling = (retry: number): number =>
  Math.min(BASE_BACKOFF_MS * 2 ** retry, MAX_BACKOFF_MS) * JITTER_CEILING

/** Whether trying again can help; a lost lease never is retried: the executor must stop acting at once. */
export const isRetryable = (error: Retryability): boolean => error.retryable && !isLeaseLost(error)

/**
 * Retries `call` on retryable AWS errors as long as the next backoff ends before `budgetEnd` (epoch
 * ms on the Clock). Any other error is returned as it is.
 */
export const retryTransient =
  (budgetEnd: number) =>
  <A, E extends Retryability, R>(call: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.suspend(() => {
      let retries = 0
      return call.pipe(
        Effect.retry({
          schedule: transientBackoff,
          while: (error: E) => {
            const ceiling = backoffCeiling(retries)
            retries += 1
            return isRetryable(error)
              ? Effect.map(Clock.currentTimeMillis, (now) => now + ceiling <= budgetEnd)
              : Effect.succeed(false)
          },
        }),
      )
    })
