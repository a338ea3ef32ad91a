/**
 * What a group launches: its launch template (a version, `$Latest` or `$Default`; a mixed instances
 * policy's overrides taken in turn), or its launch configuration, with `resolve:ssm:` image ids read from
 * the SSM parameters. A spec that cannot launch throws the `Refusal` AWS would report.
 */
import {
  Refusal,
  type GroupRecord,
  type LaunchOrigin,
  type TemplateRecord,
  type TemplateVersionRecord,
} from "../records.ts"
import type { World } from "../world.ts"

/** What a group launches next: image, type and origin. Throws a Refusal describing why a launch would fail. */
export const resolveLaunchSpec = (
  world: World,
  group: GroupRecord,
): { imageId: string; instanceType: string; origin: LaunchOrigin } => {
  const spec = group.launchSpec
  if (spec._tag === "LaunchConfiguration") {
    const configuration = world.launchConfigurations.get(spec.launchConfigurationName)
    if (configuration === undefined) {
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        `Launch configuration ${spec.launchConfigurationName} not found`,
      )
    }
    return {
      imageId: resolveImageId(world, configuration.imageId),
      instanceType: configuration.instanceType,
      origin: { kind: "configuration", name: configuration.name },
    }
  }
  let templateRef = spec.template
  let overrideType: string | undefined
  const override =
    spec._tag === "MixedInstancesPolicy"
      ? spec.overrides[group.overrideCursor % spec.overrides.length]
      : undefined
  if (override !== undefined) {
    group.overrideCursor++
    overrideType = override.instanceType
    if (override.launchTemplate !== undefined) templateRef = override.launchTemplate
  }
  const template = world.templates.get(templateRef.launchTemplateId)
  if (template === undefined) {
    throw new Refusal(
      "invalid-parameter",
      "ValidationError",
      `Launch template ${templateRef.launchTemplateId} not found`,
    )
  }
  const version = templateVersion(template, templateRef.version)
  return {
    imageId: resolveImageId(world, version.imageId),
    instanceType: overrideType ?? version.instanceType,
    origin: {
      kind: "template",
      launchTemplateId: template.launchTemplateId,
      version: version.versionNumber,
    },
  }
}

export const templateVersion = (template: TemplateRecord, version: string): TemplateVersionRecord => {
  const number =
    version === "$Latest"
      ? template.latestVersion
      : version === "$Default"
        ? template.defaultVersion
        : Number(version)
  const record = template.versions.get(number)
  if (record === undefined) {
    throw new Refusal(
      "not-found",
      "InvalidLaunchTemplateId.VersionNotFound",
      `Could not find launch template version ${version} of ${template.launchTemplateId}`,
    )
  }
  return record
}

export const resolveImageId = (world: World, imageId: string): string => {
  if (!imageId.startsWith("resolve:ssm:")) return imageId
  const name = imageId.slice("resolve:ssm:".length)
  const parameter = world.ssmParameters.get(name)
  if (parameter === undefined) {
    throw new Refusal(
      "invalid-parameter",
      "InvalidParameter",
      `The SSM parameter ${name} could not be resolved`,
    )
  }
  return parameter.value
}

export const tryTemplateVersion = (template: TemplateRecord, version: string): number | undefined => {
  try {
    return templateVersion(template, version).versionNumber
  } catch {
    return undefined
  }
}
