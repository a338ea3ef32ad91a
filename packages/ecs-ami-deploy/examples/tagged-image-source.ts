/**
 * An example custom AMI source, kept as a template for your own plugins: the newest image carrying a
 * given tag (e.g. `pipeline=golden-ecs`) from an in-house image pipeline. It reaches AWS only through
 * the `Ec2` port, so it runs unchanged against AWS and the simulator. It imports only `effect` and the
 * library's public entry, so it can be copied into your project as it is; pass it as the `ami` option
 * of `upgradeCluster`/`planUpgrade` (or `Rollout.*`).
 */
import { Effect } from "effect"
// eslint-disable-next-line @nx/enforce-module-boundaries -- an example for users: it imports the public entry as their code does
import { type AmiSource, Ec2, ImageNotFound, newestImage } from "ecs-ami-deploy"

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
