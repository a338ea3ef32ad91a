/**
 * Finding the launch-spec strategy plugin for a group, and describing the one group a command
 * names. Shared by observation (which image a group's spec resolves to) and command execution.
 */
import { Effect } from "effect"
import { AwsCallError, type AutoScalingGroupDescription, type LaunchSpec } from "@ecs-ami-deploy/domain"
import { AutoScaling } from "@ecs-ami-deploy/ports"
import {
  type LaunchSpecError,
  type LaunchSpecStrategy,
  Plugins,
  strategyFor as findStrategy,
} from "@ecs-ami-deploy/strategies"

/** The registered strategy that handles `launchSpec`, or a LaunchSpecError saying which plugin is missing. */
export const strategyFor = (
  asgName: string,
  launchSpec: LaunchSpec,
): Effect.Effect<LaunchSpecStrategy, LaunchSpecError, Plugins> =>
  Plugins.use((plugins) => findStrategy(plugins.launchSpecStrategies, { name: asgName, launchSpec }))

/** Describes one group by name; a group that no longer exists is a `not-found` AwsCallError. */
export const describeGroup = (
  asgName: string,
): Effect.Effect<AutoScalingGroupDescription, AwsCallError, AutoScaling> =>
  AutoScaling.use((autoScaling) => autoScaling.describeGroups([asgName])).pipe(
    Effect.flatMap((groups) => {
      const group = groups.find((candidate) => candidate.name === asgName)
      return group === undefined
        ? Effect.fail(
            new AwsCallError({
              operation: "DescribeAutoScalingGroups",
              kind: "not-found",
              code: "ValidationError",
              message: `Auto Scaling group ${asgName} does not exist`,
            }),
          )
        : Effect.succeed(group)
    }),
  )
