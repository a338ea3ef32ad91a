import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AwsCallError, type LaunchSpec, type LaunchTemplateRef } from "@ecs-ami-deploy/domain"
import { LaunchSpecError } from "../src/contracts.ts"
import { launchTemplateStrategy } from "../src/launch-template-strategy.ts"
import {
  awsError,
  emptyWorld,
  groupIn,
  groupWith,
  stubPorts,
  type StubWorld,
  templateIn,
} from "./ports-stub.ts"

const strategy = launchTemplateStrategy()
const targetImage = "ami-0ffffffffffffffff"
const imageOfVersion = (n: number) => `ami-000000000000000${n}`
const key = "run-1/update-launch-spec-ecs-nodes"

/** Template `lt-1` with versions 1..latest (version n holds `imageOfVersion(n)`), default `defaultVersion`. */
const worldWithTemplate = (latest: number, defaultVersion: number): StubWorld => {
  const world = emptyWorld()
  world.templates.set("lt-1", {
    id: "lt-1",
    name: "ecs-nodes",
    defaultVersion,
    versions: new Map(
      Array.from({ length: latest }, (_, index) => [index + 1, { imageId: imageOfVersion(index + 1) }]),
    ),
  })
  return world
}

const ref = (version: string): LaunchTemplateRef => ({
  launchTemplateId: "lt-1",
  launchTemplateName: "ecs-nodes",
  version,
})
const templateSpec = (version: string): LaunchSpec => ({ _tag: "LaunchTemplate", template: ref(version) })

/** Registers the group in the world and returns a fresh description of it after `effect`. */
const withGroup = (world: StubWorld, version: string) => {
  const group = groupWith("ecs-nodes-asg", templateSpec(version))
  world.groups.set(group.name, group)
  return group
}
const currentGroup = (world: StubWorld) => groupIn(world, "ecs-nodes-asg")

describe("launch-template strategy", () => {
  describe("resolveImageId", () => {
    it.effect("follows $Latest, $Default and a pinned number to the version's image", () =>
      Effect.gen(function* () {
        const resolved = yield* Effect.forEach(["$Latest", "$Default", "1"], (version) =>
          strategy
            .resolveImageId(groupWith("asg", templateSpec(version)))
            .pipe(Effect.map((image) => image.imageId)),
        )
        assert.deepStrictEqual(resolved, [imageOfVersion(3), imageOfVersion(2), imageOfVersion(1)])
      }).pipe(Effect.provide(stubPorts(worldWithTemplate(3, 2)))),
    )

    it.effect("given a resolve:ssm: image id, reads the parameter and names it", () => {
      const world = worldWithTemplate(1, 1)
      templateIn(world, "lt-1").versions.set(1, { imageId: "resolve:ssm:/golden/ecs" })
      world.parameters.set("/golden/ecs", targetImage)
      return strategy.resolveImageId(groupWith("asg", templateSpec("$Default"))).pipe(
        Effect.map((image) =>
          assert.deepStrictEqual(image, { imageId: targetImage, ssmParameter: "/golden/ecs" }),
        ),
        Effect.provide(stubPorts(world)),
      )
    })

    it.effect(
      "given a resolve:ssm: parameter that does not exist, fails with a LaunchSpecError naming it",
      () => {
        const world = worldWithTemplate(1, 1)
        templateIn(world, "lt-1").versions.set(1, { imageId: "resolve:ssm:/golden/missing" })
        return strategy.resolveImageId(groupWith("asg", templateSpec("$Latest"))).pipe(
          Effect.flip,
          Effect.map((error) => {
            assert.instanceOf(error, LaunchSpecError)
            assert.include(error.message, "/golden/missing")
          }),
          Effect.provide(stubPorts(world)),
        )
      },
    )
  })

  describe("apply", () => {
    it.effect(
      "given $Latest, creates one copy of the latest version with the new image and leaves the group alone",
      () => {
        const world = worldWithTemplate(3, 2)
        const group = withGroup(world, "$Latest")
        return Effect.gen(function* () {
          const result = yield* strategy.apply({ group, imageId: targetImage, idempotencyKey: key })
          assert.deepStrictEqual(result, { before: templateSpec("$Latest"), after: templateSpec("$Latest") })
          assert.deepStrictEqual(world.calls, [
            `createLaunchTemplateVersion lt-1 from 3 image ${targetImage}`,
          ])
          assert.strictEqual(templateIn(world, "lt-1").versions.get(4)?.token, key)
          assert.strictEqual((yield* strategy.resolveImageId(currentGroup(world))).imageId, targetImage)
        }).pipe(Effect.provide(stubPorts(world)))
      },
    )

    it.effect(
      "given $Default, copies the default (not the latest) version and makes the copy the default",
      () => {
        const world = worldWithTemplate(3, 2)
        const group = withGroup(world, "$Default")
        return Effect.gen(function* () {
          const result = yield* strategy.apply({ group, imageId: targetImage, idempotencyKey: key })
          assert.deepStrictEqual(result, {
            before: templateSpec("$Default"),
            after: templateSpec("$Default"),
          })
          assert.deepStrictEqual(world.calls, [
            `createLaunchTemplateVersion lt-1 from 2 image ${targetImage}`,
            "setDefaultLaunchTemplateVersion lt-1 4",
          ])
          assert.strictEqual((yield* strategy.resolveImageId(currentGroup(world))).imageId, targetImage)
        }).pipe(Effect.provide(stubPorts(world)))
      },
    )

    it.effect("given a pinned version, copies it and pins the group to the copy's number", () => {
      const world = worldWithTemplate(3, 3)
      const group = withGroup(world, "1")
      return Effect.gen(function* () {
        const result = yield* strategy.apply({ group, imageId: targetImage, idempotencyKey: key })
        assert.deepStrictEqual(result, { before: templateSpec("1"), after: templateSpec("4") })
        assert.deepStrictEqual(currentGroup(world).launchSpec, templateSpec("4"))
        assert.strictEqual(templateIn(world, "lt-1").defaultVersion, 3)
      }).pipe(Effect.provide(stubPorts(world)))
    })

    for (const version of ["$Latest", "$Default", "2"])
      it.effect(
        `given ${version} and a second call with the same key, creates nothing more and reports the same before/after`,
        () => {
          const world = worldWithTemplate(3, 2)
          withGroup(world, version)
          return Effect.gen(function* () {
            const first = yield* strategy.apply({
              group: currentGroup(world),
              imageId: targetImage,
              idempotencyKey: key,
            })
            const callsAfterFirst = [...world.calls]
            const second = yield* strategy.apply({
              group: currentGroup(world),
              imageId: targetImage,
              idempotencyKey: key,
            })
            assert.deepStrictEqual(second, first)
            assert.deepStrictEqual(world.calls, callsAfterFirst)
          }).pipe(Effect.provide(stubPorts(world)))
        },
      )

    it.effect(
      "given a first attempt that died after creating the copy, the retry reuses the copy and moves the default",
      () => {
        const world = worldWithTemplate(3, 2)
        withGroup(world, "$Default")
        return Effect.gen(function* () {
          world.failures.set(
            "setDefaultLaunchTemplateVersion",
            awsError("ec2:ModifyLaunchTemplate", "transient"),
          )
          yield* Effect.flip(
            strategy.apply({ group: currentGroup(world), imageId: targetImage, idempotencyKey: key }),
          )
          world.failures.clear()
          yield* strategy.apply({ group: currentGroup(world), imageId: targetImage, idempotencyKey: key })
          const template = templateIn(world, "lt-1")
          assert.deepStrictEqual([...template.versions.keys()], [1, 2, 3, 4])
          assert.strictEqual(template.defaultVersion, 4)
        }).pipe(Effect.provide(stubPorts(world)))
      },
    )

    for (const version of ["$Latest", "$Default", "2"])
      it.effect(
        `given ${version} already on the target image, creates nothing and reports the spec unchanged`,
        () => {
          const world = worldWithTemplate(3, 2)
          withGroup(world, version)
          return strategy
            .apply({
              group: currentGroup(world),
              imageId: imageOfVersion(version === "$Latest" ? 3 : 2),
              idempotencyKey: key,
            })
            .pipe(
              Effect.map((result) => {
                assert.deepStrictEqual(result, {
                  before: templateSpec(version),
                  after: templateSpec(version),
                })
                assert.deepStrictEqual(world.calls, [])
              }),
              Effect.provide(stubPorts(world)),
            )
        },
      )

    it.effect("given a resolve:ssm: version, the copy holds the target AMI id itself", () => {
      const world = worldWithTemplate(1, 1)
      templateIn(world, "lt-1").versions.set(1, { imageId: "resolve:ssm:/golden/ecs" })
      withGroup(world, "$Latest")
      return strategy.apply({ group: currentGroup(world), imageId: targetImage, idempotencyKey: key }).pipe(
        Effect.map(() => assert.strictEqual(templateIn(world, "lt-1").versions.get(2)?.imageId, targetImage)),
        Effect.provide(stubPorts(world)),
      )
    })
  })

  describe("restore", () => {
    const applyThenRestore = (version: string) => {
      const world = worldWithTemplate(3, 2)
      withGroup(world, version)
      return Effect.gen(function* () {
        const { before } = yield* strategy.apply({
          group: currentGroup(world),
          imageId: targetImage,
          idempotencyKey: key,
        })
        yield* strategy.restore({ group: currentGroup(world), launchSpec: before })
        return { world, before, resolved: (yield* strategy.resolveImageId(currentGroup(world))).imageId }
      }).pipe(Effect.provide(stubPorts(world)))
    }

    it.effect("given $Default, sets the default back to the version it was", () =>
      applyThenRestore("$Default").pipe(
        Effect.map(({ world, resolved }) => {
          assert.strictEqual(templateIn(world, "lt-1").defaultVersion, 2)
          assert.strictEqual(resolved, imageOfVersion(2))
        }),
      ),
    )

    it.effect("given $Latest, creates a new latest version copied from the old one", () =>
      applyThenRestore("$Latest").pipe(
        Effect.map(({ world, resolved }) => {
          assert.strictEqual(resolved, imageOfVersion(3))
          assert.strictEqual(
            world.calls.at(-1),
            `createLaunchTemplateVersion lt-1 from 3 image ${imageOfVersion(3)}`,
          )
        }),
      ),
    )

    it.effect("given a pinned version, pins the group back to it", () =>
      applyThenRestore("2").pipe(
        Effect.map(({ world, before, resolved }) => {
          assert.deepStrictEqual(currentGroup(world).launchSpec, before)
          assert.strictEqual(resolved, imageOfVersion(2))
        }),
      ),
    )

    for (const version of ["$Default", "$Latest"])
      it.effect(`given ${version} restored already, a second restore changes nothing`, () =>
        applyThenRestore(version).pipe(
          Effect.flatMap(({ world, before }) => {
            const callsAfterFirst = [...world.calls]
            return strategy.restore({ group: currentGroup(world), launchSpec: before }).pipe(
              Effect.map(() => assert.deepStrictEqual(world.calls, callsAfterFirst)),
              Effect.provide(stubPorts(world)),
            )
          }),
        ),
      )

    it.effect("given a recorded version that was deleted since, fails without touching the group", () => {
      const world = worldWithTemplate(3, 3)
      withGroup(world, "3")
      return strategy.restore({ group: currentGroup(world), launchSpec: templateSpec("7") }).pipe(
        Effect.flip,
        Effect.map((error) => {
          assert.instanceOf(error, LaunchSpecError)
          assert.deepStrictEqual(world.calls, [])
        }),
        Effect.provide(stubPorts(world)),
      )
    })
  })

  describe("cleanup", () => {
    it.effect(
      "keeps the newest N, the default, the latest and every version a group pins, and no other template's",
      () => {
        const world = worldWithTemplate(8, 3)
        world.templates.set("lt-2", {
          id: "lt-2",
          name: "ecs-nodes-2",
          defaultVersion: 1,
          versions: new Map([
            [1, { imageId: "x" }],
            [2, { imageId: "y" }],
          ]),
        })
        withGroup(world, "$Latest")
        world.groups.set("other-asg", groupWith("other-asg", templateSpec("5")))
        world.groups.set(
          "third-asg",
          groupWith("third-asg", {
            _tag: "LaunchTemplate",
            template: { launchTemplateId: "lt-2", launchTemplateName: "ecs-nodes-2", version: "1" },
          }),
        )
        return strategy.cleanup({ group: currentGroup(world), keep: 2 }).pipe(
          Effect.map(({ deleted }) => {
            // Versions 8 and 7 are the newest two, 3 is the default, 5 is pinned by other-asg: 1, 2, 4 and 6 go.
            assert.deepStrictEqual(deleted, ["ecs-nodes:6", "ecs-nodes:4", "ecs-nodes:2", "ecs-nodes:1"])
            assert.deepStrictEqual([...templateIn(world, "lt-1").versions.keys()], [3, 5, 7, 8])
            assert.strictEqual(templateIn(world, "lt-2").versions.size, 2)
          }),
          Effect.provide(stubPorts(world)),
        )
      },
    )

    it.effect("given a template with only version 1, deletes nothing even with keep 0", () => {
      const world = worldWithTemplate(1, 1)
      withGroup(world, "$Default")
      return strategy.cleanup({ group: currentGroup(world), keep: 0 }).pipe(
        Effect.map(({ deleted }) => {
          assert.deepStrictEqual(deleted, [])
          assert.deepStrictEqual(world.calls, [])
        }),
        Effect.provide(stubPorts(world)),
      )
    })
  })

  for (const keep of [-1, 1.5])
    it.effect(`given keep ${keep}, cleanup refuses with a LaunchSpecError and deletes nothing`, () => {
      const world = worldWithTemplate(8, 3)
      withGroup(world, "$Latest")
      return strategy.cleanup({ group: currentGroup(world), keep }).pipe(
        Effect.flip,
        Effect.map((error) => {
          assert.instanceOf(error, LaunchSpecError)
          assert.strictEqual(templateIn(world, "lt-1").versions.size, 8)
        }),
        Effect.provide(stubPorts(world)),
      )
    })

  describe("errors leave everything as it was", () => {
    const failure = (world: StubWorld, version: string, launchTemplateId = "lt-1") => {
      const group = groupWith("ecs-nodes-asg", {
        _tag: "LaunchTemplate",
        template: { ...ref(version), launchTemplateId },
      })
      world.groups.set(group.name, group)
      return strategy.apply({ group, imageId: targetImage, idempotencyKey: key }).pipe(
        Effect.flip,
        Effect.tap(() => Effect.sync(() => assert.deepStrictEqual(world.calls, []))),
        Effect.provide(stubPorts(world)),
      )
    }

    it.effect("given an unknown template, a LaunchSpecError naming it", () =>
      failure(worldWithTemplate(3, 2), "$Latest", "lt-gone").pipe(
        Effect.map((error) => {
          assert.instanceOf(error, LaunchSpecError)
          assert.include(error.message, "lt-gone")
          assert.include(error.message, "does not exist")
        }),
      ),
    )

    it.effect("given a deleted default version, a LaunchSpecError about the default", () => {
      const world = worldWithTemplate(3, 2)
      templateIn(world, "lt-1").versions.delete(2)
      return failure(world, "$Default").pipe(
        Effect.map((error) => {
          assert.instanceOf(error, LaunchSpecError)
          assert.include(error.message, "default version (2)")
        }),
      )
    })

    it.effect("given a version that is no number, a LaunchSpecError", () =>
      failure(worldWithTemplate(3, 2), "latest").pipe(
        Effect.map((error) => assert.instanceOf(error, LaunchSpecError)),
      ),
    )

    it.effect("given access denied, the AwsCallError passes through with what the strategy was doing", () => {
      const world = worldWithTemplate(3, 2)
      world.failures.set(
        "createLaunchTemplateVersion",
        awsError("ec2:CreateLaunchTemplateVersion", "access-denied", "UnauthorizedOperation"),
      )
      return failure(world, "$Latest").pipe(
        Effect.map((error) => {
          assert.instanceOf(error, AwsCallError)
          assert.strictEqual(error instanceof AwsCallError && error.kind, "access-denied")
          assert.include(error.message, "creating a version of launch template ecs-nodes")
        }),
      )
    })

    it.effect("given a spec of another kind, a LaunchSpecError", () =>
      strategy
        .apply({
          group: groupWith("asg", { _tag: "LaunchConfiguration", launchConfigurationName: "lc" }),
          imageId: targetImage,
          idempotencyKey: key,
        })
        .pipe(
          Effect.flip,
          Effect.map((error) => assert.instanceOf(error, LaunchSpecError)),
          Effect.provide(stubPorts(emptyWorld())),
        ),
    )
  })
})
