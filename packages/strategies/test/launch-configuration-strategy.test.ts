import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import type { LaunchSpec } from "@ecs-ami-deploy/domain"
import type { LaunchConfiguration } from "@ecs-ami-deploy/ports"
import { LaunchSpecError } from "../src/contracts.ts"
import {
  launchConfigurationStrategy,
  launchConfigurationTimestamp,
} from "../src/launch-configuration-strategy.ts"
import { awsError, emptyWorld, groupIn, groupWith, stubPorts, type StubWorld } from "./ports-stub.ts"

const targetImage = "ami-0ffffffffffffffff"
const oldImage = "ami-0000000000000000a"
const key = "run-1/update-launch-spec-legacy"
const runTime = Date.UTC(2026, 10, 26, 5, 15, 2, 345)

const configuration = (name: string, imageId: string, createdAt: number): LaunchConfiguration => ({
  name,
  imageId,
  instanceType: "m5.large",
  createdAt,
})
const configurationSpec = (launchConfigurationName: string): LaunchSpec => ({
  _tag: "LaunchConfiguration",
  launchConfigurationName,
})

const arrangeWorld = (): StubWorld => {
  const world = emptyWorld()
  world.configurations.set("legacy-asg-base", configuration("legacy-asg-base", oldImage, 1))
  world.groups.set("legacy-asg", groupWith("legacy-asg", configurationSpec("legacy-asg-base")))
  return world
}
const legacyGroup = (world: StubWorld) => groupIn(world, "legacy-asg")

describe("launch-configuration strategy", () => {
  it("formats the time as UTC yyyymmddThhmmss", () => {
    assert.strictEqual(launchConfigurationTimestamp(runTime), "20261126T051502")
  })

  it.effect("resolves the configuration's image", () =>
    launchConfigurationStrategy()
      .resolveImageId(legacyGroup(arrangeWorld()))
      .pipe(
        Effect.map((image) => assert.deepStrictEqual(image, { imageId: oldImage })),
        Effect.provide(stubPorts(arrangeWorld())),
      ),
  )

  it.effect(
    "copies the configuration under <group name>-<Clock time> with the new image and switches the group to it",
    () => {
      const world = arrangeWorld()
      const expectedName = `legacy-asg-${launchConfigurationTimestamp(runTime)}`
      return Effect.gen(function* () {
        yield* TestClock.setTime(runTime)
        const result = yield* launchConfigurationStrategy().apply({
          group: legacyGroup(world),
          imageId: targetImage,
          idempotencyKey: key,
        })
        assert.deepStrictEqual(result, {
          before: configurationSpec("legacy-asg-base"),
          after: configurationSpec(expectedName),
        })
        assert.strictEqual(world.configurations.get(expectedName)?.imageId, targetImage)
        assert.deepStrictEqual(legacyGroup(world).launchSpec, configurationSpec(expectedName))
      }).pipe(Effect.provide(stubPorts(world)))
    },
  )

  it.effect("uses a configured name prefix", () => {
    const world = arrangeWorld()
    return Effect.gen(function* () {
      yield* TestClock.setTime(runTime)
      const { after } = yield* launchConfigurationStrategy({ namePrefix: "ecs-prod" }).apply({
        group: legacyGroup(world),
        imageId: targetImage,
        idempotencyKey: key,
      })
      assert.deepStrictEqual(after, configurationSpec(`ecs-prod-${launchConfigurationTimestamp(runTime)}`))
    }).pipe(Effect.provide(stubPorts(world)))
  })

  it.effect(
    "given a first attempt that died after the copy, a later retry reuses the copy instead of making another",
    () => {
      const world = arrangeWorld()
      const strategy = launchConfigurationStrategy()
      return Effect.gen(function* () {
        yield* TestClock.setTime(runTime)
        world.failures.set("updateGroup", awsError("autoscaling:UpdateAutoScalingGroup", "transient"))
        yield* Effect.flip(
          strategy.apply({ group: legacyGroup(world), imageId: targetImage, idempotencyKey: key }),
        )
        world.failures.clear()
        yield* TestClock.adjust("3 minutes")
        const { after } = yield* strategy.apply({
          group: legacyGroup(world),
          imageId: targetImage,
          idempotencyKey: key,
        })
        assert.deepStrictEqual(
          after,
          configurationSpec(`legacy-asg-${launchConfigurationTimestamp(runTime)}`),
        )
        assert.strictEqual(world.calls.filter((call) => call.startsWith("copyLaunchConfiguration")).length, 1)
      }).pipe(Effect.provide(stubPorts(world)))
    },
  )

  it.effect("given a group already on the target image, changes nothing", () => {
    const world = arrangeWorld()
    return launchConfigurationStrategy()
      .apply({ group: legacyGroup(world), imageId: oldImage, idempotencyKey: key })
      .pipe(
        Effect.map((result) => {
          assert.deepStrictEqual(result, {
            before: configurationSpec("legacy-asg-base"),
            after: configurationSpec("legacy-asg-base"),
          })
          assert.deepStrictEqual(world.calls, [])
        }),
        Effect.provide(stubPorts(world)),
      )
  })

  it.effect("restore switches the group back to the recorded configuration", () => {
    const world = arrangeWorld()
    const strategy = launchConfigurationStrategy()
    return Effect.gen(function* () {
      const { before } = yield* strategy.apply({
        group: legacyGroup(world),
        imageId: targetImage,
        idempotencyKey: key,
      })
      yield* strategy.restore({ group: legacyGroup(world), launchSpec: before })
      assert.deepStrictEqual(legacyGroup(world).launchSpec, before)
      assert.strictEqual((yield* strategy.resolveImageId(legacyGroup(world))).imageId, oldImage)
    }).pipe(Effect.provide(stubPorts(world)))
  })

  it.effect("cleanup keeps the newest N generated under the prefix and never one any group uses", () => {
    const world = arrangeWorld()
    const names = [
      "20260101T000000",
      "20260201T000000",
      "20260301T000000",
      "20260401T000000",
      "20260501T000000",
    ].map((time) => `legacy-asg-${time}`)
    names.forEach((name, index) => world.configurations.set(name, configuration(name, oldImage, 10 + index)))
    world.configurations.set(
      "other-asg-20260101T000000",
      configuration("other-asg-20260101T000000", oldImage, 2),
    )
    world.groups.set("legacy-asg", groupWith("legacy-asg", configurationSpec("legacy-asg-20260501T000000")))
    world.groups.set("twin-asg", groupWith("twin-asg", configurationSpec("legacy-asg-20260101T000000")))
    return launchConfigurationStrategy()
      .cleanup({ group: legacyGroup(world), keep: 2 })
      .pipe(
        Effect.map(({ deleted }) => {
          // The two newest (May, April) stay; January is used by twin-asg; February and March go.
          assert.deepStrictEqual(deleted, ["legacy-asg-20260301T000000", "legacy-asg-20260201T000000"])
          assert.isTrue(world.configurations.has("other-asg-20260101T000000"))
          assert.isTrue(world.configurations.has("legacy-asg-base"))
        }),
        Effect.provide(stubPorts(world)),
      )
  })

  describe("errors leave everything as it was", () => {
    it.effect("given an unknown configuration, a LaunchSpecError naming it", () => {
      const world = emptyWorld()
      const group = groupWith("legacy-asg", configurationSpec("gone"))
      world.groups.set(group.name, group)
      return launchConfigurationStrategy()
        .apply({ group, imageId: targetImage, idempotencyKey: key })
        .pipe(
          Effect.flip,
          Effect.map((error) => {
            assert.instanceOf(error, LaunchSpecError)
            assert.include(error.message, "launch configuration gone does not exist")
            assert.deepStrictEqual(world.calls, [])
          }),
          Effect.provide(stubPorts(world)),
        )
    })

    it.effect(
      "given access denied on the copy, the AwsCallError passes through and the group is untouched",
      () => {
        const world = arrangeWorld()
        world.failures.set(
          "copyLaunchConfiguration",
          awsError("autoscaling:CreateLaunchConfiguration", "access-denied", "AccessDenied"),
        )
        return launchConfigurationStrategy()
          .apply({ group: legacyGroup(world), imageId: targetImage, idempotencyKey: key })
          .pipe(
            Effect.flip,
            Effect.map((error) => {
              assert.strictEqual(error._tag, "AwsCallError")
              assert.include(error.message, "copying launch configuration legacy-asg-base")
              assert.deepStrictEqual(legacyGroup(world).launchSpec, configurationSpec("legacy-asg-base"))
            }),
            Effect.provide(stubPorts(world)),
          )
      },
    )

    it.effect("given a negative keep, cleanup refuses with a LaunchSpecError", () => {
      const world = arrangeWorld()
      return launchConfigurationStrategy()
        .cleanup({ group: legacyGroup(world), keep: -1 })
        .pipe(
          Effect.flip,
          Effect.map((error) => {
            assert.instanceOf(error, LaunchSpecError)
            assert.deepStrictEqual(world.calls, [])
          }),
          Effect.provide(stubPorts(world)),
        )
    })

    it.effect(
      "given a recorded configuration deleted since, restore fails without touching the group",
      () => {
        const world = arrangeWorld()
        return launchConfigurationStrategy()
          .restore({ group: legacyGroup(world), launchSpec: configurationSpec("legacy-asg-gone") })
          .pipe(
            Effect.flip,
            Effect.map((error) => {
              assert.instanceOf(error, LaunchSpecError)
              assert.deepStrictEqual(world.calls, [])
            }),
            Effect.provide(stubPorts(world)),
          )
      },
    )
  })
})
