/**
 * The records the simulated world is made of (images, templates, instances, groups, container
 * instances, services, tasks, measurements) and the `Refusal` a call AWS would refuse throws. Plain
 * mutable data held by the world record (world.ts): the behaviour lives in world/*.ts, the views the
 * ports return in sim-ports.ts.
 */
import type { AsgLifecycleState, AwsErrorKind, InstanceState, LaunchSpec } from "@ecs-ami-deploy/domain"
import type { LifecycleHook } from "./scenario.ts"

/** A call AWS would refuse: the port layer reports it as an `AwsCallError` of this kind and code. */
export class Refusal extends Error {
  readonly kind: AwsErrorKind
  readonly code: string
  constructor(kind: AwsErrorKind, code: string, message: string) {
    super(message)
    this.kind = kind
    this.code = code
  }
}

export interface ImageRecord {
  readonly imageId: string
  readonly name: string
  readonly ownerId: string
  readonly ownerAlias?: string
  readonly creationDate: number
  readonly architecture: "x86_64" | "arm64"
  readonly deprecationTime?: number
  state: "available" | "deregistered"
  readonly tags: Readonly<Record<string, string>>
}

export interface SsmRecord {
  readonly name: string
  value: string
  version: number
  lastModified: number
}

export interface TemplateVersionRecord {
  readonly versionNumber: number
  readonly imageId: string
  readonly instanceType: string
  readonly description?: string
  readonly iamInstanceProfile?: string
  readonly createdAt: number
}

export interface TemplateRecord {
  readonly launchTemplateId: string
  readonly launchTemplateName: string
  readonly versions: Map<number, TemplateVersionRecord>
  defaultVersion: number
  latestVersion: number
  /** ClientToken → (version created, source version and image asked for), for idempotent retries. */
  readonly clientTokens: Map<string, { readonly versionNumber: number; readonly request: string }>
}

export interface LaunchConfigurationRecord {
  readonly name: string
  readonly imageId: string
  readonly instanceType: string
  readonly iamInstanceProfile?: string
  readonly createdAt: number
}

/** Which launch spec an instance came from, for the "oldest launch template/configuration" termination rule. */
export type LaunchOrigin =
  | { readonly kind: "template"; readonly launchTemplateId: string; readonly version: number }
  | { readonly kind: "configuration"; readonly name: string }
  /** Joined through AttachInstances: launched by no launch spec of the group. */
  | { readonly kind: "attached" }

export interface GroupMembership {
  readonly groupName: string
  lifecycle: AsgLifecycleState
  health: "Healthy" | "Unhealthy"
  protectedFromScaleIn: boolean
  readonly origin: LaunchOrigin
}

export interface InstanceRecord {
  readonly instanceId: string
  readonly imageId: string
  readonly instanceType: string
  readonly architecture: "x86_64" | "arm64"
  readonly availabilityZone: string
  state: InstanceState
  readonly launchTime: number
  readonly visibleAt: number
  readonly lifecycle: "on-demand" | "spot"
  terminationProtected: boolean
  readonly tags: Record<string, string>
  readonly clusterName?: string
  membership?: GroupMembership
  containerInstanceArn?: string
  terminatedAt?: number
}

/** An instance known to belong to a group. */
export type MemberRecord = InstanceRecord & { membership: GroupMembership }

export const isMember = (instance: InstanceRecord | undefined): instance is MemberRecord =>
  instance?.membership !== undefined

export interface GroupRecord {
  readonly name: string
  readonly clusterName: string
  minSize: number
  maxSize: number
  desiredCapacity: number
  readonly availabilityZones: ReadonlyArray<string>
  readonly suspendedProcesses: Set<string>
  launchSpec: LaunchSpec
  readonly tags: Record<string, string>
  /** Member instance ids in launch order. */
  readonly members: Array<string>
  /** Lifecycle hooks; `managedDraining` marks the one ECS managed instance draining completes. */
  readonly lifecycleHooks: ReadonlyArray<LifecycleHook & { readonly managedDraining: boolean }>
  /** The extra instance AZRebalance launched and has not yet balanced out by a termination. */
  rebalanceInstanceId?: string
  reconcileScheduled: boolean
  /** No launch is tried before this time (after a failed launch). */
  launchBlockedUntil: number
  /** Round-robin position over a mixed instances policy's overrides. */
  overrideCursor: number
  /** Set while an instance refresh runs (one per group). */
  instanceRefresh?: InstanceRefreshRecord
}

export interface InstanceRefreshRecord {
  readonly id: string
  readonly minHealthyPercentage: number
  /** Above 100: replacements are launched before old instances are terminated. */
  readonly maxHealthyPercentage: number
  readonly instanceWarmupMs: number
  status: "InProgress" | "Successful" | "Failed"
  /** Instances still to replace (those that existed when the refresh started). */
  readonly remaining: Array<string>
  /** Instances it has terminated, in order. */
  readonly terminated: Array<string>
  /** A re-check is already queued (one at a time, however many instances come InService meanwhile). */
  checkScheduled: boolean
  /** Members the group holds beyond desired capacity for the refresh (launch before terminating). */
  extraCapacity: number
}

export interface ScalingActivityRecord {
  readonly activityId: string
  readonly asgName: string
  status: "InProgress" | "Successful" | "Failed" | "Cancelled"
  readonly description: string
  readonly cause: string
  readonly startTime: number
}

export interface ResourcesRecord {
  readonly cpu: number
  readonly memory: number
  readonly ports: ReadonlyArray<number>
}

export interface ContainerInstanceRecord {
  readonly containerInstanceArn: string
  readonly clusterName: string
  readonly ec2InstanceId: string
  status: "ACTIVE" | "DRAINING" | "INACTIVE"
  agentConnected: boolean
  readonly registered: ResourcesRecord
  readonly availabilityZone: string
  readonly registeredAt: number
  /** Tasks holding resources here: placed and not yet STOPPED. */
  readonly taskArns: Set<string>
  /** What those tasks reserve, kept in step with `taskArns`. */
  readonly used: { cpu: number; memory: number; readonly ports: Array<number> }
  inactiveAt?: number
}

export interface ServiceRecord {
  readonly key: string
  readonly serviceArn: string
  readonly clusterName: string
  readonly serviceName: string
  readonly schedulingStrategy: "REPLICA" | "DAEMON"
  desiredCount: number
  readonly minimumHealthyPercent: number
  readonly maximumPercent: number
  readonly cpu: number
  readonly memory: number
  readonly hostPorts: ReadonlyArray<number>
  readonly loadBalanced: boolean
  /** Its target group's deregistration delay: how long its tasks stay DEACTIVATING when stopped. */
  readonly deregistrationDelayMs: number
  readonly placementStrategy: ReadonlyArray<{
    readonly type: "spread" | "binpack" | "random"
    readonly field?: string
  }>
  readonly placementConstraints: ReadonlyArray<{
    readonly type: "distinctInstance" | "memberOf"
    readonly expression?: string
  }>
  readonly createdAt: number
  /** Every task of the service the cluster still remembers. */
  readonly taskArns: Set<string>
}

export type TaskStatusRecord =
  "PROVISIONING" | "PENDING" | "RUNNING" | "DEACTIVATING" | "STOPPING" | "STOPPED"

export interface TaskRecord {
  readonly taskArn: string
  readonly clusterName: string
  readonly group: string
  readonly serviceKey?: string
  containerInstanceArn?: string
  lastStatus: TaskStatusRecord
  desiredStatus: "RUNNING" | "STOPPED"
  health: "HEALTHY" | "UNHEALTHY" | "UNKNOWN"
  readonly cpu: number
  readonly memory: number
  readonly hostPorts: ReadonlyArray<number>
  readonly createdAt: number
  startedAt?: number
  stoppedAt?: number
  readonly startedBy?: string
  stopReason?: string
  /** Standalone tasks: when the essential container exits (absent: never). */
  readonly runsForMs?: number
}

export interface ClusterRecord {
  readonly clusterName: string
  readonly capacityProviders: ReadonlyArray<{
    readonly name: string
    readonly asgName: string
    readonly managedScaling: boolean
    readonly managedTerminationProtection: boolean
    readonly managedDraining: boolean
  }>
  schedulerScheduled: boolean
}

/** One point of a step function: from `at` on, the value holds until the next point. */
export interface ServiceHealthPoint {
  readonly at: number
  readonly healthy: number
  readonly desired: number
  /** Healthy tasks minimumHealthyPercent requires: ceil(desired × min% / 100); 0 for daemon services. */
  readonly floor: number
}

export interface InstanceCountPoint {
  readonly at: number
  readonly pending: number
  readonly running: number
  readonly shuttingDown: number
  readonly terminated: number
}

export const serviceKey = (clusterName: string, serviceName: string): string =>
  `${clusterName}/${serviceName}`

export interface ResourceNeed {
  readonly cpu: number
  readonly memory: number
  readonly hostPorts: ReadonlyArray<number>
}
