/**
 * The simulated world: EC2, Auto Scaling and ECS state plus the behaviour that moves it through
 * simulated time. Everything that happens later (an instance finishing boot, an agent registering,
 * a task passing its health check, the service scheduler reacting) is an event on one queue; the
 * world only changes when an event runs or a call is made, so hours of activity cost a few thousand
 * steps. Calls that AWS would refuse throw a `Refusal`, which the port layer turns into an
 * `AwsCallError`. Measurements are recorded as step functions of time as the state changes.
 */
import {
  leavingLifecycleStates,
  type AsgLifecycleState,
  type InstanceState,
  type LaunchSpec,
} from "@ecs-ami-deploy/domain"
import {
  agentReservedPorts,
  amazonOwnerId,
  defaultAccountId,
  defaultRegion,
  instanceTypeSpec,
} from "./catalog.ts"
import { EventQueue } from "./event-queue.ts"
import {
  advanceInstanceRefreshes,
  startInstanceRefresh,
  type RefreshPreferences,
} from "./instance-refresh.ts"
import { Prng } from "./prng.ts"
import {
  isMember,
  Refusal,
  serviceKey,
  type ClusterRecord,
  type ContainerInstanceRecord,
  type GroupRecord,
  type ImageRecord,
  type InstanceCountPoint,
  type InstanceRecord,
  type LaunchConfigurationRecord,
  type LaunchOrigin,
  type MemberRecord,
  type ResourceNeed,
  type ResourcesRecord,
  type ScalingActivityRecord,
  type ServiceHealthPoint,
  type ServiceRecord,
  type SsmRecord,
  type TaskRecord,
  type TemplateRecord,
  type TemplateVersionRecord,
} from "./records.ts"
import type { Faults, Scenario, ScenarioGroup, ScenarioService, Timings } from "./scenario.ts"
import { defaultTimings } from "./scenario.ts"
import { launchFaultApplies, scheduleFaults } from "./world/faults.ts"
import { recordMeasurements } from "./world/measurements.ts"

const lexicographicallyLess = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean => {
  for (let index = 0; index < a.length; index++) {
    const [x = 0, y = 0] = [a[index], b[index]]
    if (x !== y) return x < y
  }
  return false
}

const liveInstanceStates: ReadonlySet<InstanceState> = new Set(["pending", "running"])
const inCapacity = (lifecycle: AsgLifecycleState): boolean =>
  lifecycle === "Pending" ||
  lifecycle === "Pending:Wait" ||
  lifecycle === "Pending:Proceed" ||
  lifecycle === "InService"

/**
 * The terminate lifecycle hook a capacity provider with managed instance draining puts on its group:
 * ECS drains the instance, then completes the hook (it keeps it alive with heartbeats, up to 48 h).
 */
const managedDrainingHook = {
  name: "ecs-managed-draining-termination-hook",
  transition: "autoscaling:EC2_INSTANCE_TERMINATING",
  heartbeatTimeoutSeconds: 3600,
  defaultResult: "CONTINUE",
  managedDraining: true,
} as const
const lifecycleHookMaxMs = 48 * 3_600_000

/** Process names UpdateAutoScalingGroup's Suspend/ResumeProcesses accept. */
export const scalingProcesses: ReadonlySet<string> = new Set([
  "Launch",
  "Terminate",
  "AddToLoadBalancer",
  "AlarmNotification",
  "AZRebalance",
  "HealthCheck",
  "InstanceRefresh",
  "ReplaceUnhealthy",
  "ScheduledActions",
])

export class World {
  now: number
  readonly startTime: number
  /** Where the world is: the account STS names and the Region the ports answer for. */
  readonly accountId: string
  readonly region: string
  readonly timings: Timings
  readonly faults: Faults
  readonly rng: Prng
  readonly images = new Map<string, ImageRecord>()
  readonly ssmParameters = new Map<string, SsmRecord>()
  readonly templates = new Map<string, TemplateRecord>()
  readonly launchConfigurations = new Map<string, LaunchConfigurationRecord>()
  readonly instances = new Map<string, InstanceRecord>()
  readonly groups = new Map<string, GroupRecord>()
  readonly clusters = new Map<string, ClusterRecord>()
  readonly containerInstances = new Map<string, ContainerInstanceRecord>()
  readonly services = new Map<string, ServiceRecord>()
  readonly tasks = new Map<string, TaskRecord>()
  readonly activities: Array<ScalingActivityRecord> = []
  readonly serviceHealth = new Map<string, Array<ServiceHealthPoint>>()
  readonly instanceCounts: Array<InstanceCountPoint> = []
  /** Live (pending or running) instances at the start: the baseline for "extra" instances. */
  baselineInstances = 0
  readonly queue = new EventQueue()
  /** Services and instances changed since the last measurement (see world/measurements.ts). */
  readonly dirtyServices = new Set<string>()
  instancesDirty = false

  constructor(scenario: Scenario, seed: number, faults: Faults) {
    this.startTime = Date.parse(scenario.startTime)
    this.now = this.startTime
    this.accountId = scenario.accountId ?? defaultAccountId
    this.region = scenario.region ?? defaultRegion
    this.timings = { ...defaultTimings, ...scenario.timings }
    this.faults = faults
    this.rng = new Prng(seed)
    this.load(scenario)
  }

  // ---------------------------------------------------------------- time

  /** When the next simulated event is due, if any. */
  nextEventAt(): number | undefined {
    return this.queue.peek()?.at
  }

  /** Runs every event due at or before `time`, in order, and leaves the clock at `time`. */
  advanceTo(time: number): void {
    for (;;) {
      const next = this.queue.peek()
      if (next === undefined || next.at > time) break
      this.queue.pop()
      this.now = Math.max(this.now, next.at)
      next.run()
      recordMeasurements(this)
    }
    this.now = Math.max(this.now, time)
  }

  schedule(delayMs: number, label: string, run: () => void): void {
    this.queue.push(this.now + delayMs, label, run)
  }

  // ---------------------------------------------------------------- setup

  private load(scenario: Scenario): void {
    for (const image of scenario.images) {
      const isAmazon = image.owner === "amazon"
      this.images.set(image.imageId, {
        imageId: image.imageId,
        name: image.name,
        ownerId: isAmazon ? amazonOwnerId : image.owner,
        ...(isAmazon ? { ownerAlias: "amazon" } : {}),
        creationDate: Date.parse(image.creationDate),
        architecture: image.architecture,
        ...(image.deprecationDate === undefined
          ? {}
          : { deprecationTime: Date.parse(image.deprecationDate) }),
        state: image.state ?? "available",
        tags: { ...image.tags },
      })
    }
    for (const parameter of scenario.ssmParameters) {
      this.ssmParameters.set(parameter.name, {
        name: parameter.name,
        value: parameter.value,
        version: 1,
        lastModified: this.now,
      })
    }
    for (const template of scenario.launchTemplates) {
      const versions = new Map<number, TemplateVersionRecord>()
      template.versions.forEach((version, index) =>
        versions.set(index + 1, {
          versionNumber: index + 1,
          imageId: version.imageId,
          instanceType: version.instanceType,
          ...(version.description === undefined ? {} : { description: version.description }),
          ...(version.iamInstanceProfile === undefined
            ? {}
            : { iamInstanceProfile: version.iamInstanceProfile }),
          createdAt: this.now,
        }),
      )
      this.templates.set(template.launchTemplateId, {
        launchTemplateId: template.launchTemplateId,
        launchTemplateName: template.launchTemplateName,
        versions,
        defaultVersion: template.defaultVersion,
        latestVersion: template.versions.length,
        clientTokens: new Map(),
      })
    }
    for (const configuration of scenario.launchConfigurations) {
      this.launchConfigurations.set(configuration.name, { ...configuration, createdAt: this.now })
    }
    for (const cluster of scenario.clusters) {
      this.clusters.set(cluster.name, {
        clusterName: cluster.name,
        capacityProviders: cluster.capacityProviders ?? [],
        schedulerScheduled: false,
      })
    }
    for (const service of scenario.services) this.createService(service)
    for (const group of scenario.groups) this.createGroup(group)
    for (const cluster of scenario.clusters)
      for (const unmanaged of cluster.unmanagedInstances ?? []) {
        const firstGroup = scenario.groups.find((group) => group.clusterName === cluster.name)
        const imageId =
          unmanaged.imageId ??
          firstGroup?.initialImageId ??
          (firstGroup === undefined ? undefined : this.resolveLaunchSpec(this.group(firstGroup.name)).imageId)
        if (imageId === undefined) continue
        this.createInstance({
          clusterName: cluster.name,
          availabilityZone: unmanaged.availabilityZone,
          imageId,
          instanceType: unmanaged.instanceType,
          booted: true,
        })
      }
    for (const cluster of this.clusters.values()) this.runScheduler(cluster.clusterName, true)
    for (const task of scenario.standaloneTasks) {
      this.runTask({
        clusterName: task.clusterName,
        group: task.group,
        cpu: task.cpu,
        memory: task.memory,
        ...(task.durationMs === undefined ? {} : { runsForMs: task.durationMs }),
        ...(task.startedBy === undefined ? {} : { startedBy: task.startedBy }),
        instant: true,
      })
    }
    scheduleFaults(this)
    this.startManagedScaling()
    recordMeasurements(this)
    this.baselineInstances = [...this.instances.values()].filter((i) =>
      liveInstanceStates.has(i.state),
    ).length
  }

  private createService(spec: ScenarioService): void {
    const key = serviceKey(spec.clusterName, spec.name)
    this.services.set(key, {
      key,
      serviceArn: `arn:aws:ecs:${this.region}:${this.accountId}:service/${spec.clusterName}/${spec.name}`,
      clusterName: spec.clusterName,
      serviceName: spec.name,
      schedulingStrategy: spec.schedulingStrategy,
      desiredCount: spec.desiredCount,
      minimumHealthyPercent: spec.minimumHealthyPercent,
      maximumPercent: spec.maximumPercent,
      cpu: spec.cpu,
      memory: spec.memory,
      hostPorts: spec.hostPorts ?? [],
      loadBalanced: spec.loadBalanced,
      deregistrationDelayMs: spec.deregistrationDelayMs ?? this.timings.deregistrationDelayMs,
      placementStrategy:
        spec.placementStrategy ??
        (spec.schedulingStrategy === "REPLICA"
          ? [
              { type: "spread", field: "attribute:ecs.availability-zone" },
              { type: "spread", field: "instanceId" },
            ]
          : []),
      placementConstraints: spec.placementConstraints ?? [],
      createdAt: this.now,
      taskArns: new Set(),
    })
    this.dirtyServices.add(key)
  }

  private createGroup(spec: ScenarioGroup): void {
    const managedDraining = [...this.clusters.values()].some((cluster) =>
      cluster.capacityProviders.some((p) => p.asgName === spec.name && p.managedDraining),
    )
    const group: GroupRecord = {
      name: spec.name,
      clusterName: spec.clusterName,
      minSize: spec.minSize,
      maxSize: spec.maxSize,
      desiredCapacity: spec.desiredCapacity,
      availabilityZones: spec.availabilityZones,
      suspendedProcesses: new Set(spec.suspendedProcesses ?? []),
      launchSpec: spec.launchSpec,
      tags: spec.tags ?? {},
      members: [],
      lifecycleHooks: [
        ...(spec.lifecycleHooks ?? []).map((hook) => ({ ...hook, managedDraining: false })),
        ...(managedDraining ? [managedDrainingHook] : []),
      ],
      reconcileScheduled: false,
      launchBlockedUntil: 0,
      overrideCursor: 0,
    }
    this.groups.set(spec.name, group)
    const standby = spec.initialStandby ?? 0
    const inService = spec.initialInstances ?? spec.desiredCapacity
    const protectedCount = spec.initialProtected ?? 0
    const terminationProtected = spec.initialTerminationProtected ?? 0
    for (let index = 0; index < inService + standby; index++) {
      const resolved = this.resolveLaunchSpec(group)
      const imageId = spec.initialImageId ?? resolved.imageId
      const instance = this.createInstance({
        group,
        clusterName: group.clusterName,
        availabilityZone: this.pickLaunchZone(group),
        imageId,
        instanceType: resolved.instanceType,
        origin: resolved.origin,
        booted: true,
      })
      if (instance.membership === undefined) continue
      if (index >= inService) instance.membership.lifecycle = "Standby"
      if (index < protectedCount) instance.membership.protectedFromScaleIn = true
      if (index < terminationProtected) instance.terminationProtected = true
    }
    // A scale-out in progress: the group launches what it lacks at once.
    if (inService < spec.desiredCapacity) this.reconcileGroup(group)
  }

  // ---------------------------------------------------------------- EC2

  private newInstanceId(): string {
    return `i-0${this.rng.hex(16)}`
  }

  private createInstance(input: {
    /** Absent for an instance launched by hand into the cluster. */
    readonly group?: GroupRecord
    readonly clusterName: string
    readonly availabilityZone: string
    readonly imageId: string
    readonly instanceType: string
    readonly origin?: LaunchOrigin
    /** Starting instances are already running, InService and registered. */
    readonly booted: boolean
  }): InstanceRecord {
    const { group } = input
    const image = this.images.get(input.imageId)
    const instance: InstanceRecord = {
      instanceId: this.newInstanceId(),
      imageId: input.imageId,
      instanceType: input.instanceType,
      architecture: image?.architecture ?? instanceTypeSpec(input.instanceType).architecture,
      availabilityZone: input.availabilityZone,
      state: input.booted ? "running" : "pending",
      launchTime: input.booted ? this.now - 86_400_000 : this.now,
      visibleAt: input.booted ? this.now : this.now + this.timings.describeVisibilityDelayMs,
      lifecycle: "on-demand",
      terminationProtected: false,
      tags: group === undefined ? {} : { ...group.tags, "aws:autoscaling:groupName": group.name },
      clusterName: input.clusterName,
      ...(group === undefined
        ? {}
        : {
            membership: {
              groupName: group.name,
              lifecycle: input.booted ? "InService" : "Pending",
              health: "Healthy",
              protectedFromScaleIn: false,
              origin: input.origin ?? { kind: "attached" },
            },
          }),
    }
    this.instances.set(instance.instanceId, instance)
    group?.members.push(instance.instanceId)
    this.instancesDirty = true
    if (input.booted) this.registerContainerInstance(instance)
    else
      this.schedule(this.timings.instancePendingMs, `boot ${instance.instanceId}`, () =>
        this.instanceBooted(instance),
      )
    return instance
  }

  private instanceBooted(instance: InstanceRecord): void {
    if (instance.state !== "pending") return
    instance.state = "running"
    this.instancesDirty = true
    const membership = instance.membership
    if (membership !== undefined) {
      // A launch hook nobody completes holds the instance in Pending:Wait for its heartbeat timeout.
      const hook = this.groups
        .get(membership.groupName)
        ?.lifecycleHooks.find((h) => h.transition === "autoscaling:EC2_INSTANCE_LAUNCHING")
      if (hook !== undefined) membership.lifecycle = "Pending:Wait"
      const holdMs = hook === undefined ? 0 : hook.heartbeatTimeoutSeconds * 1000
      this.schedule(
        holdMs + this.timings.inServiceAfterRunningMs,
        `in-service ${instance.instanceId}`,
        () => {
          const current = instance.membership
          if (
            !isMember(instance) ||
            !inCapacity(current?.lifecycle ?? "Terminated") ||
            instance.state !== "running"
          )
            return
          if (hook?.defaultResult === "ABANDON") {
            this.terminateMember(instance, "an instance launch was abandoned by its lifecycle hook")
            return
          }
          instance.membership.lifecycle = "InService"
          this.requestGroupReconcile(instance.membership.groupName)
          advanceInstanceRefreshes(this)
        },
      )
    }
    const neverRegisters = this.faults.agentNeverRegisters?.imageIds.includes(instance.imageId) ?? false
    if (instance.clusterName !== undefined && !neverRegisters) {
      this.schedule(this.timings.agentRegistrationMs, `register ${instance.instanceId}`, () => {
        if (instance.state === "running") this.registerContainerInstance(instance)
      })
    }
  }

  private registerContainerInstance(instance: InstanceRecord): void {
    const clusterName = instance.clusterName
    if (clusterName === undefined || !this.clusters.has(clusterName)) return
    const spec = instanceTypeSpec(instance.instanceType)
    const arn = `arn:aws:ecs:${this.region}:${this.accountId}:container-instance/${clusterName}/${this.rng.hex(32)}`
    this.containerInstances.set(arn, {
      containerInstanceArn: arn,
      clusterName,
      ec2InstanceId: instance.instanceId,
      status: "ACTIVE",
      agentConnected: true,
      registered: { cpu: spec.cpu, memory: spec.memory, ports: agentReservedPorts },
      availabilityZone: instance.availabilityZone,
      registeredAt: this.now,
      taskArns: new Set(),
      used: { cpu: 0, memory: 0, ports: [] },
    })
    instance.containerInstanceArn = arn
    this.requestScheduler(clusterName)
  }

  /** EC2 TerminateInstances semantics: refused for protected instances, idempotent for terminated ones. */
  terminateInstances(instanceIds: ReadonlyArray<string>): void {
    const records = instanceIds.map((id) => {
      const instance = this.instances.get(id)
      if (instance === undefined || this.now < instance.visibleAt) {
        throw new Refusal("not-found", "InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`)
      }
      if (instance.terminationProtected) {
        throw new Refusal(
          "invalid-parameter",
          "OperationNotPermitted",
          `The instance '${id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
        )
      }
      return instance
    })
    for (const instance of records) {
      const membership = instance.membership
      this.shutDown(instance, `Host EC2 (instance ${instance.instanceId}) stopped/terminated`)
      if (membership !== undefined && membership.lifecycle !== "Terminating") {
        // Auto Scaling finds out at its next health check and replaces the instance.
        this.schedule(this.timings.autoScalingHealthCheckMs, `health-check ${instance.instanceId}`, () => {
          if (instance.membership === undefined || instance.membership.lifecycle === "Terminating") return
          instance.membership.health = "Unhealthy"
          instance.membership.lifecycle = "Terminating"
          this.recordActivity(
            membership.groupName,
            "Successful",
            `Terminating EC2 instance: ${instance.instanceId}`,
            `an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.`,
          )
          this.requestGroupReconcile(membership.groupName)
        })
      }
    }
  }

  /** Shuts an instance down: its tasks die with it, its agent disconnects, and it is gone after the shutdown time. */
  private shutDown(instance: InstanceRecord, reason: string): void {
    if (instance.state === "shutting-down" || instance.state === "terminated") return
    instance.state = "shutting-down"
    this.instancesDirty = true
    const containerInstance = this.containerInstanceOf(instance)
    if (containerInstance !== undefined) {
      containerInstance.agentConnected = false
      for (const taskArn of [...containerInstance.taskArns]) {
        const task = this.tasks.get(taskArn)
        if (task !== undefined) this.finishTask(task, reason)
      }
      this.requestScheduler(containerInstance.clusterName)
    }
    this.schedule(this.timings.instanceShutdownMs, `terminated ${instance.instanceId}`, () => {
      instance.state = "terminated"
      instance.terminatedAt = this.now
      this.instancesDirty = true
      const ci = this.containerInstanceOf(instance)
      if (ci !== undefined && ci.status !== "INACTIVE") this.deactivateContainerInstance(ci)
      const membership = instance.membership
      if (membership !== undefined) this.removeMember(membership.groupName, instance)
    })
  }

  private removeMember(groupName: string, instance: InstanceRecord): void {
    const group = this.groups.get(groupName)
    delete instance.membership
    if (group === undefined) return
    const index = group.members.indexOf(instance.instanceId)
    if (index >= 0) group.members.splice(index, 1)
    if (group.rebalanceInstanceId === instance.instanceId) delete group.rebalanceInstanceId
    this.requestGroupReconcile(groupName)
  }

  containerInstanceOf(instance: InstanceRecord): ContainerInstanceRecord | undefined {
    return instance.containerInstanceArn === undefined
      ? undefined
      : this.containerInstances.get(instance.containerInstanceArn)
  }

  /** Instances DescribeInstances can see now (eventual consistency hides the newest; the terminated fade out). */
  isVisible(instance: InstanceRecord): boolean {
    if (this.now < instance.visibleAt) return false
    return (
      instance.terminatedAt === undefined ||
      this.now - instance.terminatedAt < this.timings.stoppedRetentionMs
    )
  }

  setTerminationProtection(instanceId: string, enabled: boolean): void {
    const instance = this.instances.get(instanceId)
    if (instance === undefined)
      throw new Refusal(
        "not-found",
        "InvalidInstanceID.NotFound",
        `The instance ID '${instanceId}' does not exist`,
      )
    instance.terminationProtected = enabled
  }

  /** Loses an instance as a Spot interruption would: EC2 terminates it, Auto Scaling replaces it. */
  loseInstance(instanceId: string): void {
    const instance = this.instances.get(instanceId)
    if (instance === undefined || !liveInstanceStates.has(instance.state)) return
    instance.terminationProtected = false
    this.terminateInstances([instanceId])
  }

  // ---------------------------------------------------------------- launch specs

  /** What a group launches next: image, type and origin. Throws a Refusal describing why a launch would fail. */
  resolveLaunchSpec(group: GroupRecord): { imageId: string; instanceType: string; origin: LaunchOrigin } {
    const spec = group.launchSpec
    if (spec._tag === "LaunchConfiguration") {
      const configuration = this.launchConfigurations.get(spec.launchConfigurationName)
      if (configuration === undefined) {
        throw new Refusal(
          "invalid-parameter",
          "ValidationError",
          `Launch configuration ${spec.launchConfigurationName} not found`,
        )
      }
      return {
        imageId: this.resolveImageId(configuration.imageId),
        instanceType: configuration.instanceType,
        origin: { kind: "configuration", name: configuration.name },
      }
    }
    let templateRef = spec.template
    let overrideType: string | undefined
    const override =
      spec._tag === "MixedInstancesPolicy"
        ? spec.overrides[group.overrideCursor % spec.overrides.length]
        : undefined
    if (override !== undefined) {
      group.overrideCursor++
      overrideType = override.instanceType
      if (override.launchTemplate !== undefined) templateRef = override.launchTemplate
    }
    const template = this.templates.get(templateRef.launchTemplateId)
    if (template === undefined) {
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        `Launch template ${templateRef.launchTemplateId} not found`,
      )
    }
    const version = this.templateVersion(template, templateRef.version)
    return {
      imageId: this.resolveImageId(version.imageId),
      instanceType: overrideType ?? version.instanceType,
      origin: {
        kind: "template",
        launchTemplateId: template.launchTemplateId,
        version: version.versionNumber,
      },
    }
  }

  templateVersion(template: TemplateRecord, version: string): TemplateVersionRecord {
    const number =
      version === "$Latest"
        ? template.latestVersion
        : version === "$Default"
          ? template.defaultVersion
          : Number(version)
    const record = template.versions.get(number)
    if (record === undefined) {
      throw new Refusal(
        "not-found",
        "InvalidLaunchTemplateId.VersionNotFound",
        `Could not find launch template version ${version} of ${template.launchTemplateId}`,
      )
    }
    return record
  }

  private resolveImageId(imageId: string): string {
    if (!imageId.startsWith("resolve:ssm:")) return imageId
    const name = imageId.slice("resolve:ssm:".length)
    const parameter = this.ssmParameters.get(name)
    if (parameter === undefined) {
      throw new Refusal(
        "invalid-parameter",
        "InvalidParameter",
        `The SSM parameter ${name} could not be resolved`,
      )
    }
    return parameter.value
  }

  // ---------------------------------------------------------------- Auto Scaling

  requestGroupReconcile(groupName: string): void {
    const group = this.groups.get(groupName)
    if (group === undefined || group.reconcileScheduled) return
    group.reconcileScheduled = true
    this.schedule(this.timings.autoScalingReactionMs, `reconcile ${groupName}`, () => {
      group.reconcileScheduled = false
      this.reconcileGroup(group)
    })
  }

  memberRecords(group: GroupRecord): Array<MemberRecord> {
    return group.members.map((id) => this.instances.get(id)).filter(isMember)
  }

  /** Instances counting toward desired capacity (Pending or InService). */
  capacityMembers(group: GroupRecord): Array<MemberRecord> {
    return this.memberRecords(group).filter((i) => inCapacity(i.membership.lifecycle))
  }

  private reconcileGroup(group: GroupRecord): void {
    const members = this.capacityMembers(group)
    const rebalanceInstanceId = group.rebalanceInstanceId
    const target =
      group.desiredCapacity +
      (rebalanceInstanceId === undefined ? 0 : 1) +
      (group.instanceRefresh?.status === "InProgress" ? group.instanceRefresh.extraCapacity : 0)
    if (members.length < target) {
      if (group.suspendedProcesses.has("Launch")) return
      // A retry is already queued for when the block ends.
      if (this.now < group.launchBlockedUntil) return
      for (let index = members.length; index < target; index++) {
        if (
          !this.launchInto(
            group,
            "an instance was started in response to a difference between desired and actual capacity",
          )
        )
          break
      }
      return
    }
    if (members.length > target) {
      if (!group.suspendedProcesses.has("Terminate")) this.scaleIn(group, members.length - target)
      return
    }
    if (rebalanceInstanceId !== undefined) {
      const extra = this.instances.get(rebalanceInstanceId)
      if (extra?.membership?.lifecycle === "InService") {
        delete group.rebalanceInstanceId
        this.scaleIn(group, 1)
      }
      return
    }
    this.maybeRebalance(group, members)
  }

  /**
   * Launches one instance in the least-populated AZ, falling back to the next AZs when one lacks
   * capacity (as Auto Scaling does); undefined, with a Failed activity, when no launch is possible.
   */
  private launchInto(
    group: GroupRecord,
    cause: string,
    zones = this.zonesByLaunchPreference(group),
  ): InstanceRecord | undefined {
    try {
      const resolved = this.resolveLaunchSpec(group)
      const image = this.images.get(resolved.imageId)
      if (image === undefined || image.state !== "available") {
        throw new Refusal(
          "not-found",
          "InvalidAMIID.NotFound",
          `The image id '[${resolved.imageId}]' does not exist`,
        )
      }
      const availabilityZone = zones.find((zone) => !launchFaultApplies(this, resolved.imageId, zone))
      if (availabilityZone === undefined) {
        throw new Refusal(
          "limit-exceeded",
          "InsufficientInstanceCapacity",
          `We currently do not have sufficient ${resolved.instanceType} capacity in the Availability Zones you requested (${zones.join(", ")}).`,
        )
      }
      const instance = this.createInstance({
        group,
        clusterName: group.clusterName,
        availabilityZone,
        ...resolved,
        booted: false,
      })
      this.recordActivity(
        group.name,
        "Successful",
        `Launching a new EC2 instance: ${instance.instanceId}`,
        cause,
      )
      return instance
    } catch (error) {
      if (!(error instanceof Refusal)) throw error
      this.recordActivity(
        group.name,
        "Failed",
        "Launching a new EC2 instance.  Status Reason: " + error.message,
        cause,
      )
      if (group.launchBlockedUntil <= this.now) {
        this.schedule(this.timings.launchRetryMs, `retry-launch ${group.name}`, () =>
          this.requestGroupReconcile(group.name),
        )
      }
      group.launchBlockedUntil = this.now + this.timings.launchRetryMs
      return undefined
    }
  }

  /** The group's AZ with the fewest capacity members (first listed on a tie): Auto Scaling's launch balance. */
  private pickLaunchZone(group: GroupRecord): string {
    return this.zonesByLaunchPreference(group)[0] ?? group.availabilityZones[0] ?? "unknown-az"
  }

  /** The group's AZs from fewest to most capacity members, in listed order on ties. */
  private zonesByLaunchPreference(group: GroupRecord): Array<string> {
    const counts = this.zoneCounts(group, this.capacityMembers(group))
    return [...group.availabilityZones].sort((a, b) => (counts.get(a) ?? 0) - (counts.get(b) ?? 0))
  }

  private zoneCounts(group: GroupRecord, members: ReadonlyArray<InstanceRecord>): Map<string, number> {
    const counts = new Map(group.availabilityZones.map((zone) => [zone, 0]))
    for (const member of members)
      counts.set(member.availabilityZone, (counts.get(member.availabilityZone) ?? 0) + 1)
    return counts
  }

  /**
   * AZRebalance: when the group is at capacity but its AZs differ by more than one instance, launch
   * in the smallest AZ first (capacity may exceed max by 10%, at least one), then terminate in the largest.
   */
  private maybeRebalance(group: GroupRecord, members: ReadonlyArray<InstanceRecord>): void {
    const suspended = group.suspendedProcesses
    if (suspended.has("AZRebalance") || suspended.has("Launch") || suspended.has("Terminate")) return
    if (members.some((m) => m.membership?.lifecycle !== "InService")) return
    const counts = [...this.zoneCounts(group, members).values()]
    if (Math.max(...counts) - Math.min(...counts) <= 1) return
    if (members.length + 1 > group.maxSize + Math.max(1, Math.floor(group.maxSize / 10))) return
    // Only the smallest AZ helps; when it has no capacity the attempt fails and is retried later.
    const extra = this.launchInto(group, "an instance was launched to aid in balancing the group's zones.", [
      this.pickLaunchZone(group),
    ])
    if (extra !== undefined) group.rebalanceInstanceId = extra.instanceId
  }

  /** Terminates `count` instances chosen by the default termination policy; protected instances are never chosen. */
  private scaleIn(group: GroupRecord, count: number): void {
    for (let index = 0; index < count; index++) {
      const victim = this.pickScaleInVictim(group)
      if (victim === undefined) return
      this.terminateMember(
        victim,
        "an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity.",
      )
    }
  }

  /**
   * Auto Scaling terminates a member: Terminating, or Terminating:Wait while a terminate lifecycle
   * hook holds it — ECS managed draining sets it DRAINING and completes the hook once no task but
   * daemon tasks runs on it; a hook nobody completes runs out its heartbeat timeout. Then EC2 shuts it down.
   */
  terminateMember(instance: MemberRecord, cause: string, by = "Auto Scaling"): void {
    const group = this.groups.get(instance.membership.groupName)
    this.recordActivity(
      instance.membership.groupName,
      "Successful",
      `Terminating EC2 instance: ${instance.instanceId}`,
      cause,
    )
    const hook = group?.lifecycleHooks.find((h) => h.transition === "autoscaling:EC2_INSTANCE_TERMINATING")
    const shutDown = () => {
      if (instance.membership !== undefined) instance.membership.lifecycle = "Terminating:Proceed"
      this.shutDown(instance, `Host EC2 (instance ${instance.instanceId}) terminated by ${by}`)
    }
    if (hook === undefined) {
      instance.membership.lifecycle = "Terminating"
      this.shutDown(instance, `Host EC2 (instance ${instance.instanceId}) terminated by ${by}`)
      return
    }
    instance.membership.lifecycle = "Terminating:Wait"
    this.instancesDirty = true
    if (!hook.managedDraining) {
      this.schedule(hook.heartbeatTimeoutSeconds * 1000, `hook timeout ${instance.instanceId}`, shutDown)
      return
    }
    const heldUntil = this.now + lifecycleHookMaxMs
    const container = this.containerInstanceOf(instance)
    if (container?.status === "ACTIVE") {
      container.status = "DRAINING"
      this.requestScheduler(container.clusterName)
    }
    const check = () => {
      if (instance.state !== "running" && instance.state !== "pending") return
      const ci = this.containerInstanceOf(instance)
      const busy =
        ci !== undefined &&
        [...ci.taskArns].some((arn) => {
          const task = this.tasks.get(arn)
          const service = task?.serviceKey === undefined ? undefined : this.services.get(task.serviceKey)
          return (
            task !== undefined && task.lastStatus !== "STOPPED" && service?.schedulingStrategy !== "DAEMON"
          )
        })
      if (!busy || this.now >= heldUntil) shutDown()
      else
        this.schedule(this.timings.managedDrainingCheckMs, `managed draining ${instance.instanceId}`, check)
    }
    this.schedule(this.timings.managedDrainingCheckMs, `managed draining ${instance.instanceId}`, check)
  }

  /**
   * The default termination policy (AWS docs, "Default termination policy"): the AZ with the most
   * instances that has an unprotected one; within it, instances of the oldest launch configuration /
   * template version; then a seeded random pick (the billing-hour rule is not modelled).
   */
  pickScaleInVictim(group: GroupRecord): MemberRecord | undefined {
    const members = this.capacityMembers(group)
    const candidates = members.filter((m) => !m.membership.protectedFromScaleIn)
    if (candidates.length === 0) return undefined
    const counts = this.zoneCounts(group, members)
    const zones = [...new Set(candidates.map((c) => c.availabilityZone))]
    const largest = Math.max(...zones.map((zone) => counts.get(zone) ?? 0))
    const inZone = candidates.filter(
      (c) => c.availabilityZone === zones.find((z) => (counts.get(z) ?? 0) === largest),
    )
    const ranks = inZone.map((c) => this.launchAgeRank(group, c))
    const oldest = Math.min(...ranks)
    const oldestOnes = inZone.filter((_, index) => ranks[index] === oldest)
    return oldestOnes[Math.floor(this.rng.next() * oldestOnes.length)]
  }

  /** Lower is older: attached instances and launch configurations before templates, other templates and older versions before the current one. */
  private launchAgeRank(group: GroupRecord, instance: MemberRecord): number {
    const origin = instance.membership.origin
    const spec = group.launchSpec
    if (origin.kind === "attached") return 0
    if (origin.kind === "configuration") {
      return spec._tag === "LaunchConfiguration" && spec.launchConfigurationName === origin.name ? 3 : 0
    }
    if (spec._tag === "LaunchConfiguration" || spec.template.launchTemplateId !== origin.launchTemplateId)
      return 1
    const template = this.templates.get(origin.launchTemplateId)
    const current =
      template === undefined ? undefined : this.tryTemplateVersion(template, spec.template.version)
    return current !== undefined && origin.version >= current ? 3 : 2
  }

  private tryTemplateVersion(template: TemplateRecord, version: string): number | undefined {
    try {
      return this.templateVersion(template, version).versionNumber
    } catch {
      return undefined
    }
  }

  group(name: string): GroupRecord {
    const group = this.groups.get(name)
    if (group === undefined)
      throw new Refusal("invalid-parameter", "ValidationError", `AutoScalingGroup name not found - ${name}`)
    return group
  }

  updateGroup(input: {
    readonly asgName: string
    readonly desiredCapacity?: number
    readonly minSize?: number
    readonly maxSize?: number
    readonly launchSpec?: LaunchSpec
  }): void {
    const group = this.group(input.asgName)
    const minSize = input.minSize ?? group.minSize
    const maxSize = input.maxSize ?? group.maxSize
    const desired = input.desiredCapacity ?? group.desiredCapacity
    if (minSize > maxSize)
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        "Max bound must be greater than or equal to min bound",
      )
    if (input.desiredCapacity !== undefined && (desired < minSize || desired > maxSize)) {
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        `Desired capacity:${desired} must be between the specified min size:${minSize} and max size:${maxSize}`,
      )
    }
    if (input.launchSpec !== undefined) {
      const previous = group.launchSpec
      group.launchSpec = input.launchSpec
      try {
        this.resolveLaunchSpec(group)
      } catch (error) {
        group.launchSpec = previous
        throw error
      }
    }
    group.minSize = minSize
    group.maxSize = maxSize
    // AWS clamps desired capacity into a changed [min, max] when desired is not given.
    group.desiredCapacity = Math.min(Math.max(desired, minSize), maxSize)
    this.requestGroupReconcile(group.name)
  }

  private memberOf(group: GroupRecord, instanceId: string): MemberRecord {
    const instance = this.instances.get(instanceId)
    if (!isMember(instance) || instance.membership.groupName !== group.name) {
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        `The instance ${instanceId} is not part of Auto Scaling group ${group.name}.`,
      )
    }
    return instance
  }

  /**
   * AttachInstances semantics: every instance must be running, in no group (this one included) and in
   * one of the group's AZs, and desired capacity + n must stay ≤ max; otherwise nothing changes. Each
   * instance joins Pending and turns InService after the health-check grace; desired rises by n.
   */
  attachInstances(asgName: string, instanceIds: ReadonlyArray<string>): void {
    if (instanceIds.length > 20) {
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        "1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 20",
      )
    }
    const group = this.group(asgName)
    const instances = [...new Set(instanceIds)].map((id) => this.attachable(group, id))
    const desired = group.desiredCapacity + instances.length
    if (desired > group.maxSize) {
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        `New SetDesiredCapacity value ${desired} is above max value ${group.maxSize} for the AutoScalingGroup.`,
      )
    }
    group.desiredCapacity = desired
    for (const instance of instances) {
      instance.membership = {
        groupName: group.name,
        lifecycle: "Pending",
        health: "Healthy",
        protectedFromScaleIn: false,
        origin: { kind: "attached" },
      }
      instance.tags["aws:autoscaling:groupName"] = group.name
      group.members.push(instance.instanceId)
      this.recordActivity(
        group.name,
        "Successful",
        `Attaching an existing EC2 instance: ${instance.instanceId}`,
        "an instance was added in response to a user request",
      )
      this.schedule(this.timings.inServiceAfterRunningMs, `in-service ${instance.instanceId}`, () => {
        const membership = instance.membership
        if (
          membership?.groupName !== group.name ||
          membership.lifecycle !== "Pending" ||
          instance.state !== "running"
        )
          return
        membership.lifecycle = "InService"
        this.requestGroupReconcile(group.name)
      })
    }
    this.instancesDirty = true
    this.requestGroupReconcile(group.name)
  }

  private attachable(group: GroupRecord, instanceId: string): InstanceRecord {
    const instance = this.instances.get(instanceId)
    if (instance === undefined || instance.state !== "running") {
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        `Instance ${instanceId} is not in a valid state: only running instances can be attached.`,
      )
    }
    if (instance.membership !== undefined) {
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        `The instance ${instanceId} is already part of the Auto Scaling group ${instance.membership.groupName}.`,
      )
    }
    if (!group.availabilityZones.includes(instance.availabilityZone)) {
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        `The instance ${instanceId} is in ${instance.availabilityZone}, which is not an Availability Zone of the Auto Scaling group ${group.name}.`,
      )
    }
    return instance
  }

  detachInstances(asgName: string, instanceIds: ReadonlyArray<string>, decrement: boolean): void {
    if (instanceIds.length > 20) {
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        "1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 20",
      )
    }
    const group = this.group(asgName)
    const instances = instanceIds.map((id) => this.memberOf(group, id))
    for (const instance of instances) {
      const lifecycle = instance.membership.lifecycle
      if (lifecycle !== "InService" && lifecycle !== "Standby") {
        throw new Refusal(
          "invalid-parameter",
          "ValidationError",
          `The instance ${instance.instanceId} is not in InService or Standby.`,
        )
      }
    }
    const inCapacityCount = instances.filter((i) => i.membership.lifecycle === "InService").length
    if (decrement && group.desiredCapacity - inCapacityCount < group.minSize) {
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        `The number of instances to detach would take the desired capacity below the group's min size ${group.minSize}.`,
      )
    }
    for (const instance of instances) {
      this.recordActivity(
        group.name,
        "Successful",
        `Detaching EC2 instance: ${instance.instanceId}`,
        "an instance was detached by a user request",
      )
      this.removeMember(group.name, instance)
    }
    if (decrement) group.desiredCapacity -= inCapacityCount
    this.requestGroupReconcile(group.name)
  }

  terminateInstanceInGroup(instanceId: string, decrement: boolean): void {
    const instance = this.instances.get(instanceId)
    if (!isMember(instance)) {
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        `Instance Id not found - No managed instance found for instance ID: ${instanceId}`,
      )
    }
    const membership = instance.membership
    const group = this.group(membership.groupName)
    if (leavingLifecycleStates.has(membership.lifecycle)) {
      throw new Refusal(
        "conflict",
        "ScalingActivityInProgress",
        `An Auto Scaling activity is already terminating ${instanceId}.`,
      )
    }
    if (decrement && inCapacity(membership.lifecycle) && group.desiredCapacity - 1 < group.minSize) {
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        `Currently, desiredSize equals minSize (${group.minSize}). Terminating instance without replacement will violate group's min size constraint.`,
      )
    }
    if (decrement && inCapacity(membership.lifecycle)) group.desiredCapacity--
    this.terminateMember(instance, "an instance was taken out of service in response to a user request")
    this.requestGroupReconcile(group.name)
  }

  setProcesses(asgName: string, processes: ReadonlyArray<string>, suspended: boolean): void {
    const group = this.group(asgName)
    const unknown = processes.filter((p) => !scalingProcesses.has(p))
    if (unknown.length > 0)
      throw new Refusal(
        "invalid-parameter",
        "ValidationError",
        `Unknown scaling process(es): ${unknown.join(", ")}`,
      )
    const names = processes.length === 0 ? [...scalingProcesses] : processes
    for (const name of names) {
      if (suspended) group.suspendedProcesses.add(name)
      else group.suspendedProcesses.delete(name)
    }
    this.requestGroupReconcile(group.name)
  }

  recordActivity(
    asgName: string,
    status: ScalingActivityRecord["status"],
    description: string,
    cause: string,
  ): void {
    this.activities.push({
      activityId: `${this.rng.hex(8)}-${this.rng.hex(4)}-${this.rng.hex(4)}-${this.rng.hex(4)}-${this.rng.hex(12)}`,
      asgName,
      status,
      description,
      cause: `At ${new Date(this.now).toISOString()} ${cause}`,
      startTime: this.now,
    })
  }

  /** Sets desired capacity the way another actor (scaling policy, managed scaling, a person) would, clamped to [min, max]. */
  setDesiredByAnotherActor(asgName: string, desiredCapacity: number): void {
    const group = this.groups.get(asgName)
    if (group === undefined) return
    group.desiredCapacity = Math.min(Math.max(desiredCapacity, group.minSize), group.maxSize)
    this.requestGroupReconcile(asgName)
  }

  // ---------------------------------------------------------------- instance refresh

  /** StartInstanceRefresh (instance-refresh.ts). */
  startInstanceRefresh(asgName: string, preferences: RefreshPreferences): string {
    return startInstanceRefresh(this, this.group(asgName), preferences)
  }

  // ---------------------------------------------------------------- ECS: container instances

  updateContainerInstancesState(
    clusterName: string,
    arns: ReadonlyArray<string>,
    status: "ACTIVE" | "DRAINING",
  ): void {
    this.cluster(clusterName)
    if (arns.length > 10) {
      throw new Refusal(
        "invalid-parameter",
        "InvalidParameterException",
        "instanceIds can have at most 10 items.",
      )
    }
    const records = arns.map((arn) => {
      const record = this.containerInstances.get(arn)
      if (record === undefined || record.clusterName !== clusterName) {
        throw new Refusal(
          "not-found",
          "InvalidParameterException",
          `Container instance ${arn} not found (MISSING).`,
        )
      }
      if (record.status === "INACTIVE") {
        throw new Refusal(
          "invalid-parameter",
          "InvalidParameterException",
          `Container instance ${arn} is INACTIVE and cannot be updated.`,
        )
      }
      return record
    })
    for (const record of records) record.status = status
    this.requestScheduler(clusterName)
  }

  /** DeregisterContainerInstance(force=true): the tasks are orphaned — ECS forgets them, their targets drop at once. */
  forceDeregisterContainerInstance(clusterName: string, arn: string): void {
    const record = this.containerInstances.get(arn)
    if (record === undefined || record.clusterName !== clusterName) {
      throw new Refusal("not-found", "InvalidParameterException", `Container instance ${arn} not found.`)
    }
    for (const taskArn of [...record.taskArns]) {
      const task = this.tasks.get(taskArn)
      if (task !== undefined)
        this.finishTask(task, "Container instance deregistration forced by a user (task orphaned)")
    }
    this.deactivateContainerInstance(record)
    this.requestScheduler(clusterName)
  }

  private deactivateContainerInstance(record: ContainerInstanceRecord): void {
    record.status = "INACTIVE"
    record.agentConnected = false
    record.inactiveAt = this.now
    this.schedule(this.timings.stoppedRetentionMs, `forget ${record.containerInstanceArn}`, () =>
      this.containerInstances.delete(record.containerInstanceArn),
    )
  }

  cluster(clusterName: string): ClusterRecord {
    const cluster = this.clusters.get(clusterName)
    if (cluster === undefined)
      throw new Refusal("not-found", "ClusterNotFoundException", `Cluster not found: ${clusterName}`)
    return cluster
  }

  remaining(record: ContainerInstanceRecord): ResourcesRecord {
    return {
      cpu: record.registered.cpu - record.used.cpu,
      memory: record.registered.memory - record.used.memory,
      ports: [...record.registered.ports, ...record.used.ports],
    }
  }

  private reserve(record: ContainerInstanceRecord, task: TaskRecord): void {
    record.taskArns.add(task.taskArn)
    record.used.cpu += task.cpu
    record.used.memory += task.memory
    record.used.ports.push(...task.hostPorts)
  }

  private release(record: ContainerInstanceRecord, task: TaskRecord): void {
    if (!record.taskArns.delete(task.taskArn)) return
    record.used.cpu -= task.cpu
    record.used.memory -= task.memory
    for (const port of task.hostPorts) record.used.ports.splice(record.used.ports.indexOf(port), 1)
  }

  // ---------------------------------------------------------------- ECS: tasks

  private newTaskArn(clusterName: string): string {
    return `arn:aws:ecs:${this.region}:${this.accountId}:task/${clusterName}/${this.rng.hex(32)}`
  }

  /** RunTask-like: a standalone task placed at random on an ACTIVE instance with room (PENDING when none). */
  runTask(input: {
    readonly clusterName: string
    readonly group: string
    readonly cpu: number
    readonly memory: number
    readonly runsForMs?: number
    readonly startedBy?: string
    /** Scenario start: the task is already running. */
    readonly instant?: boolean
  }): string {
    this.cluster(input.clusterName)
    const neverFinishes = this.faults.standaloneTasksNeverFinish === true
    const task: TaskRecord = {
      taskArn: this.newTaskArn(input.clusterName),
      clusterName: input.clusterName,
      group: input.group,
      lastStatus: "PENDING",
      desiredStatus: "RUNNING",
      health: "UNKNOWN",
      cpu: input.cpu,
      memory: input.memory,
      hostPorts: [],
      createdAt: this.now,
      ...(input.startedBy === undefined ? {} : { startedBy: input.startedBy }),
      ...(input.runsForMs === undefined || neverFinishes ? {} : { runsForMs: input.runsForMs }),
    }
    this.tasks.set(task.taskArn, task)
    const target = this.pickInstance(task, [{ type: "random" }], undefined)
    if (target !== undefined) this.placeTask(task, target, input.instant === true ? "instant" : "created")
    return task.taskArn
  }

  private createServiceTask(
    service: ServiceRecord,
    target: ContainerInstanceRecord | undefined,
    instant: boolean,
  ): TaskRecord {
    const task: TaskRecord = {
      taskArn: this.newTaskArn(service.clusterName),
      clusterName: service.clusterName,
      group: `service:${service.serviceName}`,
      serviceKey: service.key,
      lastStatus: "PENDING",
      desiredStatus: "RUNNING",
      health: "UNKNOWN",
      cpu: service.cpu,
      memory: service.memory,
      hostPorts: service.hostPorts,
      createdAt: this.now,
      startedBy: `ecs-svc/${this.rng.hex(19)}`,
    }
    this.tasks.set(task.taskArn, task)
    service.taskArns.add(task.taskArn)
    this.dirtyServices.add(service.key)
    if (target !== undefined) this.placeTask(task, target, instant ? "instant" : "created")
    return task
  }

  /**
   * Puts a task on an instance. `instant` (scenario start) makes it RUNNING and healthy at once; a task
   * placed when created goes through PROVISIONING; one that waited unplaced is already PENDING.
   */
  private placeTask(
    task: TaskRecord,
    target: ContainerInstanceRecord,
    mode: "instant" | "created" | "waited",
  ): void {
    task.containerInstanceArn = target.containerInstanceArn
    this.reserve(target, task)
    if (mode === "instant") {
      task.lastStatus = "RUNNING"
      task.startedAt = this.now
      task.health = task.serviceKey === undefined ? "UNKNOWN" : "HEALTHY"
      this.scheduleStandaloneEnd(task)
      this.markTask(task)
      return
    }
    this.markTask(task)
    if (mode === "waited") {
      this.schedule(this.timings.taskStartMs, `start ${task.taskArn}`, () => this.taskStarted(task))
      return
    }
    task.lastStatus = "PROVISIONING"
    this.schedule(this.timings.taskProvisioningMs, `pending ${task.taskArn}`, () => {
      if (task.lastStatus !== "PROVISIONING" || task.desiredStatus !== "RUNNING") return
      task.lastStatus = "PENDING"
      this.schedule(this.timings.taskStartMs, `start ${task.taskArn}`, () => this.taskStarted(task))
    })
  }

  private taskStarted(task: TaskRecord): void {
    if (task.lastStatus !== "PENDING" || task.desiredStatus !== "RUNNING") return
    task.lastStatus = "RUNNING"
    task.startedAt = this.now
    this.markTask(task)
    this.scheduleStandaloneEnd(task)
    if (task.serviceKey === undefined) return
    this.schedule(this.timings.taskHealthyAfterMs, `health ${task.taskArn}`, () => {
      if (task.lastStatus !== "RUNNING" || task.desiredStatus !== "RUNNING") return
      const instance = this.instanceOfTask(task)
      const failing =
        instance !== undefined && (this.faults.unhealthyTasksOnImages ?? []).includes(instance.imageId)
      if (failing) {
        task.health = "UNHEALTHY"
        this.stopTask(task, "Task failed ELB health checks")
      } else {
        task.health = "HEALTHY"
        this.markTask(task)
      }
    })
  }

  private scheduleStandaloneEnd(task: TaskRecord): void {
    if (task.serviceKey !== undefined || task.runsForMs === undefined) return
    const endsAt = task.createdAt + task.runsForMs
    this.schedule(Math.max(0, endsAt - this.now), `exit ${task.taskArn}`, () => {
      if (task.desiredStatus === "RUNNING" && task.lastStatus === "RUNNING")
        this.finishTask(task, "Essential container in task exited")
    })
  }

  instanceOfTask(task: TaskRecord): InstanceRecord | undefined {
    const ci =
      task.containerInstanceArn === undefined
        ? undefined
        : this.containerInstances.get(task.containerInstanceArn)
    return ci === undefined ? undefined : this.instances.get(ci.ec2InstanceId)
  }

  /** StopTask / scheduler stop: DEACTIVATING (deregistration delay behind a load balancer), STOPPING, STOPPED. */
  stopTask(task: TaskRecord, reason: string): void {
    if (task.desiredStatus === "STOPPED") return
    task.desiredStatus = "STOPPED"
    task.stopReason = reason
    this.markTask(task)
    if (task.lastStatus !== "RUNNING") {
      this.finishTask(task, reason)
      return
    }
    task.lastStatus = "DEACTIVATING"
    const service = task.serviceKey === undefined ? undefined : this.services.get(task.serviceKey)
    const deactivating =
      service?.loadBalanced === true ? service.deregistrationDelayMs : this.timings.deactivatingMs
    this.schedule(deactivating, `stopping ${task.taskArn}`, () => {
      if (task.lastStatus !== "DEACTIVATING") return
      task.lastStatus = "STOPPING"
      this.markTask(task)
      this.schedule(this.timings.taskStopMs, `stopped ${task.taskArn}`, () => {
        if (task.lastStatus === "STOPPING") this.finishTask(task, reason)
      })
    })
  }

  /** The task is STOPPED now: resources are released, and ECS forgets it after the retention time. */
  private finishTask(task: TaskRecord, reason: string): void {
    if (task.lastStatus === "STOPPED") return
    task.lastStatus = "STOPPED"
    task.desiredStatus = "STOPPED"
    task.stopReason ??= reason
    task.stoppedAt = this.now
    const host =
      task.containerInstanceArn === undefined
        ? undefined
        : this.containerInstances.get(task.containerInstanceArn)
    if (host !== undefined) this.release(host, task)
    this.markTask(task)
    this.schedule(this.timings.stoppedRetentionMs, `forget ${task.taskArn}`, () => {
      this.tasks.delete(task.taskArn)
      if (task.serviceKey !== undefined) this.services.get(task.serviceKey)?.taskArns.delete(task.taskArn)
    })
  }

  private markTask(task: TaskRecord): void {
    if (task.serviceKey !== undefined) this.dirtyServices.add(task.serviceKey)
    this.requestScheduler(task.clusterName)
  }

  // ---------------------------------------------------------------- ECS: service scheduler

  requestScheduler(clusterName: string): void {
    const cluster = this.clusters.get(clusterName)
    if (cluster === undefined || cluster.schedulerScheduled) return
    cluster.schedulerScheduled = true
    this.schedule(this.timings.schedulerReactionMs, `scheduler ${clusterName}`, () => {
      cluster.schedulerScheduled = false
      this.runScheduler(clusterName, false)
    })
  }

  serviceTasks(service: ServiceRecord): Array<TaskRecord> {
    return [...service.taskArns]
      .map((arn) => this.tasks.get(arn))
      .filter((t): t is TaskRecord => t !== undefined)
  }

  isHealthy(task: TaskRecord): boolean {
    return task.desiredStatus === "RUNNING" && task.lastStatus === "RUNNING" && task.health === "HEALTHY"
  }

  private statusOf(task: TaskRecord): ContainerInstanceRecord["status"] | undefined {
    return task.containerInstanceArn === undefined
      ? undefined
      : this.containerInstances.get(task.containerInstanceArn)?.status
  }

  /** One pass of the ECS service scheduler over a cluster: daemons first, then replica services by name. */
  private runScheduler(clusterName: string, instant: boolean): void {
    const services = [...this.services.values()]
      .filter((s) => s.clusterName === clusterName)
      .sort((a, b) => a.serviceName.localeCompare(b.serviceName))
    for (const service of services)
      if (service.schedulingStrategy === "DAEMON") this.scheduleDaemon(service, instant)
    for (const service of services)
      if (service.schedulingStrategy === "REPLICA") this.scheduleReplica(service, instant)
    // Standalone tasks waiting for room.
    for (const task of this.tasks.values()) {
      if (task.clusterName !== clusterName || task.serviceKey !== undefined) continue
      if (task.desiredStatus !== "RUNNING" || task.containerInstanceArn !== undefined) continue
      const target = this.pickInstance(task, [{ type: "random" }], undefined)
      if (target !== undefined) this.placeTask(task, target, "waited")
    }
  }

  private scheduleDaemon(service: ServiceRecord, instant: boolean): void {
    const live = this.serviceTasks(service).filter((t) => t.desiredStatus === "RUNNING")
    for (const ci of this.containerInstances.values()) {
      if (ci.clusterName !== service.clusterName || !ci.agentConnected) continue
      const mine = live.filter((t) => t.containerInstanceArn === ci.containerInstanceArn)
      if (ci.status === "ACTIVE" && mine.length === 0 && this.fitsResources(ci, service)) {
        this.createServiceTask(service, ci, instant)
      }
      if (ci.status === "DRAINING" && mine.length > 0) {
        // Daemon tasks go last: only once no other service task runs on the instance.
        const others = [...ci.taskArns]
          .map((arn) => this.tasks.get(arn))
          .some((t) => t !== undefined && t.serviceKey !== undefined && t.serviceKey !== service.key)
        if (!others) for (const task of mine) this.stopTask(task, "Container instance is draining")
      }
    }
    service.desiredCount = [...this.containerInstances.values()].filter(
      (ci) => ci.clusterName === service.clusterName && ci.status === "ACTIVE" && ci.agentConnected,
    ).length
    this.dirtyServices.add(service.key)
  }

  /**
   * Replica services, following the documented draining semantics: PENDING tasks on DRAINING instances
   * stop at once; replacements start while the total stays within maximumPercent; RUNNING tasks on
   * DRAINING instances stop only while the healthy count stays at or above the minimumHealthyPercent floor.
   */
  private scheduleReplica(service: ServiceRecord, instant: boolean): void {
    const live = () => this.serviceTasks(service).filter((t) => t.desiredStatus === "RUNNING")
    for (const task of live()) {
      if (this.statusOf(task) === "DRAINING" && task.lastStatus !== "RUNNING")
        this.stopTask(task, "Container instance is draining")
    }
    for (const task of live()) {
      if (task.containerInstanceArn !== undefined) continue
      const target = this.pickInstance(task, service.placementStrategy, service)
      if (target !== undefined) this.placeTask(task, target, instant ? "instant" : "waited")
    }
    const draining = live().filter((t) => this.statusOf(t) === "DRAINING")
    const staying = live().filter((t) => this.statusOf(t) !== "DRAINING")
    const desired = service.desiredCount
    if (staying.length > desired) {
      // Scale in: unplaced first, then not yet running, then the newest.
      const order = [...staying].sort(
        (a, b) =>
          Number(a.containerInstanceArn !== undefined) - Number(b.containerInstanceArn !== undefined) ||
          Number(a.lastStatus === "RUNNING") - Number(b.lastStatus === "RUNNING") ||
          b.createdAt - a.createdAt,
      )
      for (const task of order.slice(0, staying.length - desired)) this.stopTask(task, "Service scaled in")
    }
    const maxTotal = Math.floor((desired * service.maximumPercent) / 100)
    const toStart = Math.min(desired - staying.length, maxTotal - staying.length - draining.length)
    for (let index = 0; index < toStart; index++) {
      const probe = { cpu: service.cpu, memory: service.memory, hostPorts: service.hostPorts }
      const target = this.pickInstance(probe, service.placementStrategy, service)
      this.createServiceTask(service, target, instant)
    }
    const floor = Math.ceil((desired * service.minimumHealthyPercent) / 100)
    let healthy = live().filter((t) => this.isHealthy(t)).length
    const stopOrder = [...draining].sort((a, b) => Number(this.isHealthy(a)) - Number(this.isHealthy(b)))
    for (const task of stopOrder) {
      if (!this.isHealthy(task)) {
        this.stopTask(task, "Container instance is draining")
      } else if (healthy - 1 >= floor) {
        this.stopTask(task, "Container instance is draining")
        healthy--
      }
    }
  }

  private fitsResources(ci: ContainerInstanceRecord, need: ResourceNeed): boolean {
    if (ci.registered.cpu - ci.used.cpu < need.cpu || ci.registered.memory - ci.used.memory < need.memory)
      return false
    return !need.hostPorts.some((port) => ci.registered.ports.includes(port) || ci.used.ports.includes(port))
  }

  /** Placement: ACTIVE instances with a connected agent and room, ordered by the strategies in turn, ties broken at (seeded) random as ECS does. */
  private pickInstance(
    need: ResourceNeed & { readonly clusterName?: string },
    strategies: ServiceRecord["placementStrategy"],
    service: ServiceRecord | undefined,
  ): ContainerInstanceRecord | undefined {
    const clusterName = service?.clusterName ?? need.clusterName
    // The service's live tasks per instance and per AZ: for spread and for distinctInstance.
    const perInstance = new Map<string, number>()
    const perZone = new Map<string, number>()
    for (const task of service === undefined ? [] : this.serviceTasks(service)) {
      if (task.desiredStatus !== "RUNNING" || task.containerInstanceArn === undefined) continue
      const host = this.containerInstances.get(task.containerInstanceArn)
      if (host === undefined) continue
      perInstance.set(host.containerInstanceArn, (perInstance.get(host.containerInstanceArn) ?? 0) + 1)
      perZone.set(host.availabilityZone, (perZone.get(host.availabilityZone) ?? 0) + 1)
    }
    const distinct = service?.placementConstraints.some((c) => c.type === "distinctInstance") === true
    let best: ContainerInstanceRecord | undefined
    let bestKey: Array<number> = []
    for (const ci of this.containerInstances.values()) {
      if (
        ci.clusterName !== clusterName ||
        ci.status !== "ACTIVE" ||
        !ci.agentConnected ||
        !this.fitsResources(ci, need)
      )
        continue
      if (distinct && (perInstance.get(ci.containerInstanceArn) ?? 0) > 0) continue
      const key = strategies.map((strategy) => {
        if (strategy.type === "random") return this.rng.next()
        if (strategy.type === "binpack")
          return strategy.field === "cpu"
            ? ci.registered.cpu - ci.used.cpu
            : ci.registered.memory - ci.used.memory
        return strategy.field === "attribute:ecs.availability-zone"
          ? (perZone.get(ci.availabilityZone) ?? 0)
          : (perInstance.get(ci.containerInstanceArn) ?? 0)
      })
      key.push(this.rng.next())
      if (best === undefined || lexicographicallyLess(key, bestKey)) {
        best = ci
        bestKey = key
      }
    }
    return best
  }

  /** Sets a service's desired count (UpdateService-like; a simulator operation). */
  setServiceDesiredCount(clusterName: string, serviceName: string, desiredCount: number): void {
    const service = this.services.get(serviceKey(clusterName, serviceName))
    if (service === undefined)
      throw new Refusal("not-found", "ServiceNotFoundException", `Service not found: ${serviceName}`)
    service.desiredCount = desiredCount
    this.dirtyServices.add(service.key)
    this.requestScheduler(clusterName)
  }

  // ---------------------------------------------------------------- managed scaling

  private startManagedScaling(): void {
    for (const cluster of this.clusters.values()) {
      for (const provider of cluster.capacityProviders) {
        if (!provider.managedScaling && !provider.managedTerminationProtection) continue
        const tick = () => {
          this.managedScalingStep(cluster, provider)
          this.schedule(this.timings.managedScalingPeriodMs, `managed-scaling ${provider.name}`, tick)
        }
        this.schedule(this.timings.managedScalingPeriodMs, `managed-scaling ${provider.name}`, tick)
      }
    }
  }

  /**
   * ECS managed scaling at target capacity 100%: desired = instances hosting non-daemon tasks, plus
   * one while tasks wait for room; instances younger than the warmup period are not scaled in.
   * Managed termination protection protects instances hosting non-daemon tasks.
   */
  private managedScalingStep(
    cluster: ClusterRecord,
    provider: ClusterRecord["capacityProviders"][number],
  ): void {
    const group = this.groups.get(provider.asgName)
    if (group === undefined) return
    const members = this.capacityMembers(group)
    const busy = (instance: InstanceRecord) => {
      const ci = this.containerInstanceOf(instance)
      if (ci === undefined) return false
      return [...ci.taskArns].some((arn) => {
        const task = this.tasks.get(arn)
        const service = task?.serviceKey === undefined ? undefined : this.services.get(task.serviceKey)
        return task !== undefined && service?.schedulingStrategy !== "DAEMON"
      })
    }
    if (provider.managedTerminationProtection)
      for (const member of members) member.membership.protectedFromScaleIn = busy(member)
    // Managed scaling acts through a target tracking policy, whose CloudWatch alarms reach the group
    // only while its AlarmNotification process runs.
    if (!provider.managedScaling || group.suspendedProcesses.has("AlarmNotification")) return
    const waiting = [...this.tasks.values()].some(
      (t) =>
        t.clusterName === cluster.clusterName &&
        t.desiredStatus === "RUNNING" &&
        t.containerInstanceArn === undefined,
    )
    const warming = members.filter(
      (m) => this.now - m.launchTime < this.timings.managedScalingWarmupMs && !busy(m),
    ).length
    const needed = members.filter(busy).length + warming + (waiting ? 1 : 0)
    if (needed !== group.desiredCapacity) this.setDesiredByAnotherActor(group.name, needed)
  }
}
