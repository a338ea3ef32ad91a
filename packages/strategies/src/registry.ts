/**
 * The built-in launch-spec strategies as one list, and the lookup that picks the strategy for a
 * group's spec. Apps pass the list (plus any plugins of their own) to `Plugins`; the first strategy
 * that handles a spec wins, so a custom plugin placed first can take over a kind of spec.
 */
import { Effect } from "effect"
import type { AutoScalingGroupDescription } from "@ecs-ami-deploy/domain"
import { LaunchSpecError, type LaunchSpecStrategy } from "./contracts.ts"
import {
  type LaunchConfigurationOptions,
  launchConfigurationStrategy,
} from "./launch-configuration-strategy.ts"
import { launchTemplateStrategy } from "./launch-template-strategy.ts"
import { mixedInstancesStrategy } from "./mixed-instances-strategy.ts"

export interface BuiltInStrategyOptions {
  readonly launchConfiguration?: LaunchConfigurationOptions
}

/** Launch template, mixed instances policy and launch configuration, in that order. */
export const builtInLaunchSpecStrategies = (
  options: BuiltInStrategyOptions = {},
): ReadonlyArray<LaunchSpecStrategy> => [
  launchTemplateStrategy(),
  mixedInstancesStrategy(),
  launchConfigurationStrategy(options.launchConfiguration),
]

/** The first strategy that handles the group's spec; a LaunchSpecError naming the spec's kind when none does. */
export const strategyFor = (
  strategies: ReadonlyArray<LaunchSpecStrategy>,
  group: Pick<AutoScalingGroupDescription, "name" | "launchSpec">,
): Effect.Effect<LaunchSpecStrategy, LaunchSpecError> => {
  const strategy = strategies.find((candidate) => candidate.handles(group.launchSpec))
  return strategy === undefined
    ? Effect.fail(
        new LaunchSpecError({
          asgName: group.name,
          problem: `no registered launch-spec strategy handles a ${group.launchSpec._tag} spec (registered: ${
            strategies.map((candidate) => candidate.name).join(", ") || "none"
          })`,
          fix: "register a strategy for this kind of spec, e.g. builtInLaunchSpecStrategies()",
        }),
      )
    : Effect.succeed(strategy)
}
