/**
 * The built-in AMI sources: the newest image matching a name filter (the Go tool's way), the image an
 * SSM parameter names (AWS's public ECS-optimized parameters, plain or the composite JSON one), and a
 * pinned image id. Every "found nothing" is an `ImageNotFound` that says what was looked for and what
 * to change — the Go tool crashed with a nil dereference instead.
 */
import { Effect, Schema } from "effect"
import type { Architecture, AwsCallError, Image } from "@ecs-ami-deploy/domain"
import { Ec2, Ssm } from "@ecs-ami-deploy/ports"
import { inContext, whenNotFound } from "./aws-errors.ts"
import { type AmiSource, ImageNotFound } from "./contracts.ts"

/** The Go tool's default name filter: Amazon's ECS-optimized Amazon Linux 2023 images for x86_64. */
export const defaultImageNamePattern = "al2023-ami-ecs-hvm-*-x86_64"
/** AWS's public parameter naming the recommended ECS-optimized Amazon Linux 2023 image. */
export const defaultEcsImageParameter =
  "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"

/** What an AMI id looks like. */
export const amiIdPattern = /^ami-[0-9a-f]{8,17}$/

/** The newest of some images by creation date; `undefined` for none. */
export const newestImage = (images: ReadonlyArray<Image>): Image | undefined =>
  images.reduce<Image | undefined>(
    (newest, image) => (newest === undefined || image.creationDate > newest.creationDate ? image : newest),
    undefined,
  )

/** The image with this id, when EC2 knows it and it is available to launch. */
const availableImageById = (
  source: string,
  imageId: string,
  foundVia: string,
): Effect.Effect<Image, ImageNotFound | AwsCallError, Ec2> =>
  Ec2.use((ec2) => ec2.describeImages({ _tag: "ByIds", imageIds: [imageId] })).pipe(
    // EC2 answers an unknown id with InvalidAMIID.NotFound rather than an empty list: the same thing here.
    Effect.catchIf(
      (error) => error.kind === "not-found",
      () => Effect.succeed<ReadonlyArray<Image>>([]),
    ),
    inContext(`describing image ${imageId} (${foundVia})`),
    Effect.flatMap((images) => {
      const image = images.find((candidate) => candidate.imageId === imageId)
      if (image === undefined)
        return Effect.fail(
          new ImageNotFound({
            source,
            problem: `${foundVia} names image ${imageId}, which EC2 does not know in this Region (deregistered, not shared with this account, or another Region's)`,
            fix: "name an image that exists in this Region and account",
          }),
        )
      if (image.state !== "available")
        return Effect.fail(
          new ImageNotFound({
            source,
            problem: `${foundVia} names image ${imageId}, whose state is ${image.state}`,
            fix:
              image.state === "pending"
                ? "wait until the image is available, then run again"
                : "name an available image",
          }),
        )
      return Effect.succeed(image)
    }),
  )

export interface ImageFilterOptions {
  /** Image name with `*` wildcards; default {@link defaultImageNamePattern}. */
  readonly namePattern?: string
  /** Default `["amazon"]`. */
  readonly owners?: ReadonlyArray<string>
  /** Overrides the architecture the rollout asks for (the cluster's). */
  readonly architecture?: Architecture
  /** Deprecated images are skipped unless this is set. */
  readonly includeDeprecated?: boolean
}

/** The newest available image matching a name pattern (`image-filter`). */
export const imageFilterSource = (options: ImageFilterOptions = {}): AmiSource => {
  const namePattern = options.namePattern ?? defaultImageNamePattern
  const owners = options.owners ?? ["amazon"]
  const includeDeprecated = options.includeDeprecated ?? false
  const name = "image-filter"
  return {
    name,
    description: `newest ${owners.join("/")} image named ${namePattern}${includeDeprecated ? ", deprecated ones included" : ""}`,
    resolve: (context) =>
      Effect.gen(function* () {
        if (namePattern.trim() === "" || owners.length === 0)
          return yield* new ImageNotFound({
            source: name,
            problem:
              namePattern.trim() === "" ? "the image name pattern is empty" : "no image owners were given",
            fix: `give a name pattern such as ${defaultImageNamePattern} and at least one owner (e.g. amazon, self or an account id)`,
          })
        const architecture = options.architecture ?? context.architecture
        const images = yield* Ec2.use((ec2) =>
          ec2.describeImages({
            _tag: "ByFilter",
            namePattern,
            owners,
            includeDeprecated,
            ...(architecture === undefined ? {} : { architecture }),
          }),
        ).pipe(inContext(`looking for the newest image named ${namePattern}`))
        const newest = newestImage(images.filter((image) => image.state === "available"))
        if (newest === undefined)
          return yield* new ImageNotFound({
            source: name,
            problem:
              `no available image owned by ${owners.join(" or ")} is named ${namePattern}` +
              (architecture === undefined ? "" : ` for architecture ${architecture}`) +
              (includeDeprecated ? "" : " (deprecated images skipped)"),
            fix: "check the name pattern (wildcard *), the owners and the architecture, or allow deprecated images",
          })
        return newest
      }),
  }
}

/** The composite `.../recommended` parameter: a JSON document naming the image among other facts. */
const RecommendedImageDocument = Schema.fromJsonString(Schema.Struct({ image_id: Schema.String }))
const decodeRecommendedImageDocument = Schema.decodeUnknownEffect(RecommendedImageDocument)

/** The image id an SSM parameter value holds: an AMI id, or a JSON document with `image_id`. */
const imageIdInParameter = (
  source: string,
  parameterName: string,
  value: string,
): Effect.Effect<string, ImageNotFound> => {
  const trimmed = value.trim()
  const imageId = trimmed.startsWith("{")
    ? decodeRecommendedImageDocument(trimmed).pipe(
        Effect.map((document) => document.image_id),
        Effect.mapError(
          (error) =>
            new ImageNotFound({
              source,
              problem: `SSM parameter ${parameterName} holds JSON without a usable image_id (${error.message})`,
              fix: "name a parameter whose value is an AMI id or a JSON document with image_id (e.g. .../recommended or .../recommended/image_id)",
            }),
        ),
      )
    : Effect.succeed(trimmed)
  return Effect.flatMap(imageId, (id) =>
    amiIdPattern.test(id)
      ? Effect.succeed(id)
      : Effect.fail(
          new ImageNotFound({
            source,
            problem: `SSM parameter ${parameterName} holds "${id.slice(0, 80)}", which is not an AMI id`,
            fix: "name a parameter whose value is an AMI id (ami-…) or a JSON document with image_id",
          }),
        ),
  )
}

export interface SsmParameterOptions {
  /** Default {@link defaultEcsImageParameter}. */
  readonly parameterName?: string
}

/** The image an SSM parameter names (`ssm-parameter`). */
export const ssmParameterSource = (options: SsmParameterOptions = {}): AmiSource => {
  const parameterName = options.parameterName ?? defaultEcsImageParameter
  const name = "ssm-parameter"
  return {
    name,
    description: `image named by SSM parameter ${parameterName}`,
    resolve: () =>
      Effect.gen(function* () {
        const parameter = yield* Ssm.use((ssm) => ssm.getParameter(parameterName)).pipe(
          whenNotFound(
            () =>
              new ImageNotFound({
                source: name,
                problem: `SSM parameter ${parameterName} does not exist in this Region`,
                fix: "check the parameter name and the Region (AWS's public ones live under /aws/service/ecs/optimized-ami/)",
              }),
          ),
          inContext(`reading SSM parameter ${parameterName}`),
        )
        const imageId = yield* imageIdInParameter(name, parameterName, parameter.value)
        return yield* availableImageById(name, imageId, `SSM parameter ${parameterName}`)
      }),
  }
}

/** One given image, checked to exist (`pinned-image`). */
export const pinnedImageSource = (options: { readonly imageId: string }): AmiSource => {
  const name = "pinned-image"
  return {
    name,
    description: `pinned image ${options.imageId}`,
    resolve: () =>
      amiIdPattern.test(options.imageId)
        ? availableImageById(name, options.imageId, "the pinned image id")
        : Effect.fail(
            new ImageNotFound({
              source: name,
              problem: `"${options.imageId}" is not an AMI id`,
              fix: "give an image id such as ami-0123456789abcdef0",
            }),
          ),
  }
}
