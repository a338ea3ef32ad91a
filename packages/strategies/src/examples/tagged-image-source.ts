/**
 * An example custom AMI source, kept as a template for your own plugins: the newest image carrying a
 * given tag (e.g. `pipeline=golden-ecs`) from an in-house image pipeline. It reaches AWS only through
 * the `Ec2` port, so it runs unchanged against AWS and the simulator; register it with
 * `Plugins.of({ launchSpecStrategies: builtInLaunchSpecStrategies(), amiSource: taggedImageSource(...) })`.
 */
import { Effect } from "effect"
import { Ec2 } from "@ecs-ami-deploy/ports"
import { type AmiSource, ImageNotFound } from "../contracts.ts"
import { newestImage } from "../ami-sources.ts"

export interface TaggedImageOptions {
  readonly tagKey: string
  readonly tagValue: string
  /** Default `["self"]`: images your own account built. */
  readonly owners?: ReadonlyArray<string>
  /** Narrows the search further; default `*`. */
  readonly namePattern?: string
}

/** The newest available image tagged `tagKey=tagValue` (`tagged-image`). */
export const taggedImageSource = (options: TaggedImageOptions): AmiSource => {
  const owners = options.owners ?? ["self"]
  const namePattern = options.namePattern ?? "*"
  const tag = `${options.tagKey}=${options.tagValue}`
  return {
    name: "tagged-image",
    description: `newest ${owners.join("/")} image tagged ${tag}`,
    resolve: (context) =>
      Effect.gen(function* () {
        const images = yield* Ec2.use((ec2) =>
          ec2.describeImages({
            _tag: "ByFilter",
            namePattern,
            owners,
            tags: { [options.tagKey]: options.tagValue },
            includeDeprecated: false,
            ...(context.architecture === undefined ? {} : { architecture: context.architecture }),
          }),
        )
        const newest = newestImage(
          images.filter(
            (image) => image.state === "available" && image.tags[options.tagKey] === options.tagValue,
          ),
        )
        if (newest === undefined)
          return yield* new ImageNotFound({
            source: "tagged-image",
            problem:
              `no available image owned by ${owners.join(" or ")} is tagged ${tag}` +
              (context.architecture === undefined ? "" : ` for architecture ${context.architecture}`),
            fix: `check that the image pipeline tags its images ${tag} and shares them with this account`,
          })
        return newest
      }),
  }
}
