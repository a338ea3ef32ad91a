/**
 * The built-in strategies and AMI sources against the simulator's port layer: the same worlds the
 * executor's rollouts run in, so a mismatch between what the strategies expect of the ports and what
 * the simulator (a faithful model of AWS) does shows up here first.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { AutoScalingGroupDescription, LaunchSpec } from "@ecs-ami-deploy/domain"
import { AutoScaling } from "@ecs-ami-deploy/ports"
import {
  makeSimulation,
  newImageId,
  oldImageId,
  recommendedImageIdParameter,
  recommendedParameter,
  type Scenario,
  scenarios,
} from "@ecs-ami-deploy/simulator"
import { imageFilterSource, pinnedImageSource, ssmParameterSource } from "../src/ami-sources.ts"
import { ImageNotFound } from "../src/contracts.ts"
import { builtInLaunchSpecStrategies, strategyFor } from "../src/registry.ts"

const key = "run-sim/update-launch-spec"

const describeGroup = (name: string) =>
  AutoScaling.use((autoScaling) => autoScaling.describeGroups([name])).pipe(
    Effect.flatMap((groups) => Effect.fromNullishOr(groups[0])),
    Effect.orDie,
  )

/** The scenario with its only group's launch spec replaced, and its template's single (old image) version repeated `versions` times. */
const withLaunchSpec = (
  scenario: Scenario,
  rewrite: (spec: LaunchSpec) => LaunchSpec,
  versions = 1,
): Scenario => ({
  ...scenario,
  launchTemplates: scenario.launchTemplates.map((template) => ({
    ...template,
    versions: Array.from({ length: versions }).flatMap(() => template.versions),
  })),
  groups: scenario.groups.map((group) => ({ ...group, launchSpec: rewrite(group.launchSpec) })),
})

const withTemplateVersion =
  (version: string) =>
  (spec: LaunchSpec): LaunchSpec =>
    spec._tag === "LaunchConfiguration" ? spec : { ...spec, template: { ...spec.template, version } }

/**
 * Launch template versions record what they were copied from, so a retried apply still reports the
 * spec before; a launch configuration cannot, and a retry after the switch reports the spec it finds
 * (the executor keeps the group's spec at run start for rollback).
 */
const cases: ReadonlyArray<readonly [string, Scenario, { readonly retryKnowsBefore: boolean }]> = [
  ["launch template following $Latest", scenarios["launch-template"], { retryKnowsBefore: true }],
  [
    "launch template following $Default",
    withLaunchSpec(scenarios["launch-template"], withTemplateVersion("$Default"), 2),
    { retryKnowsBefore: true },
  ],
  [
    "launch template pinned to version 2 of 3",
    withLaunchSpec(scenarios["launch-template"], withTemplateVersion("2"), 3),
    { retryKnowsBefore: true },
  ],
  ["mixed instances policy", scenarios["mixed-instances"], { retryKnowsBefore: true }],
  ["launch configuration", scenarios["launch-configuration"], { retryKnowsBefore: false }],
]

describe("built-in strategies on the simulator", () => {
  for (const [label, scenario, { retryKnowsBefore }] of cases)
    it(`given a ${label}: apply points the group at the new image once, restore puts the old one back, cleanup spares what is in use`, async () => {
      const simulation = makeSimulation(scenario)
      const asgName = scenario.groups[0]?.name ?? ""
      const mutatingCalls = () => simulation.callLog.filter((call) => call.mutating).length
      const outcome = await simulation.run(
        Effect.gen(function* () {
          const group: AutoScalingGroupDescription = yield* describeGroup(asgName)
          const strategy = yield* strategyFor(builtInLaunchSpecStrategies(), group)
          const imageBefore = (yield* strategy.resolveImageId(group)).imageId
          const applied = yield* strategy.apply({ group, imageId: newImageId, idempotencyKey: key })
          const imageAfter = (yield* strategy.resolveImageId(yield* describeGroup(asgName))).imageId
          const callsAfterApply = mutatingCalls()
          const reapplied = yield* strategy.apply({
            group: yield* describeGroup(asgName),
            imageId: newImageId,
            idempotencyKey: key,
          })
          const callsAfterReapply = mutatingCalls()
          yield* strategy.restore({ group: yield* describeGroup(asgName), launchSpec: applied.before })
          const imageRestored = (yield* strategy.resolveImageId(yield* describeGroup(asgName))).imageId
          // Cleanup runs after a rollout is settled (here: rolled back) and must spare what the group uses.
          yield* strategy.cleanup({ group: yield* describeGroup(asgName), keep: 0 })
          const imageAfterCleanup = (yield* strategy.resolveImageId(yield* describeGroup(asgName))).imageId
          return {
            imageBefore,
            applied,
            imageAfter,
            callsAfterApply,
            reapplied,
            callsAfterReapply,
            imageRestored,
            imageAfterCleanup,
          }
        }),
      )
      assert.strictEqual(outcome.imageBefore, oldImageId)
      assert.strictEqual(outcome.imageAfter, newImageId)
      assert.deepStrictEqual(outcome.reapplied.after, outcome.applied.after)
      assert.deepStrictEqual(
        outcome.reapplied.before,
        retryKnowsBefore ? outcome.applied.before : outcome.applied.after,
      )
      assert.strictEqual(outcome.callsAfterReapply, outcome.callsAfterApply)
      assert.strictEqual(outcome.imageRestored, oldImageId)
      assert.strictEqual(outcome.imageAfterCleanup, oldImageId)
      assert.isTrue(
        simulation.callLog.every((call) => call.outcome === "ok"),
        "no port call was refused",
      )
    })
})

describe("built-in AMI sources on the simulator", () => {
  const resolve = (source: ReturnType<typeof imageFilterSource>) =>
    makeSimulation(scenarios.small).run(
      source.resolve({ architecture: "x86_64" }).pipe(Effect.flip, Effect.flip),
    )

  it("the image filter's defaults find the newest AL2023 ECS image, skipping the deprecated one", async () => {
    assert.strictEqual((await resolve(imageFilterSource())).imageId, newImageId)
  })

  it("the SSM source reads both the plain and the composite JSON parameter", async () => {
    assert.strictEqual(
      (await resolve(ssmParameterSource({ parameterName: recommendedImageIdParameter }))).imageId,
      newImageId,
    )
    assert.strictEqual(
      (await resolve(ssmParameterSource({ parameterName: recommendedParameter }))).imageId,
      newImageId,
    )
  })

  it("the pinned source finds a known image and reports an unknown one as ImageNotFound", async () => {
    assert.strictEqual((await resolve(pinnedImageSource({ imageId: oldImageId }))).imageId, oldImageId)
    const missing = await makeSimulation(scenarios.small).run(
      Effect.flip(pinnedImageSource({ imageId: "ami-0123456789abcdef0" }).resolve({})),
    )
    assert.instanceOf(missing, ImageNotFound)
  })
})
