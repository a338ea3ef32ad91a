/**
 * The simulated world: EC2, Auto Scaling and ECS state plus the behaviour that moves it through
 * simulated time. Everything that happens later (an instance finishing boot, an agent registering,
 * a task passing its health check, the service scheduler reacting) is an event on one queue; the
 * world only changes when an event runs or a call is made, so hours of activity cost a few thousand
 * steps. Calls that AWS would refuse throw a `Refusal`, which the port layer turns into an
 * `AwsCallError`. Measurements are recorded as step functions of time as the state changes.
 */
import {
  agentReservedPorts,
  amazonOwnerId,
  defaultAccountId,
  defaultRegion,
  instanceTypeSpec,
} from "./catalog.ts"
import { EventQueue } from "./event-queue.ts"
import { Prng } from "./prng.ts"
import {
  Refusal,
  serviceKey,
  type ClusterRecord,
  type ContainerInstanceRecord,
  type GroupRecord,
  type ImageRecord,
  type InstanceCountPoint,
  type InstanceRecord,
  type LaunchConfigurationRecord,
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
import { scheduleFaults } from "./world/faults.ts"
import { recordMeasurements } from "./world/measurements.ts"
import { groupNamed, pickLaunchZone, reconcileGroup } from "./world/auto-scaling.ts"
import { startManagedScaling } from "./world/capacity-providers.ts"
import { createInstance, liveInstanceStates } from "./world/ec2.ts"
import { resolveLaunchSpec } from "./world/launch-specs.ts"
import { managedDrainingHook } from "./world/lifecycle-hooks.ts"

const lexicographicallyLess = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean => {
  for (let index = 0; index < a.length; index++) {
    const [x = 0, y = 0] = [a[index], b[index]]
    if (x !== y) return x < y
  }
  return false
}

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

  load(scenario: Scenario): void {
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
          (firstGroup === undefined
            ? undefined
            : resolveLaunchSpec(this, groupNamed(this, firstGroup.name)).imageId)
        if (imageId === undefined) continue
        createInstance(this, {
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
    startManagedScaling(this)
    recordMeasurements(this)
    this.baselineInstances = [...this.instances.values()].filter((i) =>
      liveInstanceStates.has(i.state),
    ).length
  }

  createService(spec: ScenarioService): void {
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

  createGroup(spec: ScenarioGroup): void {
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
      const resolved = resolveLaunchSpec(this, group)
      const imageId = spec.initialImageId ?? resolved.imageId
      const instance = createInstance(this, {
        group,
        clusterName: group.clusterName,
        availabilityZone: pickLaunchZone(this, group),
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
    if (inService < spec.desiredCapacity) reconcileGroup(this, group)
  }

  registerContainerInstance(instance: InstanceRecord): void {
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

  containerInstanceOf(instance: InstanceRecord): ContainerInstanceRecord | undefined {
    return instance.containerInstanceArn === undefined
      ? undefined
      : this.containerInstances.get(instance.containerInstanceArn)
  }

  // ---------------------------------------------------------------- ECS: container instances

  updateContainerInstancesState(
    clusterName: string,
    arns: ReadonlyArray<string>,
    status: "ACTIVE" | "DRAINING",
  ): void {
    this.clusterNamed(clusterName)
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

  deactivateContainerInstance(record: ContainerInstanceRecord): void {
    record.status = "INACTIVE"
    record.agentConnected = false
    record.inactiveAt = this.now
    this.schedule(this.timings.stoppedRetentionMs, `forget ${record.containerInstanceArn}`, () =>
      this.containerInstances.delete(record.containerInstanceArn),
    )
  }

  clusterNamed(clusterName: string): ClusterRecord {
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

  reserve(record: ContainerInstanceRecord, task: TaskRecord): void {
    record.taskArns.add(task.taskArn)
    record.used.cpu += task.cpu
    record.used.memory += task.memory
    record.used.ports.push(...task.hostPorts)
  }

  release(record: ContainerInstanceRecord, task: TaskRecord): void {
    if (!record.taskArns.delete(task.taskArn)) return
    record.used.cpu -= task.cpu
    record.used.memory -= task.memory
    for (const port of task.hostPorts) record.used.ports.splice(record.used.ports.indexOf(port), 1)
  }

  // ---------------------------------------------------------------- ECS: tasks

  newTaskArn(clusterName: string): string {
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
    this.clusterNamed(input.clusterName)
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

  createServiceTask(
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
  placeTask(task: TaskRecord, target: ContainerInstanceRecord, mode: "instant" | "created" | "waited"): void {
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

  taskStarted(task: TaskRecord): void {
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

  scheduleStandaloneEnd(task: TaskRecord): void {
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
  finishTask(task: TaskRecord, reason: string): void {
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

  markTask(task: TaskRecord): void {
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

  statusOf(task: TaskRecord): ContainerInstanceRecord["status"] | undefined {
    return task.containerInstanceArn === undefined
      ? undefined
      : this.containerInstances.get(task.containerInstanceArn)?.status
  }

  /** One pass of the ECS service scheduler over a cluster: daemons first, then replica services by name. */
  runScheduler(clusterName: string, instant: boolean): void {
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

  scheduleDaemon(service: ServiceRecord, instant: boolean): void {
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
  scheduleReplica(service: ServiceRecord, instant: boolean): void {
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

  fitsResources(ci: ContainerInstanceRecord, need: ResourceNeed): boolean {
    if (ci.registered.cpu - ci.used.cpu < need.cpu || ci.registered.memory - ci.used.memory < need.memory)
      return false
    return !need.hostPorts.some((port) => ci.registered.ports.includes(port) || ci.used.ports.includes(port))
  }

  /** Placement: ACTIVE instances with a connected agent and room, ordered by the strategies in turn, ties broken at (seeded) random as ECS does. */
  pickInstance(
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
}
