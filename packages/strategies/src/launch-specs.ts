/**
 * Small facts about launch specs shared by the strategies: which launch templates a spec names, which
 * of them it follows (`$Latest`, `$Default`) rather than pins, whether two specs are the same, and
 * which specs every group in the Region uses — what cleanup must never delete.
 */
import { Effect } from "effect"
import type {
  AutoScalingGroupDescription,
  AwsCallError,
  LaunchSpec,
  LaunchTemplateRef,
} from "@ecs-ami-deploy/domain"
import { AutoScaling } from "@ecs-ami-deploy/ports"
import { inContext } from "./aws-errors.ts"
import { LaunchSpecError } from "./contracts.ts"

/** `$Latest` and `$Default` follow the template; anything else pins a version number. */
export type FollowedVersion = "$Latest" | "$Default"

export const followedVersion = (ref: LaunchTemplateRef): FollowedVersion | undefined =>
  ref.version === "$Latest" || ref.version === "$Default" ? ref.version : undefined

/** Every launch template reference in a spec: the main one, then the overrides' own, in order. */
export const templateRefsOf = (spec: LaunchSpec): ReadonlyArray<LaunchTemplateRef> => {
  switch (spec._tag) {
    case "LaunchTemplate":
      return [spec.template]
    case "MixedInstancesPolicy":
      return [
        spec.template,
        ...spec.overrides.flatMap((override) =>
          override.launchTemplate === undefined ? [] : [override.launchTemplate],
        ),
      ]
    case "LaunchConfiguration":
      return []
  }
}

const sameRef = (a: LaunchTemplateRef | undefined, b: LaunchTemplateRef | undefined): boolean =>
  a === undefined || b === undefined
    ? a === b
    : a.launchTemplateId === b.launchTemplateId && a.version === b.version

/** Whether two specs make the group launch the same way (template names are labels, ids and versions count). */
export const sameLaunchSpec = (a: LaunchSpec, b: LaunchSpec): boolean => {
  switch (a._tag) {
    case "LaunchConfiguration":
      return b._tag === "LaunchConfiguration" && a.launchConfigurationName === b.launchConfigurationName
    case "LaunchTemplate":
      return b._tag === "LaunchTemplate" && sameRef(a.template, b.template)
    case "MixedInstancesPolicy":
      return (
        b._tag === "MixedInstancesPolicy" &&
        sameRef(a.template, b.template) &&
        a.overrides.length === b.overrides.length &&
        a.overrides.every((override, index) => {
          const other = b.overrides[index]
          return (
            other !== undefined &&
            override.instanceType === other.instanceType &&
            sameRef(override.launchTemplate, other.launchTemplate)
          )
        })
      )
  }
}

/**
 * Every group of the Region (an empty name list describes them all, as in AWS), plus `group` itself in
 * case the listing lags behind: the specs cleanup must leave alone.
 */
export const everyGroupAlongside = (
  group: AutoScalingGroupDescription,
): Effect.Effect<ReadonlyArray<AutoScalingGroupDescription>, AwsCallError, AutoScaling> =>
  AutoScaling.use((autoScaling) => autoScaling.describeGroups([])).pipe(
    Effect.map((groups) => [group, ...groups.filter((other) => other.name !== group.name)]),
    inContext(
      `listing every Auto Scaling group to find the launch specs in use before cleaning up after ${group.name}`,
    ),
  )

/** Writes a spec into the group unless the group already has it. */
export const writeLaunchSpec = (
  group: AutoScalingGroupDescription,
  launchSpec: LaunchSpec,
): Effect.Effect<void, AwsCallError, AutoScaling> =>
  sameLaunchSpec(group.launchSpec, launchSpec)
    ? Effect.void
    : AutoScaling.use((autoScaling) => autoScaling.updateGroup({ asgName: group.name, launchSpec })).pipe(
        inContext(`pointing group ${group.name} at its launch spec`),
      )

/** The group's spec (or a recorded one) when it is of the kind a strategy handles; a LaunchSpecError otherwise. */
export const specOfKind =
  <Tag extends LaunchSpec["_tag"]>(tag: Tag, strategyName: string) =>
  (
    group: AutoScalingGroupDescription,
    launchSpec: LaunchSpec = group.launchSpec,
  ): Effect.Effect<Extract<LaunchSpec, { readonly _tag: Tag }>, LaunchSpecError> =>
    launchSpec._tag === tag
      ? Effect.succeed(launchSpec as Extract<LaunchSpec, { readonly _tag: Tag }>)
      : Effect.fail(
          new LaunchSpecError({
            asgName: group.name,
            problem: `the ${strategyName} strategy was given a ${launchSpec._tag} spec`,
            fix: "pick the strategy with strategyFor, which matches the spec's kind",
          }),
        )

/** Cleanup's `keep` must be a whole number ≥ 0; anything else is refused before anything is listed or deleted. */
export const checkKeep = (keep: number, asgName: string): Effect.Effect<void, LaunchSpecError> =>
  Number.isInteger(keep) && keep >= 0
    ? Effect.void
    : Effect.fail(
        new LaunchSpecError({
          asgName,
          problem: `cleanup was asked to keep ${keep} launch specs`,
          fix: "keep a whole number of at least 0 (the Go tool's --launch-template-limit defaulted to 5)",
        }),
      )
