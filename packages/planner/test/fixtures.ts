/**
 * Test fixtures: consistent cluster snapshots built from a short description (groups with old and
 * new instances, services with their tasks), and the run events a test feeds to `evolve`.
 */
import {
  defaultPolicy,
  EVENT_SCHEMA_VERSION,
  type AsgInstance,
  type ClusterSnapshot,
  type ContainerInstance,
  type Ec2Instance,
  type GroupCapacityProvider,
  type Image,
  type RolloutPolicy,
  type RunEvent,
  type RunEventBody,
  type Service,
  type Task,
} from "@ecs-ami-deploy/domain"

export const image = (
  imageId: string,
  name: string,
  architecture: Image["architecture"] = "x86_64",
): Image => ({
  imageId,
  name,
  ownerId: "amazon",
  creationDate: 0,
  architecture,
  state: "available",
  tags: {},
})

export const oldImage = image("ami-old", "al2023-ami-ecs-hvm-2025.1.0-kernel-6.1-x86_64")
export const newImage = image("ami-new", "al2023-ami-ecs-hvm-2026.1.0-kernel-6.1-x86_64")

/** Every instance offers the same room, so fit is easy to reason about in tests. */
const INSTANCE_CPU = 2048
const INSTANCE_MEMORY = 4096

/**
 * The policy of these tests: the defaults, with waves of half a group (max surge and draining 50 %),
 * so a run has several waves to reason about; the defaults replace a group in one.
 */
export const policy = (overrides: Partial<RolloutPolicy> = {}): RolloutPolicy => ({
  ...defaultPolicy,
  maxSurge: { unit: "percent", value: 50 },
  maxDraining: { unit: "percent", value: 50 },
  ...overrides,
})

export interface GroupSpec {
  readonly name: string
  readonly old: number
  readonly fresh?: number
  readonly desired?: number
  readonly capacityProvider?: GroupCapacityProvider
}

export interface ServiceSpec {
  readonly name: string
  readonly tasks: number
  readonly min?: number
  readonly max?: number
  readonly cpu?: number
  readonly memory?: number
  readonly ports?: ReadonlyArray<number>
  readonly distinct?: boolean
  readonly daemon?: boolean
}

export interface ClusterSpec {
  readonly groups: ReadonlyArray<GroupSpec>
  readonly services?: ReadonlyArray<ServiceSpec>
  /** Standalone tasks, by the instance they run on. */
  readonly standalone?: ReadonlyArray<string>
  /** Instances registered to the cluster outside any Auto Scaling group. */
  readonly outside?: number
  readonly now?: number
}

const containerArn = (instanceId: string): string => `arn:aws:ecs:ci/${instanceId}`

export const ec2Instance = (instanceId: string, imageId: string, launchTime: number): Ec2Instance => ({
  instanceId,
  imageId,
  instanceType: "m6i.large",
  architecture: "x86_64",
  availabilityZone: "eu-west-1a",
  state: "running",
  launchTime,
  lifecycle: "on-demand",
  terminationProtected: false,
  tags: {},
})

export const containerInstance = (instanceId: string): ContainerInstance => ({
  containerInstanceArn: containerArn(instanceId),
  ec2InstanceId: instanceId,
  status: "ACTIVE",
  agentConnected: true,
  registered: { cpu: INSTANCE_CPU, memory: INSTANCE_MEMORY, ports: [22] },
  remaining: { cpu: INSTANCE_CPU, memory: INSTANCE_MEMORY, ports: [22] },
  runningTasksCount: 0,
  pendingTasksCount: 0,
  availabilityZone: "eu-west-1a",
  attributes: {},
})

const service = (spec: ServiceSpec, desiredCount: number): Service => ({
  serviceArn: `arn:aws:ecs:svc/${spec.name}`,
  serviceName: spec.name,
  status: "ACTIVE",
  schedulingStrategy: spec.daemon === true ? "DAEMON" : "REPLICA",
  desiredCount,
  runningCount: desiredCount,
  pendingCount: 0,
  minimumHealthyPercent: spec.min ?? 100,
  maximumPercent: spec.max ?? 200,
  deployments: [],
  placementConstraints: spec.distinct === true ? [{ type: "distinctInstance" }] : [],
  placementStrategy: [],
  loadBalanced: true,
  taskCpu: spec.cpu ?? 256,
  taskMemory: spec.memory ?? 512,
  taskHostPorts: spec.ports ?? [],
})

export const task = (taskArn: string, instanceId: string, fields: Partial<Task> = {}): Task => ({
  taskArn,
  group: fields.serviceName === undefined ? "family:batch" : `service:${fields.serviceName}`,
  containerInstanceArn: containerArn(instanceId),
  lastStatus: "RUNNING",
  desiredStatus: "RUNNING",
  healthStatus: "HEALTHY",
  cpu: 256,
  memory: 512,
  hostPorts: [],
  ...fields,
})

/** Recomputes each container instance's remaining room and task counts from the tasks placed on it. */
export const withAccounting = (snapshot: ClusterSnapshot): ClusterSnapshot => ({
  ...snapshot,
  containerInstances: snapshot.containerInstances.map((c) => {
    const live = snapshot.tasks.filter(
      (t) => t.containerInstanceArn === c.containerInstanceArn && t.lastStatus !== "STOPPED",
    )
    return {
      ...c,
      remaining: {
        cpu: c.registered.cpu - live.reduce((n, t) => n + t.cpu, 0),
        memory: c.registered.memory - live.reduce((n, t) => n + t.memory, 0),
        ports: [...c.registered.ports, ...live.flatMap((t) => t.hostPorts)],
      },
      runningTasksCount: live.filter((t) => t.lastStatus === "RUNNING").length,
      pendingTasksCount: live.filter((t) => t.lastStatus === "PENDING").length,
    }
  }),
})

/** A consistent snapshot: old instances run `oldImage`, fresh ones `newImage`; replica tasks round-robin over old instances. */
export const buildCluster = (spec: ClusterSpec): ClusterSnapshot => {
  const now = spec.now ?? 1_000_000
  const instances: Array<Ec2Instance> = []
  const groups = spec.groups.map((g) => {
    const ids = [
      ...Array.from({ length: g.old }, (_, k) => ({ id: `i-${g.name}-o${k}`, imageId: oldImage.imageId })),
      ...Array.from({ length: g.fresh ?? 0 }, (_, k) => ({
        id: `i-${g.name}-n${k}`,
        imageId: newImage.imageId,
      })),
    ]
    for (const { id, imageId } of ids) instances.push(ec2Instance(id, imageId, 0))
    const desired = g.desired ?? ids.length
    return {
      name: g.name,
      minSize: Math.min(1, desired),
      maxSize: desired,
      desiredCapacity: desired,
      availabilityZones: ["eu-west-1a"],
      suspendedProcesses: [],
      launchSpec: {
        _tag: "LaunchTemplate" as const,
        template: { launchTemplateId: `lt-${g.name}`, launchTemplateName: g.name, version: "$Latest" },
      },
      instances: ids.map(({ id }) => ({
        instanceId: id,
        availabilityZone: "eu-west-1a",
        lifecycleState: "InService" as const,
        healthStatus: "Healthy" as const,
        protectedFromScaleIn: false,
        instanceType: "m6i.large",
      })),
      tags: {},
      launchSpecImageId: oldImage.imageId,
      ...(g.capacityProvider === undefined ? {} : { capacityProvider: g.capacityProvider }),
    }
  })
  for (let k = 0; k < (spec.outside ?? 0); k++)
    instances.push(ec2Instance(`i-outside-${k}`, oldImage.imageId, 0))
  const oldIds = instances
    .filter((i) => i.imageId === oldImage.imageId && !i.instanceId.startsWith("i-outside"))
    .map((i) => i.instanceId)
  const tasks: Array<Task> = []
  const services: Array<Service> = []
  let slot = 0
  for (const s of spec.services ?? []) {
    if (s.daemon === true) {
      services.push(service(s, instances.length))
      for (const i of instances)
        tasks.push(
          task(`arn:task/${s.name}/${i.instanceId}`, i.instanceId, {
            serviceName: s.name,
            cpu: s.cpu ?? 64,
            memory: s.memory ?? 64,
          }),
        )
      continue
    }
    services.push(service(s, s.tasks))
    for (let k = 0; k < s.tasks; k++) {
      const on = oldIds[slot++ % Math.max(1, oldIds.length)] ?? "i-none"
      tasks.push(
        task(`arn:task/${s.name}/${k}`, on, {
          serviceName: s.name,
          cpu: s.cpu ?? 256,
          memory: s.memory ?? 512,
          hostPorts: s.ports ?? [],
        }),
      )
    }
  }
  for (const [k, on] of (spec.standalone ?? []).entries()) tasks.push(task(`arn:task/standalone/${k}`, on))
  return withAccounting({
    clusterName: "ci",
    observedAt: now,
    targetImage: newImage,
    images: [oldImage, newImage],
    groups,
    instances,
    containerInstances: instances.map((i) => containerInstance(i.instanceId)),
    services,
    tasks,
  })
}

/** Stamps event bodies with the envelope, numbering them from `firstSeq`. */
export const events = (
  runId: string,
  at: number,
  bodies: ReadonlyArray<RunEventBody>,
  firstSeq = 0,
): Array<RunEvent> =>
  bodies.map(
    (body, k) => ({ ...body, schemaVersion: EVENT_SCHEMA_VERSION, runId, seq: firstSeq + k, at }) as RunEvent,
  )

/**
 * One more member of `asgName` (desired capacity + 1, max size raised to it when needed): on `imageId`,
 * in `lifecycleState`, launched at `launchTime` (default: when the snapshot was taken), registered with
 * ECS (idle) when `registered`.
 */
export const withMember = (
  snapshot: ClusterSnapshot,
  asgName: string,
  member: {
    readonly instanceId: string
    readonly imageId: string
    readonly lifecycleState: AsgInstance["lifecycleState"]
    readonly registered: boolean
    readonly launchTime?: number
  },
): ClusterSnapshot =>
  withAccounting({
    ...snapshot,
    instances: [
      ...snapshot.instances,
      ec2Instance(member.instanceId, member.imageId, member.launchTime ?? snapshot.observedAt),
    ],
    containerInstances: member.registered
      ? [...snapshot.containerInstances, containerInstance(member.instanceId)]
      : snapshot.containerInstances,
    groups: snapshot.groups.map((g) =>
      g.name !== asgName
        ? g
        : {
            ...g,
            desiredCapacity: g.desiredCapacity + 1,
            maxSize: Math.max(g.maxSize, g.desiredCapacity + 1),
            instances: [
              ...g.instances,
              {
                instanceId: member.instanceId,
                availabilityZone: g.availabilityZones[0] ?? "eu-west-1a",
                lifecycleState: member.lifecycleState,
                healthStatus: "Healthy" as const,
                protectedFromScaleIn: false,
                instanceType: "m6i.large",
              },
            ],
          },
    ),
  })

/** A RunStarted of cluster `ci` with no groups under the default policy: the start of a log that tests a fold. */
export const runStartedWithoutGroups: RunEventBody = {
  _tag: "RunStarted",
  clusterName: "ci",
  policy: defaultPolicy,
  targetImage: newImage,
  groups: [],
  reason: "test",
}
