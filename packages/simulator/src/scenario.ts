/**
 * Scenarios as data: the JSON-able description of a world to simulate (images, SSM parameters,
 * launch templates and configurations, Auto Scaling groups, ECS clusters, services and standalone
 * tasks), its timings and its faults. Validated by a schema at the boundary, so a scenario file
 * written by hand fails with a message naming the field instead of misbehaving mid-run.
 */
import { LaunchSpec, PlacementConstraint, PlacementStrategy } from "@ecs-ami-deploy/domain"
import { Data, Schema, Struct } from "effect"
import { alarmScenarioProblems, ScenarioAlarm } from "./alarms.ts"

const NonNegative = Schema.Number.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))
const Whole = Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)))
const Rate = Schema.Number.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(1)))

/** Every duration of the model, in simulated milliseconds. Defaults and their sources: docs/simulator-fidelity.md. */
export const Timings = Schema.Struct({
  /** RunInstances → `running`. */
  instancePendingMs: NonNegative,
  /** `shutting-down` → `terminated`. */
  instanceShutdownMs: NonNegative,
  /** How long a new instance is absent from DescribeInstances (eventual consistency). */
  describeVisibilityDelayMs: NonNegative,
  /** `running` → Auto Scaling `InService` (boot + health check grace). */
  inServiceAfterRunningMs: NonNegative,
  /** `running` → ECS container instance ACTIVE (agent start and registration). */
  agentRegistrationMs: NonNegative,
  /** How soon Auto Scaling acts on a capacity change. */
  autoScalingReactionMs: NonNegative,
  /** Pause before Auto Scaling retries a failed launch. */
  launchRetryMs: NonNegative,
  /** How soon Auto Scaling notices an instance terminated behind its back (health check). */
  autoScalingHealthCheckMs: NonNegative,
  /** How soon the ECS service scheduler acts on a change. */
  schedulerReactionMs: NonNegative,
  /** Task PROVISIONING → PENDING. */
  taskProvisioningMs: NonNegative,
  /** Task PENDING → RUNNING (image pull, container start). */
  taskStartMs: NonNegative,
  /** RUNNING → healthy (container / target group health check passes). */
  taskHealthyAfterMs: NonNegative,
  /** Load balancer deregistration delay spent in DEACTIVATING by load-balanced tasks. */
  deregistrationDelayMs: NonNegative,
  /** DEACTIVATING of tasks without a load balancer. */
  deactivatingMs: NonNegative,
  /** STOPPING → STOPPED (SIGTERM, container exit). */
  taskStopMs: NonNegative,
  /** How long STOPPED tasks and INACTIVE container instances stay visible. */
  stoppedRetentionMs: NonNegative,
  /** Period of the ECS managed scaling loop. */
  managedScalingPeriodMs: NonNegative,
  /** How often ECS managed instance draining checks an instance held by its terminate lifecycle hook. */
  managedDrainingCheckMs: NonNegative,
  /** Managed scaling `instanceWarmupPeriod`. */
  managedScalingWarmupMs: NonNegative,
})
export type Timings = typeof Timings.Type

export const defaultTimings: Timings = {
  instancePendingMs: 30_000,
  instanceShutdownMs: 45_000,
  describeVisibilityDelayMs: 5_000,
  inServiceAfterRunningMs: 30_000,
  agentRegistrationMs: 60_000,
  autoScalingReactionMs: 10_000,
  launchRetryMs: 60_000,
  autoScalingHealthCheckMs: 30_000,
  schedulerReactionMs: 5_000,
  taskProvisioningMs: 1_000,
  taskStartMs: 15_000,
  taskHealthyAfterMs: 30_000,
  deregistrationDelayMs: 300_000,
  deactivatingMs: 1_000,
  taskStopMs: 10_000,
  stoppedRetentionMs: 3_600_000,
  managedScalingPeriodMs: 60_000,
  managedDrainingCheckMs: 15_000,
  managedScalingWarmupMs: 300_000,
}

/** Which calls a rate-based fault hits: every call, or only the named operations (e.g. `ecs:DescribeServices`). */
const RateFault = Schema.Struct({ rate: Rate, operations: Schema.optionalKey(Schema.Array(Schema.String)) })

/** Faults injected into one run. All optional; an empty object is a healthy world. */
export const Faults = Schema.Struct({
  /** Calls refused with the service's throttling error. */
  throttling: Schema.optionalKey(RateFault),
  /** Calls failing with a 5xx-style transient error (nothing changed). */
  transientErrors: Schema.optionalKey(RateFault),
  /** Simulated latency of every call, drawn uniformly in [minMs, maxMs]. */
  apiLatency: Schema.optionalKey(Schema.Struct({ minMs: NonNegative, maxMs: NonNegative })),
  /**
   * Calls that get no answer for a while (a connection that hangs): the first call of `operation`
   * (e.g. `autoscaling:UpdateAutoScalingGroup`) made at or after the simulated offset `atMs` waits
   * `durationMs` of simulated time before it reaches the world. A caller that gives up first abandons
   * it: the world is unchanged and the call is logged with the outcome `abandoned`.
   */
  hungCalls: Schema.optionalKey(
    Schema.Array(Schema.Struct({ operation: Schema.String, atMs: NonNegative, durationMs: NonNegative })),
  ),
  /** Launches refused with InsufficientInstanceCapacity: of an image, in an AZ, within a time window (each criterion optional). Auto Scaling tries the group's other AZs first. */
  launchFailures: Schema.optionalKey(
    Schema.Array(
      Schema.Struct({
        imageId: Schema.optionalKey(Schema.String),
        availabilityZone: Schema.optionalKey(Schema.String),
        fromMs: Schema.optionalKey(NonNegative),
        untilMs: Schema.optionalKey(NonNegative),
      }),
    ),
  ),
  /** Instances of these images never register with ECS. */
  agentNeverRegisters: Schema.optionalKey(Schema.Struct({ imageIds: Schema.Array(Schema.String) })),
  /** Tasks started on instances of these images fail their health check and are stopped by ECS. */
  unhealthyTasksOnImages: Schema.optionalKey(Schema.Array(Schema.String)),
  /**
   * Load-balanced tasks on instances of these images, once past their first target group health check,
   * fail it from `afterMs` after the task started (a new image that breaks under load): their targets are `unhealthy`
   * while ECS keeps the tasks RUNNING — as it does within a service's health check grace period, when
   * the scheduler ignores the load balancer's health checks — so drains go on and healthy targets fall.
   */
  unhealthyTargetsOnImages: Schema.optionalKey(
    Schema.Struct({ imageIds: Schema.Array(Schema.String), afterMs: NonNegative }),
  ),
  /** Standalone tasks run forever regardless of their scenario duration. */
  standaloneTasksNeverFinish: Schema.optionalKey(Schema.Boolean),
  /**
   * Instances lost at a simulated offset: a named instance, or the first running member of a group.
   * With `noticeMs` (a Spot interruption: 120,000), the ECS agent sets the instance DRAINING at `atMs`
   * (ECS_ENABLE_SPOT_INSTANCE_DRAINING) and EC2 terminates it `noticeMs` later; without, at once.
   */
  instanceLosses: Schema.optionalKey(
    Schema.Array(
      Schema.Struct({
        atMs: NonNegative,
        instanceId: Schema.optionalKey(Schema.String),
        groupName: Schema.optionalKey(Schema.String),
        noticeMs: Schema.optionalKey(NonNegative),
      }),
    ),
  ),
  /**
   * Another actor setting a group's desired capacity at a simulated offset. `by` says who, which
   * decides what stops it: a `scaling-policy` acts through CloudWatch alarms (suspended with the
   * group's AlarmNotification process), a `scheduled-action` through ScheduledActions; a `person`
   * (the default: the console, the CLI, another tool) cannot be suspended.
   */
  desiredCapacityChanges: Schema.optionalKey(
    Schema.Array(
      Schema.Struct({
        atMs: NonNegative,
        groupName: Schema.String,
        desiredCapacity: Whole,
        by: Schema.optionalKey(Schema.Literals(["person", "scaling-policy", "scheduled-action"])),
      }),
    ),
  ),
  /**
   * An SSM parameter given a new value at a simulated offset (PutParameter by an operator, or AWS
   * publishing a new ECS-optimized image under its public parameters): launch templates that read it
   * (`resolve:ssm:`) launch the new value from then on.
   */
  ssmParameterChanges: Schema.optionalKey(
    Schema.Array(Schema.Struct({ atMs: NonNegative, name: Schema.String, value: Schema.String })),
  ),
})
export type Faults = typeof Faults.Type

export const ScenarioImage = Schema.Struct({
  imageId: Schema.String,
  name: Schema.String,
  /** An owner alias (`amazon`) or account id. */
  owner: Schema.String,
  /** ISO-8601. */
  creationDate: Schema.String,
  architecture: Schema.Literals(["x86_64", "arm64"]),
  deprecationDate: Schema.optionalKey(Schema.String),
  state: Schema.optionalKey(Schema.Literals(["available", "deregistered"])),
  /** Image tags, e.g. those an in-house image pipeline sets (`pipeline=golden-ecs`). */
  tags: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
})
export type ScenarioImage = typeof ScenarioImage.Type

export const ScenarioLaunchTemplate = Schema.Struct({
  launchTemplateId: Schema.String,
  launchTemplateName: Schema.String,
  /** Version 1, 2, … in order. */
  versions: Schema.Array(
    Schema.Struct({
      imageId: Schema.String,
      instanceType: Schema.String,
      description: Schema.optionalKey(Schema.String),
      /** The instance profile (its name) the version gives its instances; simulated IAM gives it a role of the same name. */
      iamInstanceProfile: Schema.optionalKey(Schema.String),
    }),
  ),
  defaultVersion: Whole,
})

export const ScenarioLaunchConfiguration = Schema.Struct({
  name: Schema.String,
  imageId: Schema.String,
  instanceType: Schema.String,
  /** The instance profile (its name), as for a launch template version. */
  iamInstanceProfile: Schema.optionalKey(Schema.String),
})

/** An Auto Scaling lifecycle hook (PutLifecycleHook). */
export const LifecycleHook = Schema.Struct({
  name: Schema.String,
  transition: Schema.Literals(["autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:EC2_INSTANCE_TERMINATING"]),
  /** 30–7200 s; AWS's default is 3600. */
  heartbeatTimeoutSeconds: Schema.Number.pipe(
    Schema.check(Schema.isGreaterThanOrEqualTo(30), Schema.isLessThanOrEqualTo(7200)),
  ),
  defaultResult: Schema.Literals(["CONTINUE", "ABANDON"]),
})
export type LifecycleHook = typeof LifecycleHook.Type

export const ScenarioGroup = Schema.Struct({
  name: Schema.String,
  /** The cluster its instances join (user data `ECS_CLUSTER`). */
  clusterName: Schema.String,
  minSize: Whole,
  maxSize: Whole,
  desiredCapacity: Whole,
  availabilityZones: Schema.Array(Schema.String),
  launchSpec: LaunchSpec,
  suspendedProcesses: Schema.optionalKey(Schema.Array(Schema.String)),
  tags: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  /** Image of the instances running at the start, when it differs from what the launch spec resolves to. */
  initialImageId: Schema.optionalKey(Schema.String),
  /** How many of the starting instances are in Standby (they do not count toward desired capacity). */
  initialStandby: Schema.optionalKey(Whole),
  /** How many of the starting instances are protected from scale-in. */
  initialProtected: Schema.optionalKey(Whole),
  /** How many of the starting instances have EC2 termination protection (`DisableApiTermination`). */
  initialTerminationProtected: Schema.optionalKey(Whole),
  /**
   * How many in-service instances exist at the start (default: desired capacity). Fewer means a
   * scale-out is in progress: the group launches the rest at once.
   */
  initialInstances: Schema.optionalKey(Whole),
  /** Lifecycle hooks nobody completes: each holds its instances for the heartbeat timeout, then applies its default result. */
  lifecycleHooks: Schema.optionalKey(Schema.Array(LifecycleHook)),
})
export type ScenarioGroup = typeof ScenarioGroup.Type

export const ScenarioCluster = Schema.Struct({
  name: Schema.String,
  capacityProviders: Schema.optionalKey(
    Schema.Array(
      Schema.Struct({
        name: Schema.String,
        asgName: Schema.String,
        managedScaling: Schema.Boolean,
        managedTerminationProtection: Schema.Boolean,
        /** Adds the terminate lifecycle hook by which ECS drains an instance before Auto Scaling terminates it. */
        managedDraining: Schema.Boolean,
      }),
    ),
  ),
  /** Instances launched by hand into the cluster: they belong to no Auto Scaling group. */
  unmanagedInstances: Schema.optionalKey(
    Schema.Array(
      Schema.Struct({
        availabilityZone: Schema.String,
        instanceType: Schema.String,
        /** Default: the image of the cluster's first group. */
        imageId: Schema.optionalKey(Schema.String),
      }),
    ),
  ),
})

export const ScenarioService = Schema.Struct({
  clusterName: Schema.String,
  name: Schema.String,
  schedulingStrategy: Schema.Literals(["REPLICA", "DAEMON"]),
  /** Ignored for daemon services (one task per instance). */
  desiredCount: Whole,
  minimumHealthyPercent: Whole,
  maximumPercent: Whole,
  cpu: Whole,
  memory: Whole,
  hostPorts: Schema.optionalKey(Schema.Array(Whole)),
  loadBalanced: Schema.Boolean,
  /** The target group's deregistration delay (0–3600 s; default: the `deregistrationDelayMs` timing). */
  deregistrationDelayMs: Schema.optionalKey(
    Schema.Number.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(3_600_000))),
  ),
  placementStrategy: Schema.optionalKey(Schema.Array(PlacementStrategy)),
  placementConstraints: Schema.optionalKey(Schema.Array(PlacementConstraint)),
})
export type ScenarioService = typeof ScenarioService.Type

export const ScenarioStandaloneTask = Schema.Struct({
  clusterName: Schema.String,
  group: Schema.String,
  cpu: Whole,
  memory: Whole,
  /** How long it runs from the scenario start; omitted = never finishes. */
  durationMs: Schema.optionalKey(NonNegative),
  startedBy: Schema.optionalKey(Schema.String),
})
export type ScenarioStandaloneTask = typeof ScenarioStandaloneTask.Type

export const Scenario = Schema.Struct({
  name: Schema.String,
  description: Schema.String,
  /** ISO-8601 simulated start (the virtual clock's first reading). */
  startTime: Schema.String,
  /** The account (12 digits) and Region the world is in. Defaults: 123456789012, us-east-1. */
  accountId: Schema.optionalKey(Schema.String.pipe(Schema.check(Schema.isPattern(/^\d{12}$/)))),
  region: Schema.optionalKey(Schema.String.pipe(Schema.check(Schema.isPattern(/^[a-z]{2}(-[a-z]+)+-\d$/)))),
  images: Schema.Array(ScenarioImage),
  ssmParameters: Schema.Array(Schema.Struct({ name: Schema.String, value: Schema.String })),
  launchTemplates: Schema.Array(ScenarioLaunchTemplate),
  launchConfigurations: Schema.Array(ScenarioLaunchConfiguration),
  clusters: Schema.Array(ScenarioCluster),
  groups: Schema.Array(ScenarioGroup),
  services: Schema.Array(ScenarioService),
  standaloneTasks: Schema.Array(ScenarioStandaloneTask),
  timings: Schema.optionalKey(Timings.mapFields(Struct.map(Schema.optionalKey))),
  faults: Schema.optionalKey(Faults),
  /** CloudWatch alarms of the account, and when each is in ALARM (alarms.ts). */
  alarms: Schema.optionalKey(Schema.Array(ScenarioAlarm)),
})
export type Scenario = typeof Scenario.Type

/** Validates a scenario read from JSON; throws a schema error naming the offending field. */
export const decodeScenario = Schema.decodeUnknownSync(Scenario)

/** A scenario whose parts do not fit together (a group in an unknown cluster, a missing launch template, ...). */
export class InvalidScenario extends Data.TaggedError("InvalidScenario")<{
  readonly scenario: string
  readonly problems: ReadonlyArray<string>
}> {
  override get message(): string {
    return `scenario ${this.scenario} is inconsistent: ${this.problems.join("; ")}`
  }
}

/** What the schema cannot check: references between the scenario's parts. Empty when consistent. */
export const scenarioProblems = (scenario: Scenario): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const clusters = new Set(scenario.clusters.map((c) => c.name))
  const templates = new Set(scenario.launchTemplates.map((t) => t.launchTemplateId))
  const configurations = new Set(scenario.launchConfigurations.map((c) => c.name))
  const groups = new Set(scenario.groups.map((g) => g.name))
  for (const group of scenario.groups) {
    if (!clusters.has(group.clusterName))
      problems.push(`group ${group.name} joins unknown cluster ${group.clusterName}`)
    if (group.availabilityZones.length === 0) problems.push(`group ${group.name} has no availability zone`)
    if ((group.initialInstances ?? 0) > group.desiredCapacity)
      problems.push(
        `group ${group.name}: initialInstances ${group.initialInstances} above desired ${group.desiredCapacity}`,
      )
    if (group.minSize > group.desiredCapacity || group.desiredCapacity > group.maxSize) {
      problems.push(
        `group ${group.name}: desired ${group.desiredCapacity} outside [${group.minSize}, ${group.maxSize}]`,
      )
    }
    const spec = group.launchSpec
    if (spec._tag === "LaunchConfiguration" && !configurations.has(spec.launchConfigurationName)) {
      problems.push(`group ${group.name} uses unknown launch configuration ${spec.launchConfigurationName}`)
    }
    if (spec._tag !== "LaunchConfiguration" && !templates.has(spec.template.launchTemplateId)) {
      problems.push(`group ${group.name} uses unknown launch template ${spec.template.launchTemplateId}`)
    }
  }
  for (const template of scenario.launchTemplates) {
    if (template.defaultVersion < 1 || template.defaultVersion > template.versions.length) {
      problems.push(
        `launch template ${template.launchTemplateId}: default version ${template.defaultVersion} does not exist`,
      )
    }
  }
  for (const service of scenario.services) {
    if (!clusters.has(service.clusterName))
      problems.push(`service ${service.name} is in unknown cluster ${service.clusterName}`)
  }
  for (const task of scenario.standaloneTasks) {
    if (!clusters.has(task.clusterName))
      problems.push(`standalone task ${task.group} is in unknown cluster ${task.clusterName}`)
  }
  for (const cluster of scenario.clusters) {
    for (const provider of cluster.capacityProviders ?? []) {
      if (!groups.has(provider.asgName))
        problems.push(`capacity provider ${provider.name} names unknown group ${provider.asgName}`)
    }
  }
  problems.push(...alarmScenarioProblems(scenario))
  return problems
}
