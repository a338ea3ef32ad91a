/**
 * Property tests of cleanup's safety rule over arbitrary template histories: whatever the versions,
 * default, pins and `keep`, cleanup deletes exactly the versions that are neither among the `keep`
 * newest, nor the default, nor the latest, nor pinned by any group — and never another template's.
 */
import { assert, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import type { LaunchSpec } from "@ecs-ami-deploy/domain"
import { launchTemplateStrategy } from "../src/launch-template-strategy.ts"
import { emptyWorld, groupWith, stubPorts, templateIn } from "./ports-stub.ts"

const history = fc
  .uniqueArray(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 15 })
  .chain((versions) =>
    fc.record({
      versions: fc.constant(versions),
      defaultVersion: fc.constantFrom(...versions),
      pinnedByOthers: fc.subarray(versions),
      ownVersion: fc.constantFrom("$Latest", "$Default", ...versions.map(String)),
      keep: fc.integer({ min: 0, max: 8 }),
    }),
  )

const templateSpec = (launchTemplateId: string, version: string): LaunchSpec => ({
  _tag: "LaunchTemplate",
  template: { launchTemplateId, launchTemplateName: `${launchTemplateId}-name`, version },
})

it("cleanup deletes exactly the unprotected versions beyond the newest `keep`, and only of the group's template", async () => {
  await fc.assert(
    fc.asyncProperty(history, async ({ versions, defaultVersion, pinnedByOthers, ownVersion, keep }) => {
      const world = emptyWorld()
      for (const id of ["lt-own", "lt-other"])
        world.templates.set(id, {
          id,
          name: `${id}-name`,
          defaultVersion,
          versions: new Map(versions.map((n) => [n, { imageId: `ami-${n}` }])),
        })
      const group = groupWith("own-asg", templateSpec("lt-own", ownVersion))
      world.groups.set(group.name, group)
      pinnedByOthers.forEach((n, index) =>
        world.groups.set(`other-${index}`, groupWith(`other-${index}`, templateSpec("lt-own", String(n)))),
      )

      const { deleted } = await Effect.runPromise(
        launchTemplateStrategy()
          .cleanup({ group, keep })
          .pipe(Effect.provide(stubPorts(world))),
      )

      const newestFirst = [...versions].sort((a, b) => b - a)
      const latest = newestFirst[0]
      const protectedVersions = new Set([
        defaultVersion,
        latest,
        ...pinnedByOthers,
        ...(/^\d+$/.test(ownVersion) ? [Number(ownVersion)] : []),
      ])
      const expected = newestFirst.slice(keep).filter((n) => !protectedVersions.has(n))
      assert.deepStrictEqual(
        deleted,
        expected.map((n) => `lt-own-name:${n}`),
      )
      assert.deepStrictEqual(
        [...templateIn(world, "lt-own").versions.keys()].sort((a, b) => a - b),
        versions.filter((n) => !expected.includes(n)).sort((a, b) => a - b),
      )
      assert.strictEqual(templateIn(world, "lt-other").versions.size, versions.length)
    }),
  )
})
