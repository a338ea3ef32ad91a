/**
 * Snapshot views of the world the planner reasons about: images, EC2 instances, Auto Scaling groups
 * with their launch specs, ECS container instances, services and tasks. They are decoded from what
 * the ports return (AWS or the simulator), so a malformed observation fails here with a message
 * naming the field rather than deep inside a decision.
 */
import { Schema } from "effect"

/** A whole number ≥ 0 (counts, CPU units, MiB). */
export const Count = Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)))
/** Milliseconds since the Unix epoch: every time in the domain is data, never a clock read. */
export const EpochMillis = Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)))
export const Tags = Schema.Record(Schema.String, Schema.String)
export type Tags = typeof Tags.Type

export const Architecture = Schema.Literals(["x86_64", "arm64", "i386", "x86_64_mac", "arm64_mac"])
export type Architecture = typeof Architecture.Type

/** An AMI. `family` groups images of one lineage (e.g. `al2023`, `al2`, `bottlerocket`) for the family-change guard. */
export const Image = Schema.Struct({
  imageId: Schema.String,
  name: Schema.String,
  ownerId: Schema.String,
  creationDate: EpochMillis,
  architecture: Architecture,
  deprecationTime: Schema.optionalKey(EpochMillis),
  state: Schema.Literals(["available", "pending", "failed", "deregistered"]),
  tags: Tags,
})
export type Image = typeof Image.Type

export const InstanceState = Schema.Literals([
  "pending",
  "running",
  "shutting-down",
  "terminated",
  "stopping",
  "stopped",
])
export type InstanceState = typeof InstanceState.Type

export const Ec2Instance = Schema.Struct({
  instanceId: Schema.String,
  imageId: Schema.String,
  instanceType: Schema.String,
  architecture: Architecture,
  availabilityZone: Schema.String,
  state: InstanceState,
  launchTime: EpochMillis,
  lifecycle: Schema.Literals(["on-demand", "spot"]),
  terminationProtected: Schema.Boolean,
  tags: Tags,
})
export type Ec2Instance = typeof Ec2Instance.Type

/** `$Latest` and `$Default` are kept as written: which version they resolve to is part of the snapshot. */
export const LaunchTemplateRef = Schema.Struct({
  launchTemplateId: Schema.String,
  launchTemplateName: Schema.String,
  version: Schema.String,
})
export type LaunchTemplateRef = typeof LaunchTemplateRef.Type

export const MixedInstancesOverride = Schema.Struct({
  instanceType: Schema.String,
  launchTemplate: Schema.optionalKey(LaunchTemplateRef),
})

/** How an Auto Scaling group launches instances: exactly one of the three AWS forms. */
export const LaunchSpec = Schema.Union([
  Schema.TaggedStruct("LaunchTemplate", { template: LaunchTemplateRef }),
  Schema.TaggedStruct("LaunchConfiguration", { launchConfigurationName: Schema.String }),
  Schema.TaggedStruct("MixedInstancesPolicy", {
    template: LaunchTemplateRef,
    overrides: Schema.Array(MixedInstancesOverride),
  }),
])
export type LaunchSpec = typeof LaunchSpec.Type

export const AsgLifecycleState = Schema.Literals([
  "Pending",
  "Pending:Wait",
  "Pending:Proceed",
  "InService",
  "Standby",
  "EnteringStandby",
  "Terminating",
  "Terminating:Wait",
  "Terminating:Proceed",
  "Terminated",
  "Detaching",
  "Detached",
  "Warmed:Pending",
  "Warmed:Running",
  "Warmed:Stopped",
])
export type AsgLifecycleState = typeof AsgLifecycleState.Type

export const AsgInstance = Schema.Struct({
  instanceId: Schema.String,
  availabilityZone: Schema.String,
  lifecycleState: AsgLifecycleState,
  healthStatus: Schema.Literals(["Healthy", "Unhealthy"]),
  protectedFromScaleIn: Schema.Boolean,
  instanceType: Schema.String,
})
export type AsgInstance = typeof AsgInstance.Type

/** An Auto Scaling group as the Auto Scaling API describes it. */
export const AutoScalingGroupDescription = Schema.Struct({
  name: Schema.String,
  minSize: Count,
  maxSize: Count,
  desiredCapacity: Count,
  availabilityZones: Schema.Array(Schema.String),
  suspendedProcesses: Schema.Array(Schema.String),
  launchSpec: LaunchSpec,
  instances: Schema.Array(AsgInstance),
  tags: Tags,
})
export type AutoScalingGroupDescription = typeof AutoScalingGroupDescription.Type

/**
 * An ECS capacity provider as its group sees it. Managed scaling sets the group's desired capacity
 * (a target tracking policy acting through CloudWatch alarms); managed termination protection sets
 * scale-in protection on instances with tasks; managed draining drains an instance in a terminate
 * lifecycle hook before Auto Scaling terminates it.
 */
export const GroupCapacityProvider = Schema.Struct({
  name: Schema.String,
  managedScaling: Schema.Boolean,
  managedTerminationProtection: Schema.Boolean,
  managedDraining: Schema.Boolean,
})
export type GroupCapacityProvider = typeof GroupCapacityProvider.Type

/** A group as the planner sees it: described, plus what its launch spec resolves to and who else scales it. */
export const AutoScalingGroup = Schema.Struct({
  ...AutoScalingGroupDescription.fields,
  /** The image the launch spec resolves to now (template version followed, `resolve:ssm:` resolved). */
  launchSpecImageId: Schema.String,
  /** The SSM parameter the launch spec takes its image from (`resolve:ssm:<name>`), when it does. */
  launchSpecImageParameter: Schema.optionalKey(Schema.String),
  /** The ECS capacity provider this group feeds, with what it manages (any provider, managed or not). */
  capacityProvider: Schema.optionalKey(GroupCapacityProvider),
})
export type AutoScalingGroup = typeof AutoScalingGroup.Type

export const ContainerInstanceStatus = Schema.Literals([
  "REGISTERING",
  "ACTIVE",
  "DRAINING",
  "DEREGISTERING",
  "INACTIVE",
  "REGISTRATION_FAILED",
])
export type ContainerInstanceStatus = typeof ContainerInstanceStatus.Type

export const Resources = Schema.Struct({
  cpu: Count,
  memory: Count,
  /** Host ports in use (remaining view) or reserved by the agent (registered view). */
  ports: Schema.Array(Count),
})
export type Resources = typeof Resources.Type

export const ContainerInstance = Schema.Struct({
  containerInstanceArn: Schema.String,
  ec2InstanceId: Schema.String,
  status: ContainerInstanceStatus,
  agentConnected: Schema.Boolean,
  registered: Resources,
  remaining: Resources,
  runningTasksCount: Count,
  pendingTasksCount: Count,
  availabilityZone: Schema.String,
  attributes: Tags,
})
export type ContainerInstance = typeof ContainerInstance.Type

export const PlacementConstraint = Schema.Struct({
  type: Schema.Literals(["distinctInstance", "memberOf"]),
  expression: Schema.optionalKey(Schema.String),
})
export const PlacementStrategy = Schema.Struct({
  type: Schema.Literals(["spread", "binpack", "random"]),
  field: Schema.optionalKey(Schema.String),
})

export const Deployment = Schema.Struct({
  id: Schema.String,
  status: Schema.Literals(["PRIMARY", "ACTIVE", "INACTIVE"]),
  rolloutState: Schema.Literals(["COMPLETED", "IN_PROGRESS", "FAILED"]),
  desiredCount: Count,
  runningCount: Count,
  pendingCount: Count,
  /** Tasks of this deployment that failed to reach RUNNING (ECS `failedTasks`); absent when not reported. */
  failedTasks: Schema.optionalKey(Count),
})

export const Service = Schema.Struct({
  serviceArn: Schema.String,
  serviceName: Schema.String,
  status: Schema.Literals(["ACTIVE", "DRAINING", "INACTIVE"]),
  schedulingStrategy: Schema.Literals(["REPLICA", "DAEMON"]),
  desiredCount: Count,
  runningCount: Count,
  pendingCount: Count,
  minimumHealthyPercent: Count,
  maximumPercent: Count,
  deployments: Schema.Array(Deployment),
  placementConstraints: Schema.Array(PlacementConstraint),
  placementStrategy: Schema.Array(PlacementStrategy),
  loadBalanced: Schema.Boolean,
  /** The ELBv2 target groups ECS registers its tasks with (DescribeServices `loadBalancers`); absent: none known. */
  targetGroupArns: Schema.optionalKey(Schema.Array(Schema.String)),
  /** What one task of this service reserves: what a drain must find room for elsewhere. */
  taskCpu: Count,
  taskMemory: Count,
  taskHostPorts: Schema.Array(Count),
})
export type Service = typeof Service.Type

export const TaskStatus = Schema.Literals([
  "PROVISIONING",
  "PENDING",
  "ACTIVATING",
  "RUNNING",
  "DEACTIVATING",
  "STOPPING",
  "DEPROVISIONING",
  "STOPPED",
])
export type TaskStatus = typeof TaskStatus.Type

export const Task = Schema.Struct({
  taskArn: Schema.String,
  /** `service:<name>` for service tasks, a free-form group (e.g. `family:nightly`) for standalone ones. */
  group: Schema.String,
  serviceName: Schema.optionalKey(Schema.String),
  containerInstanceArn: Schema.optionalKey(Schema.String),
  lastStatus: TaskStatus,
  desiredStatus: Schema.Literals(["RUNNING", "PENDING", "STOPPED"]),
  healthStatus: Schema.Literals(["HEALTHY", "UNHEALTHY", "UNKNOWN"]),
  cpu: Count,
  memory: Count,
  hostPorts: Schema.Array(Count),
  startedAt: Schema.optionalKey(EpochMillis),
  startedBy: Schema.optionalKey(Schema.String),
})
export type Task = typeof Task.Type

/** What CloudWatch says of one alarm (DescribeAlarms): what the run's alarm gate reads. */
export const AlarmState = Schema.Struct({
  alarmName: Schema.String,
  alarmArn: Schema.String,
  state: Schema.Literals(["OK", "ALARM", "INSUFFICIENT_DATA"]),
  stateReason: Schema.String,
  stateUpdatedAt: EpochMillis,
})
export type AlarmState = typeof AlarmState.Type

/** One target of a target group and its health (ELBv2 DescribeTargetHealth). */
export const TargetHealth = Schema.Struct({
  /** The instance ID (or IP address) and port ECS registered for a task. */
  targetId: Schema.String,
  port: Schema.optionalKey(Count),
  state: Schema.Literals([
    "initial",
    "healthy",
    "unhealthy",
    "unhealthy.draining",
    "unused",
    "draining",
    "unavailable",
  ]),
  /** ELBv2's reason code (`Target.FailedHealthChecks`, ...); absent when healthy. */
  reason: Schema.optionalKey(Schema.String),
})
export type TargetHealth = typeof TargetHealth.Type

/** Every target registered with one target group, as the load balancer sees them. */
export const TargetGroupHealth = Schema.Struct({
  targetGroupArn: Schema.String,
  targets: Schema.Array(TargetHealth),
})
export type TargetGroupHealth = typeof TargetGroupHealth.Type

/**
 * How long a target group keeps a deregistered target draining before ECS may stop its task
 * (DescribeTargetGroupAttributes `deregistration_delay.timeout_seconds`, 0–3,600 s; AWS's default 300 s).
 */
export const TargetGroupDeregistrationDelay = Schema.Struct({
  targetGroupArn: Schema.String,
  deregistrationDelayMs: Count,
})
export type TargetGroupDeregistrationDelay = typeof TargetGroupDeregistrationDelay.Type

/** Everything one observation of a cluster yields; the executor assembles it through the ports. */
export const ClusterSnapshot = Schema.Struct({
  clusterName: Schema.String,
  observedAt: EpochMillis,
  /** The image the AMI source resolves to now (the run keeps the one it started with). */
  targetImage: Image,
  /** Images in use by instances and launch specs, for age, architecture and family checks. */
  images: Schema.Array(Image),
  groups: Schema.Array(AutoScalingGroup),
  instances: Schema.Array(Ec2Instance),
  containerInstances: Schema.Array(ContainerInstance),
  services: Schema.Array(Service),
  tasks: Schema.Array(Task),
  /** The CloudWatch alarms the run's policy names, as DescribeAlarms returned them (absent: none named). */
  alarms: Schema.optionalKey(Schema.Array(AlarmState)),
  /**
   * The target groups of the load-balanced services the run moves, as DescribeTargetHealth returned
   * them (absent: the target health gate is off, or no such service). A deleted target group is left out.
   */
  targetHealth: Schema.optionalKey(Schema.Array(TargetGroupHealth)),
})
export type ClusterSnapshot = typeof ClusterSnapshot.Type

/** Decodes an observation; a violation (negative count, unknown state) names the field. */
export const decodeClusterSnapshot = Schema.decodeUnknownEffect(ClusterSnapshot)
