/**
 * What `iam-policy --cluster C` scopes the policy to, discovered with read-only calls on the target
 * (AWS, or the simulator): the cluster's Auto Scaling groups (as `plan` finds them), the launch
 * templates they launch from (mixed-instances overrides included), and the SSM parameters those
 * templates' `resolve:ssm:` images read. Instance roles are not discovered: reading a launch template's
 * instance profile role needs IAM, which no port reads yet (`--instance-role` gives them).
 */
import { Effect } from "effect"
import type { LaunchSpec } from "@ecs-ami-deploy/domain"
import { AutoScaling, Ec2, Rollout } from "ecs-ami-deploy"

export interface DiscoveredTargets {
  readonly autoScalingGroupNames: ReadonlyArray<string>
  readonly launchTemplateIds: ReadonlyArray<string>
  readonly ssmParameterNames: ReadonlyArray<string>
}

const unique = (values: ReadonlyArray<string>): ReadonlyArray<string> => [...new Set(values)].sort()

const templatesOf = (spec: LaunchSpec): ReadonlyArray<{ readonly id: string; readonly version: string }> =>
  spec._tag === "LaunchConfiguration"
    ? []
    : [
        { id: spec.template.launchTemplateId, version: spec.template.version },
        ...(spec._tag === "MixedInstancesPolicy"
          ? spec.overrides.flatMap((override) =>
              override.launchTemplate === undefined
                ? []
                : [
                    {
                      id: override.launchTemplate.launchTemplateId,
                      version: override.launchTemplate.version,
                    },
                  ],
            )
          : []),
      ]

/** `resolve:ssm:NAME` or `resolve:ssm:NAME:VERSION` → NAME; AWS's public `/aws/service/…` ones are granted already. */
const parameterOf = (imageId: string): ReadonlyArray<string> => {
  const name = /^resolve:ssm:(.+?)(:\d+)?$/.exec(imageId)?.[1]
  return name === undefined || name.startsWith("/aws/service/") ? [] : [name]
}

export const discoverPolicyTargets = (clusters: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const plans = yield* Effect.forEach(clusters, (cluster) => Rollout.planUpgrade({ cluster }))
    const groupNames = unique(plans.flatMap((plan) => plan.groups.map((group) => group.asgName)))
    const groups =
      groupNames.length === 0
        ? []
        : yield* AutoScaling.use((autoScaling) => autoScaling.describeGroups(groupNames))
    const templates = groups.flatMap((group) => templatesOf(group.launchSpec))
    // The versions in use, and the default and latest ones a run copies its new version from.
    const versions = yield* Effect.forEach(unique(templates.map((template) => template.id)), (id) =>
      Ec2.use((ec2) =>
        ec2.describeLaunchTemplateVersions(
          id,
          unique(["$Default", "$Latest", ...templates.filter((t) => t.id === id).map((t) => t.version)]),
        ),
      ),
    )
    return {
      autoScalingGroupNames: groupNames,
      launchTemplateIds: unique(templates.map((template) => template.id)),
      ssmParameterNames: unique(versions.flat().flatMap((version) => parameterOf(version.imageId))),
    } satisfies DiscoveredTargets
  })
