import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { LaunchSpec, LaunchTemplateRef } from "@ecs-ami-deploy/domain"
import { LaunchSpecError } from "../src/contracts.ts"
import { mixedInstancesStrategy } from "../src/mixed-instances-strategy.ts"
import { emptyWorld, groupIn, groupWith, stubPorts, type StubWorld, templateIn } from "./ports-stub.ts"

const strategy = mixedInstancesStrategy()
const targetImage = "ami-0ffffffffffffffff"
const key = "run-1/update-launch-spec-mixed"

const ref = (launchTemplateId: string, version: string): LaunchTemplateRef => ({
  launchTemplateId,
  launchTemplateName: `${launchTemplateId}-name`,
  version,
})

/** `lt-a`: versions 1..3, default 2; `lt-b`: versions 1..2, default 1 — version n of either holds `ami-…<template><n>`. */
const arrangeWorld = (): StubWorld => {
  const world = emptyWorld()
  for (const [id, latest, defaultVersion] of [
    ["lt-a", 3, 2],
    ["lt-b", 2, 1],
  ] as const)
    world.templates.set(id, {
      id,
      name: `${id}-name`,
      defaultVersion,
      versions: new Map(
        Array.from({ length: latest }, (_, index) => [index + 1, { imageId: `ami-${id}-${index + 1}` }]),
      ),
    })
  return world
}

/** Main template follows `$Default` of lt-a; a graviton override pins lt-b 1; another override repeats the main reference. */
const policy = (bVersion: string): LaunchSpec => ({
  _tag: "MixedInstancesPolicy",
  template: ref("lt-a", "$Default"),
  overrides: [
    { instanceType: "m7g.large", launchTemplate: ref("lt-b", bVersion) },
    { instanceType: "m7i.large", launchTemplate: ref("lt-a", "$Default") },
    { instanceType: "m6i.large" },
  ],
})

const arrangeGroup = (world: StubWorld) => {
  world.groups.set("mixed-asg", groupWith("mixed-asg", policy("1")))
  return groupIn(world, "mixed-asg")
}

describe("mixed-instances-policy strategy", () => {
  it.effect("resolves the main template's image", () =>
    strategy.resolveImageId(groupWith("mixed-asg", policy("1"))).pipe(
      Effect.map((image) => assert.deepStrictEqual(image, { imageId: "ami-lt-a-2" })),
      Effect.provide(stubPorts(arrangeWorld())),
    ),
  )

  it.effect("gives each distinct template one new version and rewrites the pinned override", () => {
    const world = arrangeWorld()
    const group = arrangeGroup(world)
    return Effect.gen(function* () {
      const result = yield* strategy.apply({ group, imageId: targetImage, idempotencyKey: key })
      assert.deepStrictEqual(result, { before: policy("1"), after: policy("3") })
      assert.deepStrictEqual(groupIn(world, "mixed-asg").launchSpec, policy("3"))
      assert.strictEqual(templateIn(world, "lt-a").defaultVersion, 4)
      assert.deepStrictEqual(
        world.calls.filter((call) => call.startsWith("createLaunchTemplateVersion")),
        [
          `createLaunchTemplateVersion lt-a from 2 image ${targetImage}`,
          `createLaunchTemplateVersion lt-b from 1 image ${targetImage}`,
        ],
      )
      // AWS refuses one ClientToken for two different requests: each template's copy has its own.
      assert.notStrictEqual(
        templateIn(world, "lt-a").versions.get(4)?.token,
        templateIn(world, "lt-b").versions.get(3)?.token,
      )
    }).pipe(Effect.provide(stubPorts(world)))
  })

  it.effect(
    "given a second call with the same key, creates nothing more and reports the same before/after",
    () => {
      const world = arrangeWorld()
      arrangeGroup(world)
      return Effect.gen(function* () {
        const first = yield* strategy.apply({
          group: groupIn(world, "mixed-asg"),
          imageId: targetImage,
          idempotencyKey: key,
        })
        const callsAfterFirst = [...world.calls]
        const second = yield* strategy.apply({
          group: groupIn(world, "mixed-asg"),
          imageId: targetImage,
          idempotencyKey: key,
        })
        assert.deepStrictEqual(second, first)
        assert.deepStrictEqual(world.calls, callsAfterFirst)
      }).pipe(Effect.provide(stubPorts(world)))
    },
  )

  it.effect("given a 64-character key, every derived token still fits AWS's 64-character limit", () => {
    const world = arrangeWorld()
    const group = arrangeGroup(world)
    const longKey = "k".repeat(64)
    return strategy.apply({ group, imageId: targetImage, idempotencyKey: longKey }).pipe(
      Effect.map(() => {
        const tokens = [
          templateIn(world, "lt-a").versions.get(4)?.token,
          templateIn(world, "lt-b").versions.get(3)?.token,
        ]
        assert.isTrue(tokens.every((token) => token !== undefined && token.length <= 64))
        assert.strictEqual(new Set(tokens).size, 2)
      }),
      Effect.provide(stubPorts(world)),
    )
  })

  it.effect("restore puts the default and the pinned override back", () => {
    const world = arrangeWorld()
    arrangeGroup(world)
    return Effect.gen(function* () {
      const { before } = yield* strategy.apply({
        group: groupIn(world, "mixed-asg"),
        imageId: targetImage,
        idempotencyKey: key,
      })
      yield* strategy.restore({ group: groupIn(world, "mixed-asg"), launchSpec: before })
      assert.deepStrictEqual(groupIn(world, "mixed-asg").launchSpec, policy("1"))
      assert.strictEqual(templateIn(world, "lt-a").defaultVersion, 2)
      assert.strictEqual((yield* strategy.resolveImageId(groupIn(world, "mixed-asg"))).imageId, "ami-lt-a-2")
    }).pipe(Effect.provide(stubPorts(world)))
  })

  it.effect(
    "cleanup works on every template the policy names and keeps the pinned override's version",
    () => {
      const world = arrangeWorld()
      arrangeGroup(world)
      return strategy.cleanup({ group: groupIn(world, "mixed-asg"), keep: 0 }).pipe(
        Effect.map(({ deleted }) => {
          // lt-a keeps its default (2) and latest (3); lt-b keeps its default and pinned 1 and latest 2.
          assert.deepStrictEqual(deleted, ["lt-a-name:1"])
        }),
        Effect.provide(stubPorts(world)),
      )
    },
  )

  it.effect("given an override naming an unknown template, fails before changing anything", () => {
    const world = arrangeWorld()
    const group = groupWith("mixed-asg", {
      _tag: "MixedInstancesPolicy",
      template: ref("lt-a", "$Latest"),
      overrides: [{ instanceType: "m7g.large", launchTemplate: ref("lt-gone", "1") }],
    })
    world.groups.set(group.name, group)
    return strategy.apply({ group, imageId: targetImage, idempotencyKey: key }).pipe(
      Effect.flip,
      Effect.map((error) => {
        assert.instanceOf(error, LaunchSpecError)
        assert.include(error.message, "lt-gone")
        assert.deepStrictEqual(world.calls, [])
      }),
      Effect.provide(stubPorts(world)),
    )
  })
})
