/**
 * What `iam-policy --cluster C` scopes the policy to, discovered with read-only calls on the target
 * (AWS, or the simulator): the cluster's Auto Scaling groups (as `plan` finds them), the launch
 * templates they launch from (mixed-instances overrides included), the SSM parameters those
 * templates' `resolve:ssm:` images read, and the roles of the instance profiles their templates and
 * launch configurations name (IAM GetInstanceProfile): the only roles `iam:PassRole` needs.
 */
import { Effect } from "effect"
import type { LaunchSpec } from "@ecs-ami-deploy/domain"
import { AutoScaling, Ec2, Iam, Rollout } from "ecs-ami-deploy"

export interface DiscoveredTargets {
  readonly autoScalingGroupNames: ReadonlyArray<string>
  readonly launchTemplateIds: ReadonlyArray<string>
  readonly ssmParameterNames: ReadonlyArray<string>
  readonly instanceRoleArns: ReadonlyArray<string>
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

/**
 * A launch spec names its instance profile by name or by ARN (`arn:aws:iam::ACCOUNT:instance-profile/PATH/NAME`);
 * GetInstanceProfile takes the name, the ARN's last segment.
 */
const instanceProfileName = (profile: string): string =>
  profile.startsWith("arn:") ? (profile.split("/").at(-1) ?? profile) : profile

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
    const configurationNames = unique(
      groups.flatMap((group) =>
        group.launchSpec._tag === "LaunchConfiguration" ? [group.launchSpec.launchConfigurationName] : [],
      ),
    )
    const configurations =
      configurationNames.length === 0
        ? []
        : yield* AutoScaling.use((autoScaling) =>
            autoScaling.describeLaunchConfigurations(configurationNames),
          )
    const profiles = unique(
      [...versions.flat(), ...configurations].flatMap((spec) =>
        spec.iamInstanceProfile === undefined ? [] : [instanceProfileName(spec.iamInstanceProfile)],
      ),
    )
    const roles = yield* Effect.forEach(profiles, (profile) =>
      Iam.use((iam) => iam.instanceProfileRoleArns(profile)),
    )
    return {
      autoScalingGroupNames: groupNames,
      launchTemplateIds: unique(templates.map((template) => template.id)),
      ssmParameterNames: unique(versions.flat().flatMap((version) => parameterOf(version.imageId))),
      instanceRoleArns: unique(roles.flat()),
    } satisfies DiscoveredTargets
  })
