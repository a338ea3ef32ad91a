/**
 * Plugin contracts. A launch-spec strategy knows one way an Auto Scaling group launches instances
 * (launch template, launch configuration, mixed instances policy): it reads which image the group
 * really uses, points the group at a target image, puts the old spec back, and cleans up old specs.
 * An AMI source decides which image a rollout targets. Apps register plugins explicitly; users can
 * pass their own. Plugins reach AWS only through the ports, so they run unchanged on the simulator.
 */
import { Context, type Effect, Schema } from "effect"
import type {
  Architecture,
  AutoScalingGroupDescription,
  AwsCallError,
  Image,
  LaunchSpec,
} from "@ecs-ami-deploy/domain"
import type { AutoScaling, Ec2, Ssm } from "@ecs-ami-deploy/ports"

/** The AMI source found no image (filter matched nothing, parameter missing, pinned id unknown). */
export class ImageNotFound extends Schema.TaggedError<ImageNotFound>()("ImageNotFound", {
  source: Schema.String,
  problem: Schema.String,
  fix: Schema.String,
}) {
  override get message(): string {
    return `${this.source}: ${this.problem} — ${this.fix}`
  }
}

/** A launch spec the strategy cannot work with (unknown template, deleted default version, no strategy for it). */
export class LaunchSpecError extends Schema.TaggedError<LaunchSpecError>()("LaunchSpecError", {
  asgName: Schema.String,
  problem: Schema.String,
  fix: Schema.String,
}) {
  override get message(): string {
    return `${this.asgName}: ${this.problem} — ${this.fix}`
  }
}

/**
 * The image a launch spec launches now; `ssmParameter` names the SSM parameter it is read from when the
 * spec stores `resolve:ssm:<name>` instead of an AMI id (EC2 reads the parameter at each launch).
 */
export interface LaunchSpecImage {
  readonly imageId: string
  readonly ssmParameter?: string
}

/** What plugins may use: the AWS ports, nothing else. */
export type PluginServices = Ec2 | AutoScaling | Ssm

export interface LaunchSpecStrategy {
  /** Stable name, e.g. `launch-template`. */
  readonly name: string
  readonly handles: (spec: LaunchSpec) => boolean
  /** The AMI the group's spec resolves to now (a followed `$Latest`/`$Default`, a `resolve:ssm:` parameter). */
  readonly resolveImageId: (
    group: AutoScalingGroupDescription,
  ) => Effect.Effect<LaunchSpecImage, LaunchSpecError | AwsCallError, PluginServices>
  /**
   * Points the group at `imageId`, changing nothing else, and returns the spec before and after.
   * Calling it again with the same `idempotencyKey` must not create a second version or configuration.
   */
  readonly apply: (input: {
    readonly group: AutoScalingGroupDescription
    readonly imageId: string
    readonly idempotencyKey: string
  }) => Effect.Effect<
    { readonly before: LaunchSpec; readonly after: LaunchSpec },
    LaunchSpecError | AwsCallError,
    PluginServices
  >
  /** Puts a recorded spec back (rollback). */
  readonly restore: (input: {
    readonly group: AutoScalingGroupDescription
    readonly launchSpec: LaunchSpec
  }) => Effect.Effect<void, LaunchSpecError | AwsCallError, PluginServices>
  /** Deletes old versions/configurations beyond the newest `keep`; never one in use, the default, or another group's. */
  readonly cleanup: (input: {
    readonly group: AutoScalingGroupDescription
    readonly keep: number
  }) => Effect.Effect<
    { readonly deleted: ReadonlyArray<string> },
    LaunchSpecError | AwsCallError,
    PluginServices
  >
}

export interface AmiSource {
  /** Stable name, e.g. `image-filter`. */
  readonly name: string
  /** One line for plans and logs, e.g. `newest amazon image named al2023-ami-ecs-hvm-*-x86_64`. */
  readonly description: string
  readonly resolve: (context: {
    readonly architecture?: Architecture
  }) => Effect.Effect<Image, ImageNotFound | AwsCallError, PluginServices>
}

/** The plugins a run uses, registered explicitly by the app (or the library caller). */
export class Plugins extends Context.Service<
  Plugins,
  { readonly launchSpecStrategies: ReadonlyArray<LaunchSpecStrategy>; readonly amiSource: AmiSource }
>()("@ecs-ami-deploy/strategies/Plugins") {}
