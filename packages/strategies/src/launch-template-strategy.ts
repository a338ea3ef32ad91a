/**
 * The launch-template strategy: for a group launching from one launch template, a new version copied
 * from the version the group resolves to, with only the image changed and the run's idempotency key as
 * ClientToken. A group following `$Latest` picks the copy up by itself; for `$Default` the copy becomes
 * the default; a pinned number is replaced by the copy's number in the group.
 */
import { Effect } from "effect"
import type { LaunchSpec } from "@ecs-ami-deploy/domain"
import type { LaunchSpecStrategy } from "./contracts.ts"
import { everyGroupAlongside, specOfKind, followedVersion, writeLaunchSpec } from "./launch-specs.ts"
import {
  cleanupTemplate,
  pointTemplateRefAt,
  resolveTemplateRefImageId,
  resolveVersion,
  restoreTemplateRef,
} from "./launch-template-versions.ts"

type LaunchTemplateSpec = Extract<LaunchSpec, { readonly _tag: "LaunchTemplate" }>

const launchTemplateSpecOf = specOfKind("LaunchTemplate", "launch-template")

/** The launch-template strategy (`launch-template`). */
export const launchTemplateStrategy = (): LaunchSpecStrategy => ({
  name: "launch-template",
  handles: (spec) => spec._tag === "LaunchTemplate",
  resolveImageId: (group) =>
    Effect.gen(function* () {
      const spec = yield* launchTemplateSpecOf(group)
      return yield* resolveTemplateRefImageId(spec.template, group.name)
    }),
  apply: ({ group, imageId, idempotencyKey }) =>
    Effect.gen(function* () {
      const spec = yield* launchTemplateSpecOf(group)
      const { before, after } = yield* pointTemplateRefAt({
        ref: spec.template,
        imageId,
        token: idempotencyKey,
        asgName: group.name,
      })
      const specBefore: LaunchTemplateSpec = { _tag: "LaunchTemplate", template: before }
      const specAfter: LaunchTemplateSpec = { _tag: "LaunchTemplate", template: after }
      yield* writeLaunchSpec(group, specAfter)
      return { before: specBefore, after: specAfter }
    }),
  restore: ({ group, launchSpec }) =>
    Effect.gen(function* () {
      const recorded = yield* launchTemplateSpecOf(group, launchSpec)
      // Checks the recorded version still exists (and, when followed, puts it back) before the group is touched.
      if (followedVersion(recorded.template) === undefined)
        yield* resolveVersion(recorded.template, group.name)
      else yield* restoreTemplateRef(recorded.template, group.name)
      yield* writeLaunchSpec(group, recorded)
    }),
  cleanup: ({ group, keep }) =>
    Effect.gen(function* () {
      const spec = yield* launchTemplateSpecOf(group)
      const groups = yield* everyGroupAlongside(group)
      const deleted = yield* cleanupTemplate({ ref: spec.template, keep, groups, asgName: group.name })
      return { deleted }
    }),
})
