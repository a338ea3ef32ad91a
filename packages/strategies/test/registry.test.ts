import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { LaunchSpec } from "@ecs-ami-deploy/domain"
import { LaunchSpecError } from "../src/contracts.ts"
import { builtInLaunchSpecStrategies, strategyFor } from "../src/registry.ts"
import { groupWith } from "./ports-stub.ts"

const template = { launchTemplateId: "lt-1", launchTemplateName: "ecs-nodes", version: "$Latest" }
const specs: ReadonlyArray<readonly [LaunchSpec, string]> = [
  [{ _tag: "LaunchTemplate", template }, "launch-template"],
  [{ _tag: "MixedInstancesPolicy", template, overrides: [] }, "mixed-instances-policy"],
  [{ _tag: "LaunchConfiguration", launchConfigurationName: "legacy" }, "launch-configuration"],
]

describe("strategyFor", () => {
  for (const [spec, expected] of specs)
    it.effect(`given a ${spec._tag} spec, picks the ${expected} built-in`, () =>
      strategyFor(builtInLaunchSpecStrategies(), groupWith("asg", spec)).pipe(
        Effect.map((strategy) => assert.strictEqual(strategy.name, expected)),
      ),
    )

  it.effect("given a custom strategy registered first, it wins over the built-in", () => {
    const [builtIn] = builtInLaunchSpecStrategies()
    assert.isDefined(builtIn)
    const custom = { ...builtIn, name: "custom-launch-template" }
    return strategyFor(
      [custom, ...builtInLaunchSpecStrategies()],
      groupWith("asg", { _tag: "LaunchTemplate", template }),
    ).pipe(Effect.map((strategy) => assert.strictEqual(strategy.name, "custom-launch-template")))
  })

  it.effect(
    "given no strategy for the spec, a LaunchSpecError naming the group, the kind and what is registered",
    () => {
      const onlyTemplates = builtInLaunchSpecStrategies().filter(
        (strategy) => strategy.name === "launch-template",
      )
      return strategyFor(
        onlyTemplates,
        groupWith("legacy-asg", { _tag: "LaunchConfiguration", launchConfigurationName: "legacy" }),
      ).pipe(
        Effect.flip,
        Effect.map((error) => {
          assert.instanceOf(error, LaunchSpecError)
          assert.strictEqual(error.asgName, "legacy-asg")
          assert.include(error.problem, "LaunchConfiguration")
          assert.include(error.problem, "launch-template")
        }),
      )
    },
  )
})
