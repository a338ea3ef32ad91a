/**
 * The launch-configuration strategy (legacy groups, as the Go tool's v1 handled them): a copy of the
 * group's configuration with the new image, named `<prefix>-<UTC yyyymmddThhmmss>` from Effect's
 * Clock, and the group switched to it. Configurations carry no description or tags, so idempotency
 * rests on what can be observed: a configuration under the prefix that already holds the target image
 * (copied from the same instance type, no older than the group's current one) is reused instead of
 * copied again, and a group already on such a configuration is left as it is.
 */
import { Clock, Effect } from "effect"
import type { AutoScalingGroupDescription, LaunchSpec } from "@ecs-ami-deploy/domain"
import { AutoScaling, type LaunchConfiguration } from "@ecs-ami-deploy/ports"
import { inContext } from "./aws-errors.ts"
import { LaunchSpecError, type LaunchSpecStrategy } from "./contracts.ts"
import { checkKeep, everyGroupAlongside, specOfKind, writeLaunchSpec } from "./launch-specs.ts"
import { resolveStoredImageId } from "./stored-image-id.ts"

type LaunchConfigurationSpec = Extract<LaunchSpec, { readonly _tag: "LaunchConfiguration" }>

export interface LaunchConfigurationOptions {
  /** Names are `<prefix>-<UTC yyyymmddThhmmss>`; the group's name when omitted (the Go tool's v1 default). */
  readonly namePrefix?: string
}

/** `20261126T051502` for 2026-11-26 05:15:02.xxx UTC. */
export const launchConfigurationTimestamp = (epochMillis: number): string =>
  new Date(epochMillis).toISOString().slice(0, 19).replaceAll("-", "").replaceAll(":", "")

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Whether a configuration name is one this strategy generated under `prefix`. */
export const isGeneratedName = (prefix: string) => {
  const pattern = new RegExp(`^${escapeRegExp(prefix)}-\\d{8}T\\d{6}$`)
  return (name: string): boolean => pattern.test(name)
}

const configurationSpecOf = specOfKind("LaunchConfiguration", "launch-configuration")

const describeConfiguration = (name: string, asgName: string) =>
  AutoScaling.use((autoScaling) => autoScaling.describeLaunchConfigurations([name])).pipe(
    inContext(`reading launch configuration ${name} of group ${asgName}`),
    Effect.flatMap((found) => {
      const configuration = found[0]
      return configuration === undefined
        ? Effect.fail(
            new LaunchSpecError({
              asgName,
              problem: `launch configuration ${name} does not exist`,
              fix: "point the group at an existing launch configuration (or a launch template), then run again",
            }),
          )
        : Effect.succeed(configuration)
    }),
  )

/** The newest configuration an earlier attempt made: generated under the prefix, with the image, copied from the same instance type after the source. */
const earlierCopy = (input: {
  readonly configurations: ReadonlyArray<LaunchConfiguration>
  readonly source: LaunchConfiguration
  readonly imageId: string
  readonly generated: (name: string) => boolean
}): LaunchConfiguration | undefined =>
  input.configurations
    .filter(
      (candidate) =>
        input.generated(candidate.name) &&
        candidate.imageId === input.imageId &&
        candidate.instanceType === input.source.instanceType &&
        candidate.createdAt >= input.source.createdAt,
    )
    .sort((a, b) => b.createdAt - a.createdAt)[0]

/** The launch-configuration strategy (`launch-configuration`). */
export const launchConfigurationStrategy = (options: LaunchConfigurationOptions = {}): LaunchSpecStrategy => {
  const prefixOf = (group: AutoScalingGroupDescription): string => options.namePrefix ?? group.name
  return {
    name: "launch-configuration",
    handles: (spec) => spec._tag === "LaunchConfiguration",
    resolveImageId: (group) =>
      Effect.gen(function* () {
        const spec = yield* configurationSpecOf(group)
        const configuration = yield* describeConfiguration(spec.launchConfigurationName, group.name)
        return yield* resolveStoredImageId({
          storedImageId: configuration.imageId,
          asgName: group.name,
          where: `launch configuration ${configuration.name}`,
        })
      }),
    apply: ({ group, imageId }) =>
      Effect.gen(function* () {
        const spec = yield* configurationSpecOf(group)
        const current = yield* describeConfiguration(spec.launchConfigurationName, group.name)
        if (current.imageId === imageId) return { before: spec, after: spec }
        const autoScaling = yield* AutoScaling
        const configurations = yield* autoScaling
          .describeLaunchConfigurations()
          .pipe(inContext(`listing launch configurations to find an earlier copy for group ${group.name}`))
        const copy =
          earlierCopy({
            configurations,
            source: current,
            imageId,
            generated: isGeneratedName(prefixOf(group)),
          }) ??
          (yield* Effect.gen(function* () {
            const name = `${prefixOf(group)}-${launchConfigurationTimestamp(yield* Clock.currentTimeMillis)}`
            return yield* autoScaling
              .copyLaunchConfiguration({ sourceName: current.name, name, imageId })
              .pipe(
                inContext(
                  `copying launch configuration ${current.name} to ${name} with image ${imageId} for group ${group.name}`,
                ),
              )
          }))
        const after: LaunchConfigurationSpec = {
          _tag: "LaunchConfiguration",
          launchConfigurationName: copy.name,
        }
        yield* writeLaunchSpec(group, after)
        return { before: spec, after }
      }),
    restore: ({ group, launchSpec }) =>
      Effect.gen(function* () {
        const recorded = yield* configurationSpecOf(group, launchSpec)
        yield* describeConfiguration(recorded.launchConfigurationName, group.name)
        yield* writeLaunchSpec(group, recorded)
      }),
    cleanup: ({ group, keep }) =>
      Effect.gen(function* () {
        yield* checkKeep(keep, group.name)
        const autoScaling = yield* AutoScaling
        const generated = isGeneratedName(prefixOf(group))
        const groups = yield* everyGroupAlongside(group)
        const inUse = new Set(
          groups.flatMap((other) =>
            other.launchSpec._tag === "LaunchConfiguration" ? [other.launchSpec.launchConfigurationName] : [],
          ),
        )
        const doomed = (yield* autoScaling
          .describeLaunchConfigurations()
          .pipe(inContext(`listing launch configurations to clean up after group ${group.name}`)))
          .map((configuration) => configuration.name)
          .filter(generated)
          // The timestamp in the name sorts newest first as text.
          .sort((a, b) => b.localeCompare(a))
          .slice(keep)
          .filter((name) => !inUse.has(name))
        for (const name of doomed)
          yield* autoScaling
            .deleteLaunchConfiguration(name)
            .pipe(inContext(`deleting launch configuration ${name} after group ${group.name}`))
        return { deleted: doomed }
      }),
  }
}
