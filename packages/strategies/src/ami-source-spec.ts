/**
 * An AMI source as data — what a configuration file, an environment variable or a command line can
 * name — and the one default every entry point uses: the CLI, the Lambda and the library all read
 * `defaultAmiSourceSpec` and build their source with `amiSourceFromSpec`, so a rollout started from
 * any of them rolls to the same image when nobody names one. The default is the Go tool's: the newest
 * Amazon-owned image named like `al2023-ami-ecs-hvm-*-x86_64`.
 */
import { Schema } from "effect"
import {
  amiIdPattern,
  defaultImageNamePattern,
  imageFilterSource,
  pinnedImageSource,
  ssmParameterSource,
} from "./ami-sources.ts"
import type { AmiSource } from "./contracts.ts"

const NonEmpty = Schema.String.pipe(Schema.check(Schema.isNonEmpty()))

/** The newest image whose name matches `namePattern` (`*` wildcards) among those the `owners` own. */
export const ImageFilterSpec = Schema.TaggedStruct("image-filter", {
  namePattern: NonEmpty,
  owners: Schema.Array(NonEmpty).pipe(Schema.check(Schema.isNonEmpty())),
})

/** The image an SSM parameter names (a plain id, or AWS's composite JSON with `image_id`). */
export const SsmParameterSpec = Schema.TaggedStruct("ssm-parameter", {
  parameterName: Schema.String.pipe(Schema.check(Schema.isStartingWith("/"))),
})

/** One pinned image id. */
export const PinnedImageSpec = Schema.TaggedStruct("pinned", {
  imageId: Schema.String.pipe(Schema.check(Schema.isPattern(amiIdPattern))),
})

export const AmiSourceSpec = Schema.Union([ImageFilterSpec, SsmParameterSpec, PinnedImageSpec])
/** Where a rollout's target image comes from, as data. */
export type AmiSourceSpec = typeof AmiSourceSpec.Type

/** The default of every entry point: the Go tool's name filter, owner `amazon`. */
export const defaultAmiSourceSpec: AmiSourceSpec = {
  _tag: "image-filter",
  namePattern: defaultImageNamePattern,
  owners: ["amazon"],
}

/** The AMI source plugin a spec describes. */
export const amiSourceFromSpec = (spec: AmiSourceSpec): AmiSource => {
  switch (spec._tag) {
    case "image-filter":
      return imageFilterSource({ namePattern: spec.namePattern, owners: spec.owners })
    case "ssm-parameter":
      return ssmParameterSource({ parameterName: spec.parameterName })
    case "pinned":
      return pinnedImageSource({ imageId: spec.imageId })
  }
}
