/**
 * Benchmark of the planner on a large cluster (not a test: it asserts nothing and prints figures).
 * `decide` on 1,000 instances / 500 services / 5,000 tasks, at the start of a run (the full plan)
 * and at the first drain (wave selection against new capacity), and a fold of 10,000 events.
 * Run: `node packages/planner/bench/decide.bench.ts` (Node 24). Each figure is the median of RUNS runs.
 */
import {
  defaultPolicy,
  EVENT_SCHEMA_VERSION,
  type AutoScalingGroup,
  type ClusterSnapshot,
  type Command,
  type ContainerInstance,
  type Ec2Instance,
  type Image,
  type RunEvent,
  type RunEventBody,
  type Service,
  type Task,
} from "@ecs-ami-deploy/domain"
import { decide, evolve, initialState, type RunState } from "../src/index.ts"

const RUNS = 15
const WARMUP = 3
const GROUPS = 4
const OLD_PER_GROUP = 200
const NEW_PROVEN = 200
const SERVICES = 500
const TASKS_PER_SERVICE = 10
const FOLDED_EVENTS = 10_000

const image = (imageId: string, name: string): Image => ({
  imageId,
  name,
  ownerId: "amazon",
  creationDate: 0,
  architecture: "x86_64",
  state: "available",
  tags: {},
})
const oldImage = image("ami-old", "al2023-ami-ecs-hvm-2025.1.0-kernel-6.1-x86_64")
const newImage = image("ami-new", "al2023-ami-ecs-hvm-2026.1.0-kernel-6.1-x86_64")

const instance = (instanceId: string, imageId: string): Ec2Instance => ({
  instanceId,
  imageId,
  instanceType: "m6i.xlarge",
  architecture: "x86_64",
  availabilityZone: "eu-west-1a",
  state: "running",
  launchTime: 0,
  lifecycle: "on-demand",
  terminationProtected: false,
  tags: {},
})

const container = (instanceId: string, used: { cpu: number; memory: number }): ContainerInstance => ({
  containerInstanceArn: `arn:ci/${instanceId}`,
  ec2InstanceId: instanceId,
  status: "ACTIVE",
  agentConnected: true,
  registered: { cpu: 4096, memory: 16384, ports: [22] },
  remaining: { cpu: 4096 - used.cpu, memory: 16384 - used.memory, ports: [22] },
  runningTasksCount: 0,
  pendingTasksCount: 0,
  availabilityZone: "eu-west-1a",
  attributes: {},
})

/** 800 old instances in 4 groups, 200 proven new ones in the first, 500 services of 10 tasks on the old ones. */
const largeCluster = (): ClusterSnapshot => {
  const oldIds = Array.from({ length: GROUPS * OLD_PER_GROUP }, (_, k) => `i-old-${k}`)
  const newIds = Array.from({ length: NEW_PROVEN }, (_, k) => `i-new-${k}`)
  const services: Array<Service> = Array.from({ length: SERVICES }, (_, k) => ({
    serviceArn: `arn:svc/s${k}`,
    serviceName: `s${k}`,
    status: "ACTIVE",
    schedulingStrategy: "REPLICA",
    desiredCount: TASKS_PER_SERVICE,
    runningCount: TASKS_PER_SERVICE,
    pendingCount: 0,
    minimumHealthyPercent: 50,
    maximumPercent: 200,
    deployments: [],
    placementConstraints: k % 5 === 0 ? [{ type: "distinctInstance" }] : [],
    placementStrategy: [],
    loadBalanced: true,
    taskCpu: 128,
    taskMemory: 256,
    taskHostPorts: [],
  }))
  const tasks: Array<Task> = []
  services.forEach((s, k) => {
    for (let t = 0; t < TASKS_PER_SERVICE; t++)
      tasks.push({
        taskArn: `arn:task/${s.serviceName}/${t}`,
        group: `service:${s.serviceName}`,
        serviceName: s.serviceName,
        containerInstanceArn: `arn:ci/${oldIds[(k * TASKS_PER_SERVICE + t) % oldIds.length] ?? ""}`,
        lastStatus: "RUNNING",
        desiredStatus: "RUNNING",
        healthStatus: "HEALTHY",
        cpu: 128,
        memory: 256,
        hostPorts: [],
      })
  })
  const used = new Map<string, { cpu: number; memory: number }>()
  for (const t of tasks) {
    const u = used.get(t.containerInstanceArn ?? "") ?? { cpu: 0, memory: 0 }
    used.set(t.containerInstanceArn ?? "", { cpu: u.cpu + t.cpu, memory: u.memory + t.memory })
  }
  const groups: Array<AutoScalingGroup> = Array.from({ length: GROUPS }, (_, g) => {
    const members = [...oldIds.slice(g * OLD_PER_GROUP, (g + 1) * OLD_PER_GROUP), ...(g === 0 ? newIds : [])]
    return {
      name: `g${g}`,
      minSize: 0,
      maxSize: members.length,
      desiredCapacity: members.length,
      availabilityZones: ["eu-west-1a"],
      suspendedProcesses: ["AZRebalance"],
      launchSpec: {
        _tag: "LaunchTemplate",
        template: { launchTemplateId: `lt-${g}`, launchTemplateName: `g${g}`, version: "$Latest" },
      },
      instances: members.map((instanceId) => ({
        instanceId,
        availabilityZone: "eu-west-1a",
        lifecycleState: "InService",
        healthStatus: "Healthy",
        protectedFromScaleIn: false,
        instanceType: "m6i.xlarge",
      })),
      tags: {},
      launchSpecImageId: g === 0 ? newImage.imageId : oldImage.imageId,
    }
  })
  const instances = [
    ...oldIds.map((id) => instance(id, oldImage.imageId)),
    ...newIds.map((id) => instance(id, newImage.imageId)),
  ]
  return {
    clusterName: "bench",
    observedAt: 1_000,
    targetImage: newImage,
    images: [oldImage, newImage],
    groups,
    instances,
    containerInstances: instances.map((i) =>
      container(i.instanceId, used.get(`arn:ci/${i.instanceId}`) ?? { cpu: 0, memory: 0 }),
    ),
    services,
    tasks,
  }
}

const stamp = (bodies: ReadonlyArray<RunEventBody>): Array<RunEvent> =>
  bodies.map(
    (body, seq) =>
      ({ ...body, schemaVersion: EVENT_SCHEMA_VERSION, runId: "bench", seq, at: 1_000 + seq }) as RunEvent,
  )

/** The state of a run of the large cluster right before its first drain: prepared, group g0's capacity raised. */
const stateAtFirstDrain = (snapshot: ClusterSnapshot): RunState => {
  const policy = {
    ...defaultPolicy,
    maxSurge: { unit: "instances" as const, value: NEW_PROVEN },
    maxDraining: { unit: "instances" as const, value: NEW_PROVEN },
  }
  const start = decide(initialState, snapshot, policy, 1_000)
  if (start._tag !== "Start") throw new Error(`expected Start, got ${start._tag}`)
  const groups = start.groups.map((g) => ({
    ...g,
    desiredCapacity: g.asgName === "g0" ? OLD_PER_GROUP : g.desiredCapacity,
    oldInstanceIds: g.oldInstanceIds.filter((id) => id.startsWith("i-old")),
  }))
  const capacity: Command = {
    _tag: "SetCapacity",
    id: "capacity:g0:w1",
    reason: "bench",
    asgName: "g0",
    desiredCapacity: OLD_PER_GROUP + NEW_PROVEN,
    minSize: 0,
    maxSize: OLD_PER_GROUP + NEW_PROVEN,
  }
  const prepared = groups.flatMap((g): Array<Command> => [
    {
      _tag: "TagInstances",
      id: `tag-old:${g.asgName}`,
      reason: "bench",
      instanceIds: g.oldInstanceIds,
      tags: {},
    },
    {
      _tag: "UpdateLaunchSpec",
      id: `launch-spec:${g.asgName}`,
      reason: "bench",
      asgName: g.asgName,
      imageId: newImage.imageId,
    },
  ])
  const log = stamp([
    { _tag: "RunStarted", clusterName: "bench", policy, targetImage: newImage, groups, reason: "bench" },
    ...[...prepared, capacity].flatMap((command): Array<RunEventBody> => [
      { _tag: "CommandIssued", command, attempt: 1 },
      { _tag: "CommandSucceeded", commandId: command.id },
    ]),
  ])
  return log.reduce(evolve, initialState)
}

const longLog = (): Array<RunEvent> => {
  const started: RunEventBody = {
    _tag: "RunStarted",
    clusterName: "bench",
    policy: defaultPolicy,
    targetImage: newImage,
    groups: [],
    reason: "bench",
  }
  const bodies: Array<RunEventBody> = [started]
  for (let k = 0; bodies.length < FOLDED_EVENTS; k++) {
    const command: Command = {
      _tag: "TagInstances",
      id: `tag:${k}`,
      reason: "bench",
      instanceIds: [`i-${k}`],
      tags: {},
    }
    bodies.push(
      { _tag: "CommandIssued", command, attempt: 1 },
      { _tag: "CommandSucceeded", commandId: command.id },
    )
  }
  return stamp(bodies.slice(0, FOLDED_EVENTS))
}

const medianMs = (work: () => unknown): number => {
  for (let k = 0; k < WARMUP; k++) work()
  const times: Array<number> = []
  for (let k = 0; k < RUNS; k++) {
    const begin = performance.now()
    work()
    times.push(performance.now() - begin)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)] ?? Number.NaN
}

const snapshot = largeCluster()
const running = stateAtFirstDrain(snapshot)
const firstDrain = decide(running, snapshot, defaultPolicy, 2_000)
const events = longLog()
const figures = [
  [`decide, no run (plan + Start)`, medianMs(() => decide(initialState, snapshot, defaultPolicy, 1_000))],
  [
    `decide, first drain (${firstDrain._tag === "Act" ? firstDrain.commands[0]?._tag : firstDrain._tag})`,
    medianMs(() => decide(running, snapshot, defaultPolicy, 2_000)),
  ],
  [
    `fold of ${events.length.toLocaleString("en")} events`,
    medianMs(() => events.reduce(evolve, initialState)),
  ],
] as const
console.log(
  `${snapshot.instances.length} instances, ${snapshot.services.length} services, ${snapshot.tasks.length} tasks; median of ${RUNS} runs (Node ${process.versions.node})`,
)
for (const [name, ms] of figures) console.log(`${name.padEnd(44)} ${ms.toFixed(2).padStart(9)} ms`)
