import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { AwsCallError, EventLogUnavailable, type Retryability } from "@ecs-ami-deploy/domain"
import { MAX_BACKOFF_MS, retryTransient } from "../src/retry.ts"
import { throttled } from "./fakes.ts"

/** A call that fails with `errors` in order, then succeeds; counts its attempts. */
const flaky = <E extends Retryability>(errors: ReadonlyArray<E>) => {
  let attempts = 0
  const call = Effect.suspend(() => {
    const error = errors[attempts]
    attempts += 1
    return error === undefined ? Effect.succeed("done") : Effect.fail(error)
  })
  return { call, attempts: () => attempts }
}

describe("retryTransient", () => {
  it.effect(
    "given a lease that could not be renewed for a transient storage fault, when a call's attempt fails with it, then it is not retried: the executor stops acting",
    () =>
      Effect.gen(function* () {
        const unavailable = new EventLogUnavailable({
          location: "dynamodb://runs",
          problem: "throttled",
          retryable: true,
        })
        const { call, attempts } = flaky([unavailable])
        const error = yield* Effect.flip(retryTransient(60_000)(call))
        assert.strictEqual(error, unavailable)
        assert.strictEqual(attempts(), 1)
      }),
  )

  it.effect("given a throttled call, when retried within budget, then it succeeds after backing off", () =>
    Effect.gen(function* () {
      const { call, attempts } = flaky([throttled("ec2:CreateTags"), throttled("ec2:CreateTags")])
      const fiber = yield* Effect.forkChild(retryTransient(60_000)(call))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Fiber.join(fiber), "done")
      assert.strictEqual(attempts(), 3)
    }),
  )

  it.effect("given a terminal error, when called, then it fails at once without retrying", () =>
    Effect.gen(function* () {
      const denied = new AwsCallError({
        operation: "ec2:TerminateInstances",
        kind: "access-denied",
        code: "UnauthorizedOperation",
        message: "no",
      })
      const { call, attempts } = flaky([denied])
      const error = yield* Effect.flip(retryTransient(60_000)(call))
      assert.strictEqual(error, denied)
      assert.strictEqual(attempts(), 1)
    }),
  )

  it.effect(
    "given a call that is always throttled, when its budget runs out, then it stops retrying before the budget end",
    () =>
      Effect.gen(function* () {
        const budgetEnd = 30_000
        const { call, attempts } = flaky(Array.from({ length: 100 }, () => throttled("ecs:DescribeServices")))
        const failWithTime = Effect.flip(retryTransient(budgetEnd)(call)).pipe(
          Effect.flatMap((error) => Effect.map(Clock.currentTimeMillis, (failedAt) => ({ error, failedAt }))),
        )
        const fiber = yield* Effect.forkChild(failWithTime)
        yield* TestClock.adjust("10 minutes")
        const { error, failedAt } = yield* Fiber.join(fiber)
        assert.strictEqual(error.kind, "throttled")
        assert.isTrue(attempts() > 1)
        // It gave up before the budget end, and not earlier than one longest backoff before it.
        assert.isTrue(failedAt <= budgetEnd)
        assert.isTrue(failedAt >= budgetEnd - MAX_BACKOFF_MS * 1.2)
      }),
  )
})
