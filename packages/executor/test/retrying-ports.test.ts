/**
 * Launch-spec plugin operations under throttling: each AWS call is retried on its own, so the calls
 * before a throttled one are not repeated.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Ec2 } from "@ecs-ami-deploy/ports"
import { retryTransient } from "../src/retry.ts"
import { withRetryingPorts } from "../src/retrying-ports.ts"
import { fakePorts, throttled, type CallLog } from "./fakes.ts"

describe("withRetryingPorts", () => {
  it.effect(
    "given a plugin operation whose second call is throttled twice, when run with retrying ports, then only that call is repeated and the operation succeeds",
    () =>
      Effect.gen(function* () {
        const log: CallLog = { calls: [] }
        let instanceReads = 0
        let versionReads = 0
        // Reads instances, then template versions: the shape of a launch-spec plugin's several calls.
        const operation = Effect.gen(function* () {
          const ec2 = yield* Ec2
          yield* ec2.describeInstances(["i-1"])
          return yield* ec2.describeLaunchTemplateVersions("lt-1")
        })
        const ports = fakePorts(log, {
          ec2: {
            describeInstances: () =>
              Effect.sync(() => {
                instanceReads += 1
                return []
              }),
            describeLaunchTemplateVersions: () =>
              Effect.suspend(() => {
                versionReads += 1
                return versionReads <= 2
                  ? Effect.fail(throttled("ec2:DescribeLaunchTemplateVersions"))
                  : Effect.succeed([])
              }),
          },
        })
        const fiber = yield* Effect.forkChild(
          withRetryingPorts(retryTransient(60_000))(operation).pipe(Effect.provide(ports)),
        )
        yield* TestClock.adjust("1 minute")
        assert.deepStrictEqual(yield* Fiber.join(fiber), [])
        assert.strictEqual(instanceReads, 1)
        assert.strictEqual(versionReads, 3)
      }),
  )
})
