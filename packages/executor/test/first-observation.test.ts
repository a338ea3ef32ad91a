/**
 * The observation a run starts from tolerates a throttling storm as the loop's later observations
 * do: a bounded number of retryable failures, a poll interval apart, before the invocation gives up.
 */
import { describe, expect, it } from "vitest"
import { Clock, Effect, Exit, Layer } from "effect"
import { defaultPolicy } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { AutoScaling } from "@ecs-ami-deploy/ports"
import { runRollout } from "../src/index.ts"
import { throttled } from "./fakes.ts"
import { makeWorld, testSettings, type World } from "./harness.ts"

const policy = { ...defaultPolicy, unsafeServices: "proceed" as const, pollIntervalMs: 30_000 }

/** Auto Scaling whose DescribeAutoScalingGroups is throttled until `until` (epoch ms on the simulated clock). */
const throttledGroupsUntil = (until: number) =>
  Layer.effect(
    AutoScaling,
    Effect.gen(function* () {
      const inner = yield* AutoScaling
      return AutoScaling.of({
        ...inner,
        describeGroups: (names) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            now < until
              ? Effect.fail(throttled("autoscaling:DescribeAutoScalingGroups"))
              : inner.describeGroups(names),
          ),
      })
    }),
  )

const rolloutThrottledFor = (world: World, stormMs: number) =>
  world.run(
    runRollout({ clusterName: world.clusterName, policy, holder: "test", settings: testSettings }).pipe(
      Effect.provide(throttledGroupsUntil(world.simulation.now() + stormMs)),
    ),
    makeMemoryEventLog(emptyMemoryStorage()),
  )

describe("the first observation of a run", () => {
  it("given Auto Scaling throttled for longer than one observation's retries, when a run starts, then it observes again after a poll interval and completes", async () => {
    const world = makeWorld("small")
    // Three poll intervals: each observation's own retries give up within one step budget (20 s).
    const exit = await rolloutThrottledFor(world, 3 * policy.pollIntervalMs)
    expect(Exit.isSuccess(exit) ? exit.value : exit).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
  })

  it("given Auto Scaling throttled for good, when a run starts, then the invocation gives up with the throttling error and starts no run", async () => {
    const world = makeWorld("small")
    const exit = await rolloutThrottledFor(world, 24 * 3_600_000)
    expect(Exit.isFailure(exit) ? exit.cause.reasons[0] : exit).toMatchObject({
      _tag: "Fail",
      error: { _tag: "AwsCallError", kind: "throttled" },
    })
    expect(world.simulation.callLog.filter((call) => call.mutating)).toEqual([])
  })
})
