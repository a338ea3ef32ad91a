/**
 * Launch template versions: the unit the launch-template and mixed-instances strategies both work in.
 *
 * A new version is always a copy of the version the group resolves to, with only the image changed,
 * and it records its provenance in its description (`copy of version N with image … (token …)`).
 * That description is the only state these strategies keep: it makes `apply` idempotent (a group that
 * already resolves to the copy made under this token is left alone, and the original version is
 * still known), and it lets `restore` undo a followed `$Default`/`$Latest` from a recorded spec that
 * names no number.
 */
import { Effect } from "effect"
import type { AutoScalingGroupDescription, AwsCallError, LaunchTemplateRef } from "@ecs-ami-deploy/domain"
import { Ec2, type LaunchTemplate, type LaunchTemplateVersion, type Ssm } from "@ecs-ami-deploy/ports"
import { inContext, whenNotFound } from "./aws-errors.ts"
import { LaunchSpecError, type LaunchSpecImage } from "./contracts.ts"
import { checkKeep, followedVersion, templateRefsOf } from "./launch-specs.ts"
import { resolveStoredImageId } from "./stored-image-id.ts"

type Failure = LaunchSpecError | AwsCallError

const copyDescription = (sourceVersion: number, imageId: string, token: string): string =>
  `ecs-ami-deploy: copy of version ${sourceVersion} with image ${imageId} (token ${token})`
const copyDescriptionPattern = /^ecs-ami-deploy: copy of version (\d+) with image \S+ \(token (\S+)\)$/

const restoreDescription = (sourceVersion: number): string =>
  `ecs-ami-deploy: restore of version ${sourceVersion}`

/** The version a copy made by these strategies was taken from, and the token it was made under. */
export const provenanceOf = (
  version: LaunchTemplateVersion,
): { readonly sourceVersion: number; readonly token: string } | undefined => {
  const match = version.description === undefined ? null : copyDescriptionPattern.exec(version.description)
  return match?.[1] === undefined || match[2] === undefined
    ? undefined
    : { sourceVersion: Number(match[1]), token: match[2] }
}

const templateLabel = (ref: LaunchTemplateRef): string =>
  `launch template ${ref.launchTemplateName} (${ref.launchTemplateId})`

const describeTemplate = (
  ref: LaunchTemplateRef,
  asgName: string,
): Effect.Effect<LaunchTemplate, Failure, Ec2> =>
  Ec2.use((ec2) => ec2.describeLaunchTemplate({ id: ref.launchTemplateId })).pipe(
    whenNotFound(
      () =>
        new LaunchSpecError({
          asgName,
          problem: `the group launches from ${templateLabel(ref)}, which does not exist`,
          fix: "point the group at an existing launch template (or recreate this one), then run again",
        }),
    ),
    inContext(`reading ${templateLabel(ref)} of group ${asgName}`),
  )

const missingVersion = (
  ref: LaunchTemplateRef,
  template: LaunchTemplate,
  asgName: string,
): LaunchSpecError => {
  switch (ref.version) {
    case "$Default":
      return new LaunchSpecError({
        asgName,
        problem: `the default version (${template.defaultVersionNumber}) of ${templateLabel(ref)} no longer exists`,
        fix: "make an existing version the template's default (ec2 modify-launch-template --default-version), then run again",
      })
    case "$Latest":
      return new LaunchSpecError({
        asgName,
        problem: `the latest version (${template.latestVersionNumber}) of ${templateLabel(ref)} no longer exists`,
        fix: "create a launch template version for the group to follow, then run again",
      })
    default:
      return new LaunchSpecError({
        asgName,
        problem: `the group pins version ${ref.version} of ${templateLabel(ref)}, which does not exist`,
        fix: "point the group at an existing version of the template, then run again",
      })
  }
}

const describeVersion = (
  ref: LaunchTemplateRef,
  template: LaunchTemplate,
  asgName: string,
): Effect.Effect<LaunchTemplateVersion, Failure, Ec2> =>
  Ec2.use((ec2) => ec2.describeLaunchTemplateVersions(template.launchTemplateId, [ref.version])).pipe(
    whenNotFound(() => missingVersion(ref, template, asgName)),
    Effect.flatMap((versions) => {
      const version = versions[0]
      return version === undefined
        ? Effect.fail(missingVersion(ref, template, asgName))
        : Effect.succeed(version)
    }),
    inContext(`reading version ${ref.version} of ${templateLabel(ref)} for group ${asgName}`),
  )

/** The template a reference names and the version it resolves to now (`$Latest`/`$Default` followed). */
export const resolveVersion = (
  ref: LaunchTemplateRef,
  asgName: string,
): Effect.Effect<
  { readonly template: LaunchTemplate; readonly version: LaunchTemplateVersion },
  Failure,
  Ec2
> =>
  Effect.gen(function* () {
    if (followedVersion(ref) === undefined && !/^\d+$/.test(ref.version))
      return yield* new LaunchSpecError({
        asgName,
        problem: `the group names version "${ref.version}" of ${templateLabel(ref)}, which is neither $Latest, $Default nor a version number`,
        fix: "point the group at $Latest, $Default or a version number of the template",
      })
    const template = yield* describeTemplate(ref, asgName)
    const version = yield* describeVersion(ref, template, asgName)
    return { template, version }
  })

/** The image a template reference launches now: the image of the version it resolves to, SSM references read. */
export const resolveTemplateRefImageId = (
  ref: LaunchTemplateRef,
  asgName: string,
): Effect.Effect<LaunchSpecImage, Failure, Ec2 | Ssm> =>
  Effect.gen(function* () {
    const { version } = yield* resolveVersion(ref, asgName)
    return yield* resolveStoredImageId({
      storedImageId: version.imageId,
      asgName,
      where: `version ${version.versionNumber} of launch template ${ref.launchTemplateName}`,
    })
  })

/**
 * Makes a template reference launch `imageId`: a copy of the resolved version with the new image
 * (`token` as ClientToken), made the default when the reference follows `$Default`; nothing when the
 * resolved version already holds that image id. Returns the
 * reference before and after; they differ only when the reference pins a number, which the caller
 * must then write into the group.
 */
export const pointTemplateRefAt = (input: {
  readonly ref: LaunchTemplateRef
  readonly imageId: string
  readonly token: string
  readonly asgName: string
}): Effect.Effect<{ readonly before: LaunchTemplateRef; readonly after: LaunchTemplateRef }, Failure, Ec2> =>
  Effect.gen(function* () {
    const { ref, imageId, token, asgName } = input
    const ec2 = yield* Ec2
    const { template, version } = yield* resolveVersion(ref, asgName)
    const provenance = provenanceOf(version)
    const alreadyApplied = provenance !== undefined && provenance.token === token
    // A reference that already launches the image needs no copy (a `resolve:ssm:` one still does: it can change under us).
    if (!alreadyApplied && version.imageId === imageId) return { before: ref, after: ref }
    const sourceVersion = alreadyApplied ? provenance.sourceVersion : version.versionNumber
    const newVersion = alreadyApplied
      ? version.versionNumber
      : (yield* ec2
          .createLaunchTemplateVersion({
            launchTemplateId: template.launchTemplateId,
            sourceVersion: String(sourceVersion),
            imageId,
            description: copyDescription(sourceVersion, imageId, token),
            idempotencyKey: token,
          })
          .pipe(
            inContext(
              `creating a version of ${templateLabel(ref)} with image ${imageId} for group ${asgName}`,
            ),
          )).versionNumber
    const follows = followedVersion(ref)
    if (follows === "$Default" && template.defaultVersionNumber !== newVersion)
      yield* ec2
        .setDefaultLaunchTemplateVersion(template.launchTemplateId, newVersion)
        .pipe(
          inContext(`making version ${newVersion} the default of ${templateLabel(ref)} for group ${asgName}`),
        )
    return follows === undefined
      ? { before: { ...ref, version: String(sourceVersion) }, after: { ...ref, version: String(newVersion) } }
      : { before: ref, after: ref }
  })

/**
 * Undoes `pointTemplateRefAt` for a reference that follows the template: `$Default` goes back to the
 * version the current default was copied from; `$Latest` gets a new version copied from that version
 * (versions cannot be reordered, and deleting the copy would lose its history). A followed version that
 * is not one of our copies was never changed, or was restored already: nothing to do. Pinned references
 * need nothing here — the caller writes them back into the group.
 */
export const restoreTemplateRef = (
  ref: LaunchTemplateRef,
  asgName: string,
): Effect.Effect<void, Failure, Ec2> =>
  Effect.gen(function* () {
    const ec2 = yield* Ec2
    const { template, version } = yield* resolveVersion(ref, asgName)
    const provenance = provenanceOf(version)
    const follows = followedVersion(ref)
    if (provenance === undefined || follows === undefined) return
    const original = yield* describeVersion(
      { ...ref, version: String(provenance.sourceVersion) },
      template,
      asgName,
    ).pipe(
      Effect.mapError((error) =>
        error._tag === "LaunchSpecError"
          ? new LaunchSpecError({
              asgName,
              problem: `version ${provenance.sourceVersion} of ${templateLabel(ref)}, which the group used before, no longer exists, so it cannot be put back`,
              fix: `make the version you want the group to use the template's ${follows === "$Default" ? "default" : "latest"} by hand`,
            })
          : error,
      ),
    )
    if (follows === "$Default")
      return yield* ec2
        .setDefaultLaunchTemplateVersion(template.launchTemplateId, original.versionNumber)
        .pipe(
          inContext(
            `making version ${original.versionNumber} the default of ${templateLabel(ref)} again for group ${asgName}`,
          ),
        )
    yield* ec2
      .createLaunchTemplateVersion({
        launchTemplateId: template.launchTemplateId,
        sourceVersion: String(original.versionNumber),
        imageId: original.imageId,
        description: restoreDescription(original.versionNumber),
        idempotencyKey: `ecs-ami-deploy-restore-${template.launchTemplateId}-${version.versionNumber}`,
      })
      .pipe(
        inContext(
          `copying version ${original.versionNumber} of ${templateLabel(ref)} back to $Latest for group ${asgName}`,
        ),
      )
  })

/**
 * Deletes the versions of one template beyond the newest `keep`, never the default, the latest (a
 * `$Latest` follower would silently move back) or a version any group pins. Returns `name:version` labels.
 */
export const cleanupTemplate = (input: {
  readonly ref: LaunchTemplateRef
  readonly keep: number
  readonly groups: ReadonlyArray<AutoScalingGroupDescription>
  readonly asgName: string
}): Effect.Effect<ReadonlyArray<string>, Failure, Ec2> =>
  Effect.gen(function* () {
    yield* checkKeep(input.keep, input.asgName)
    const ec2 = yield* Ec2
    const template = yield* describeTemplate(input.ref, input.asgName)
    const versions = yield* ec2
      .describeLaunchTemplateVersions(template.launchTemplateId)
      .pipe(
        inContext(
          `listing the versions of ${templateLabel(input.ref)} to clean up after group ${input.asgName}`,
        ),
      )
    const pinnedByAnyGroup = input.groups
      .flatMap((group) => templateRefsOf(group.launchSpec))
      .filter(
        (ref) => ref.launchTemplateId === template.launchTemplateId && followedVersion(ref) === undefined,
      )
      .map((ref) => Number(ref.version))
    const untouchable = new Set([
      template.defaultVersionNumber,
      template.latestVersionNumber,
      ...pinnedByAnyGroup,
    ])
    const doomed = [...versions]
      .sort((a, b) => b.versionNumber - a.versionNumber)
      .slice(input.keep)
      .map((version) => version.versionNumber)
      .filter((versionNumber) => !untouchable.has(versionNumber))
    if (doomed.length > 0)
      yield* ec2
        .deleteLaunchTemplateVersions(template.launchTemplateId, doomed)
        .pipe(inContext(`deleting old versions of ${templateLabel(input.ref)} after group ${input.asgName}`))
    return doomed.map((versionNumber) => `${template.launchTemplateName}:${versionNumber}`)
  })
