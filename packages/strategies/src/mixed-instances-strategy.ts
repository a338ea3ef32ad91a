/**
 * The mixed-instances strategy: a group whose mixed instances policy names a launch template, and
 * possibly other templates in its overrides. Every distinct template reference gets a new version
 * exactly as in the launch-template strategy; pinned references are rewritten in the policy.
 */
import { Effect } from "effect"
import type { LaunchSpec, LaunchTemplateRef } from "@ecs-ami-deploy/domain"
import type { LaunchSpecStrategy } from "./contracts.ts"
import {
  everyGroupAlongside,
  specOfKind,
  followedVersion,
  templateRefsOf,
  writeLaunchSpec,
} from "./launch-specs.ts"
import {
  cleanupTemplate,
  pointTemplateRefAt,
  resolveTemplateRefImageId,
  resolveVersion,
  restoreTemplateRef,
} from "./launch-template-versions.ts"

type MixedInstancesSpec = Extract<LaunchSpec, { readonly _tag: "MixedInstancesPolicy" }>

const mixedInstancesSpecOf = specOfKind("MixedInstancesPolicy", "mixed-instances-policy")

const refKey = (ref: LaunchTemplateRef): string => `${ref.launchTemplateId}@${ref.version}`

/** The spec's template references without repeats, main template first. */
const distinctRefs = (spec: MixedInstancesSpec): ReadonlyArray<LaunchTemplateRef> => [
  ...new Map(templateRefsOf(spec).map((ref) => [refKey(ref), ref])).values(),
]

const fnv1a = (text: string): string => {
  let hash = 0x811c9dc5
  for (let index = 0; index < text.length; index++)
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193) >>> 0
  return hash.toString(16).padStart(8, "0")
}

const maxTokenLength = 64

/**
 * One ClientToken per template reference (AWS refuses a token reused with other parameters): the run's
 * key for the main template, the key with the reference's position for the others, shortened with a
 * hash of the whole key when it would exceed 64 characters. Positions survive the rewrite of pinned
 * numbers, so a retry derives the same tokens.
 */
const tokenFor = (idempotencyKey: string, position: number): string => {
  if (position === 0) return idempotencyKey
  const suffix = `-${position}`
  return idempotencyKey.length + suffix.length <= maxTokenLength
    ? idempotencyKey + suffix
    : `${idempotencyKey.slice(0, maxTokenLength - suffix.length - 9)}-${fnv1a(idempotencyKey)}${suffix}`
}

const rewriteRefs = (
  spec: MixedInstancesSpec,
  replace: (ref: LaunchTemplateRef) => LaunchTemplateRef,
): MixedInstancesSpec => ({
  _tag: "MixedInstancesPolicy",
  template: replace(spec.template),
  overrides: spec.overrides.map((override) =>
    override.launchTemplate === undefined
      ? override
      : { ...override, launchTemplate: replace(override.launchTemplate) },
  ),
})

/** The mixed-instances-policy strategy (`mixed-instances-policy`). */
export const mixedInstancesStrategy = (): LaunchSpecStrategy => ({
  name: "mixed-instances-policy",
  handles: (spec) => spec._tag === "MixedInstancesPolicy",
  resolveImageId: (group) =>
    Effect.gen(function* () {
      const spec = yield* mixedInstancesSpecOf(group)
      return yield* resolveTemplateRefImageId(spec.template, group.name)
    }),
  apply: ({ group, imageId, idempotencyKey }) =>
    Effect.gen(function* () {
      const spec = yield* mixedInstancesSpecOf(group)
      const refs = distinctRefs(spec)
      // Every reference must resolve before the first copy is made, so a bad override changes nothing.
      yield* Effect.forEach(refs, (ref) => resolveVersion(ref, group.name), { discard: true })
      const pointed = new Map<
        string,
        { readonly before: LaunchTemplateRef; readonly after: LaunchTemplateRef }
      >()
      for (const [position, ref] of refs.entries())
        pointed.set(
          refKey(ref),
          yield* pointTemplateRefAt({
            ref,
            imageId,
            token: tokenFor(idempotencyKey, position),
            asgName: group.name,
          }),
        )
      const side = (which: "before" | "after") => (ref: LaunchTemplateRef) =>
        pointed.get(refKey(ref))?.[which] ?? ref
      const before = rewriteRefs(spec, side("before"))
      const after = rewriteRefs(spec, side("after"))
      yield* writeLaunchSpec(group, after)
      return { before, after }
    }),
  restore: ({ group, launchSpec }) =>
    Effect.gen(function* () {
      const recorded = yield* mixedInstancesSpecOf(group, launchSpec)
      const refs = distinctRefs(recorded)
      yield* Effect.forEach(refs, (ref) => resolveVersion(ref, group.name), { discard: true })
      const followed = refs.filter((ref) => followedVersion(ref) !== undefined)
      yield* Effect.forEach(followed, (ref) => restoreTemplateRef(ref, group.name), { discard: true })
      yield* writeLaunchSpec(group, recorded)
    }),
  cleanup: ({ group, keep }) =>
    Effect.gen(function* () {
      const spec = yield* mixedInstancesSpecOf(group)
      const groups = yield* everyGroupAlongside(group)
      const templates = [...new Map(templateRefsOf(spec).map((ref) => [ref.launchTemplateId, ref])).values()]
      const deleted: Array<string> = []
      for (const ref of templates)
        deleted.push(...(yield* cleanupTemplate({ ref, keep, groups, asgName: group.name })))
      return { deleted }
    }),
})
