/**
 * The AWS-facing ports: EC2, Auto Scaling, ECS and SSM, reduced to what a rollout needs. Reads return
 * decoded domain views; a resource that does not exist (yet) is simply absent from a describe result
 * (EC2 is eventually consistent), while a call on a named missing resource fails with kind `not-found`.
 * Mutating calls that AWS lets us make idempotent take an `idempotencyKey` (at most 64 characters).
 */
import { Context, type Effect } from "effect"
import type {
  Architecture,
  AutoScalingGroupDescription,
  AwsCallError,
  ContainerInstance,
  Ec2Instance,
  Image,
  LaunchSpec,
  Service,
  Tags,
  Task,
} from "@ecs-ami-deploy/domain"

type Call<A> = Effect.Effect<A, AwsCallError>

/** Which images to describe: by id, or by a name pattern (`*` wildcards) with optional owners, architecture and tags. */
export type ImageQuery =
  | { readonly _tag: "ByIds"; readonly imageIds: ReadonlyArray<string> }
  | {
      readonly _tag: "ByFilter"
      readonly namePattern: string
      readonly owners: ReadonlyArray<string>
      readonly architecture?: Architecture
      readonly tags?: Tags
      readonly includeDeprecated: boolean
    }

export interface LaunchTemplate {
  readonly launchTemplateId: string
  readonly launchTemplateName: string
  readonly defaultVersionNumber: number
  readonly latestVersionNumber: number
}

export interface LaunchTemplateVersion {
  readonly launchTemplateId: string
  readonly versionNumber: number
  /** As stored: an AMI id, or `resolve:ssm:<parameter>`. */
  readonly imageId: string
  readonly instanceType?: string
  readonly createdAt: number
  readonly isDefault: boolean
  readonly description?: string
  /** The instance profile its instances get, by name or ARN as stored (`IamInstanceProfile`). */
  readonly iamInstanceProfile?: string
}

export interface LaunchConfiguration {
  readonly name: string
  readonly imageId: string
  readonly instanceType: string
  readonly createdAt: number
  /** The instance profile its instances get, by name or ARN as stored (`IamInstanceProfile`). */
  readonly iamInstanceProfile?: string
}

export class Ec2 extends Context.Service<
  Ec2,
  {
    /** Instances by id; ids EC2 does not know (yet) are absent from the result, not an error. */
    readonly describeInstances: (instanceIds: ReadonlyArray<string>) => Call<ReadonlyArray<Ec2Instance>>
    readonly describeImages: (query: ImageQuery) => Call<ReadonlyArray<Image>>
    readonly createTags: (resourceIds: ReadonlyArray<string>, tags: Tags) => Call<void>
    readonly terminateInstances: (instanceIds: ReadonlyArray<string>) => Call<void>
    /**
     * The ids among these whose `DisableApiTermination` attribute is on (EC2 TerminateInstances refuses
     * them; Auto Scaling does not). DescribeInstances does not report it: one DescribeInstanceAttribute
     * request per instance, so ask only when it matters (detach mode's start).
     */
    readonly terminationProtectedIds: (instanceIds: ReadonlyArray<string>) => Call<ReadonlyArray<string>>
    /** By id or name; `not-found` when neither matches. */
    readonly describeLaunchTemplate: (ref: {
      readonly id?: string
      readonly name?: string
    }) => Call<LaunchTemplate>
    /** The given versions (numbers, `$Latest`, `$Default`), or every version when `versions` is omitted. */
    readonly describeLaunchTemplateVersions: (
      launchTemplateId: string,
      versions?: ReadonlyArray<string>,
    ) => Call<ReadonlyArray<LaunchTemplateVersion>>
    /** A new version copied from `sourceVersion` with only the image changed. */
    readonly createLaunchTemplateVersion: (input: {
      readonly launchTemplateId: string
      readonly sourceVersion: string
      readonly imageId: string
      readonly description: string
      readonly idempotencyKey: string
    }) => Call<LaunchTemplateVersion>
    readonly setDefaultLaunchTemplateVersion: (launchTemplateId: string, versionNumber: number) => Call<void>
    readonly deleteLaunchTemplateVersions: (
      launchTemplateId: string,
      versionNumbers: ReadonlyArray<number>,
    ) => Call<void>
  }
>()("@ecs-ami-deploy/ports/Ec2") {}

export class AutoScaling extends Context.Service<
  AutoScaling,
  {
    /** Groups by name; unknown names are absent from the result. An empty list describes every group of the Region, as in AWS. */
    readonly describeGroups: (
      names: ReadonlyArray<string>,
    ) => Call<ReadonlyArray<AutoScalingGroupDescription>>
    /** One UpdateAutoScalingGroup call: capacity and/or launch spec. */
    readonly updateGroup: (input: {
      readonly asgName: string
      readonly desiredCapacity?: number
      readonly minSize?: number
      readonly maxSize?: number
      readonly launchSpec?: LaunchSpec
    }) => Call<void>
    readonly detachInstances: (
      asgName: string,
      instanceIds: ReadonlyArray<string>,
      decrementDesiredCapacity: boolean,
    ) => Call<void>
    /**
     * AttachInstances: each instance must be running, in no other group and in one of the group's zones.
     * Desired capacity rises by the number attached; AWS refuses the call when that would exceed max size,
     * so callers raise max first. AWS takes at most 20 ids a request; adapters batch.
     */
    readonly attachInstances: (asgName: string, instanceIds: ReadonlyArray<string>) => Call<void>
    readonly terminateInstanceInGroup: (instanceId: string, decrementDesiredCapacity: boolean) => Call<void>
    readonly suspendProcesses: (asgName: string, processes: ReadonlyArray<string>) => Call<void>
    readonly resumeProcesses: (asgName: string, processes: ReadonlyArray<string>) => Call<void>
    readonly describeLaunchConfigurations: (
      names?: ReadonlyArray<string>,
    ) => Call<ReadonlyArray<LaunchConfiguration>>
    /** A copy of `sourceName` under `name` with only the image changed. */
    readonly copyLaunchConfiguration: (input: {
      readonly sourceName: string
      readonly name: string
      readonly imageId: string
    }) => Call<LaunchConfiguration>
    readonly deleteLaunchConfiguration: (name: string) => Call<void>
  }
>()("@ecs-ami-deploy/ports/AutoScaling") {}

export interface ClusterDescription {
  readonly clusterName: string
  readonly status: "ACTIVE" | "PROVISIONING" | "DEPROVISIONING" | "FAILED" | "INACTIVE"
  readonly capacityProviders: ReadonlyArray<string>
  readonly registeredContainerInstancesCount: number
  readonly runningTasksCount: number
  readonly pendingTasksCount: number
  readonly activeServicesCount: number
}

export interface CapacityProvider {
  readonly name: string
  readonly asgName?: string
  readonly managedScaling: boolean
  readonly managedTerminationProtection: boolean
  readonly managedDraining: boolean
}

/** ECS's per-request limits (AWS API reference): ids beyond them go in further requests. */
export const ecsLimits = {
  listPage: 100,
  describeContainerInstances: 100,
  updateContainerInstancesState: 10,
  describeServices: 10,
  describeTasks: 100,
  describeCapacityProviders: 100,
} as const

export class Ecs extends Context.Service<
  Ecs,
  {
    readonly listClusters: () => Call<ReadonlyArray<string>>
    /** `not-found` for an unknown or INACTIVE cluster. */
    readonly describeCluster: (clusterName: string) => Call<ClusterDescription>
    readonly describeCapacityProviders: (
      names: ReadonlyArray<string>,
    ) => Call<ReadonlyArray<CapacityProvider>>
    /**
     * Every container instance of the cluster in any status (list + describe, paginated and batched), or,
     * given `containerInstanceArns`, only those (DescribeContainerInstances alone: a deregistered one is absent).
     */
    readonly containerInstances: (
      clusterName: string,
      containerInstanceArns?: ReadonlyArray<string>,
    ) => Call<ReadonlyArray<ContainerInstance>>
    /**
     * Every service of the cluster (ListServices + DescribeServices), or, given `serviceArns`, only those
     * (DescribeServices alone: a service deleted since is absent or INACTIVE).
     */
    readonly services: (
      clusterName: string,
      serviceArns?: ReadonlyArray<string>,
    ) => Call<ReadonlyArray<Service>>
    /** Every task the cluster has not yet forgotten: desired RUNNING and recently STOPPED ones. */
    readonly tasks: (clusterName: string) => Call<ReadonlyArray<Task>>
    /** The ARNs of the cluster's tasks with this desired status (ListTasks, paginated). */
    readonly listTaskArns: (
      clusterName: string,
      desiredStatus: "RUNNING" | "STOPPED",
    ) => Call<ReadonlyArray<string>>
    /** Tasks by ARN (DescribeTasks, batched); tasks ECS no longer knows are absent from the result. */
    readonly describeTasks: (
      clusterName: string,
      taskArns: ReadonlyArray<string>,
    ) => Call<ReadonlyArray<Task>>
    readonly updateContainerInstancesState: (
      clusterName: string,
      containerInstanceArns: ReadonlyArray<string>,
      status: "ACTIVE" | "DRAINING",
    ) => Call<void>
    readonly stopTask: (clusterName: string, taskArn: string, reason: string) => Call<void>
  }
>()("@ecs-ami-deploy/ports/Ecs") {}

export interface SsmParameter {
  readonly name: string
  readonly value: string
  readonly version: number
  readonly lastModified: number
}

export class Ssm extends Context.Service<
  Ssm,
  {
    /** `not-found` when the parameter does not exist. */
    readonly getParameter: (name: string) => Call<SsmParameter>
  }
>()("@ecs-ami-deploy/ports/Ssm") {}
