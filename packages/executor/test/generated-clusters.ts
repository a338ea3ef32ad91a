/**
 * fast-check generators for whole-engine property tests: a random ECS cluster as a simulator
 * scenario (1–3 Auto Scaling groups, 2–12 instances, 1–6 replica services with varied deployment
 * configurations, an optional daemon service, standalone tasks, task sizes that sometimes leave
 * little room), a random rollout policy, random faults and a random point at which to kill the
 * executor. Each case is plain data, so a failing case prints as a readable counterexample.
 *
 * `unsafeServiceNames` is an oracle written from ECS's own rules, independent of the planner: a
 * service whose deployment configuration lets a drain stop every task (minimum healthy count 0) or
 * neither stop nor start one (maximum running count ≤ minimum healthy count).
 */
import fc from "fast-check"
import { defaultPolicy, type Amount, type RolloutPolicy } from "@ecs-ami-deploy/domain"
import { oldImageId, scenarios, type Faults, type Scenario } from "@ecs-ami-deploy/simulator"

export const clusterName = "prop-cluster"

/** CPU and memory these instance types register with ECS (as in the simulator's catalog, which it does not export). */
const instanceTypes = {
  "m5.large": { cpu: 2048, memory: 7680 },
  "c5.large": { cpu: 2048, memory: 3704 },
} as const
type InstanceType = keyof typeof instanceTypes

export interface GroupSpec {
  readonly name: string
  readonly instances: number
  readonly instanceType: InstanceType
  /** Max size above desired capacity at start (surge mode raises max size itself when it needs more). */
  readonly headroom: number
}

export interface ServiceSpec {
  readonly name: string
  readonly desiredCount: number
  readonly minimumHealthyPercent: 0 | 50 | 100
  readonly maximumPercent: 100 | 150 | 200
  readonly cpu: number
  readonly memory: number
  readonly loadBalanced: boolean
  readonly distinctInstance: boolean
}

export interface StandaloneSpec {
  readonly group: string
  /** Omitted: the task never finishes. */
  readonly durationMs?: number
}

export interface ClusterSpec {
  readonly groups: ReadonlyArray<GroupSpec>
  readonly services: ReadonlyArray<ServiceSpec>
  readonly daemon: boolean
  readonly standalone: ReadonlyArray<StandaloneSpec>
}

const taskSizes = [
  { cpu: 256, memory: 512 },
  { cpu: 512, memory: 1024 },
  { cpu: 1024, memory: 2048 },
] as const

/** Replica demand is scaled to at most this share of the cluster's memory and CPU: tight, yet placeable at start. */
const FILL_LIMIT = 0.8

const serviceSpec = fc.record({
  desiredCount: fc.integer({ min: 1, max: 8 }),
  // Weighted toward the configurations ECS users run; every combination still comes up.
  minimumHealthyPercent: fc.constantFrom(100 as const, 100 as const, 50 as const, 50 as const, 0 as const),
  maximumPercent: fc.constantFrom(200 as const, 200 as const, 150 as const, 100 as const),
  size: fc.constantFrom(...taskSizes),
  loadBalanced: fc.boolean(),
  // One service in five spreads its tasks one per instance.
  distinctInstance: fc.integer({ min: 0, max: 4 }).map((draw) => draw === 0),
})

/** Scales desired counts down (never below 1) until replica demand fits within FILL_LIMIT of the capacity. */
const fitted = (
  services: ReadonlyArray<ServiceSpec>,
  groups: ReadonlyArray<GroupSpec>,
): ReadonlyArray<ServiceSpec> => {
  const capacity = groups.reduce(
    (total, group) => ({
      cpu: total.cpu + group.instances * instanceTypes[group.instanceType].cpu,
      memory: total.memory + group.instances * instanceTypes[group.instanceType].memory,
    }),
    { cpu: 0, memory: 0 },
  )
  const instances = groups.reduce((total, group) => total + group.instances, 0)
  const demand = (list: ReadonlyArray<ServiceSpec>) =>
    list.reduce(
      (total, service) => ({
        cpu: total.cpu + service.desiredCount * service.cpu,
        memory: total.memory + service.desiredCount * service.memory,
      }),
      { cpu: 0, memory: 0 },
    )
  const used = demand(services)
  const scale = Math.min(
    1,
    (FILL_LIMIT * capacity.cpu) / used.cpu,
    (FILL_LIMIT * capacity.memory) / used.memory,
  )
  return services.map((service) => ({
    ...service,
    desiredCount: Math.max(
      1,
      Math.min(
        Math.floor(service.desiredCount * scale),
        service.distinctInstance ? instances : service.desiredCount,
      ),
    ),
  }))
}

export const clusterSpec: fc.Arbitrary<ClusterSpec> = fc
  .record({
    groups: fc.array(
      fc.record({
        instances: fc.integer({ min: 1, max: 4 }),
        instanceType: fc.constantFrom<InstanceType>("m5.large", "c5.large"),
        headroom: fc.constantFrom(1, 4),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    services: fc.array(serviceSpec, { minLength: 1, maxLength: 6 }),
    daemon: fc.boolean(),
    standalone: fc.array(fc.option(fc.constantFrom(600_000, 3_600_000), { nil: undefined }), {
      maxLength: 2,
    }),
  })
  .map(({ groups, services, daemon, standalone }): ClusterSpec => {
    const named = groups.map((group, index) => ({
      name: `prop-asg-${index + 1}`,
      // A cluster has at least two instances.
      instances: groups.length === 1 ? Math.max(2, group.instances) : group.instances,
      instanceType: group.instanceType,
      headroom: group.headroom,
    }))
    return {
      groups: named,
      services: fitted(
        services.map(({ size, ...service }, index) => ({
          name: `svc-${index + 1}`,
          ...service,
          ...size,
        })),
        named,
      ),
      daemon,
      standalone: standalone.map((durationMs, index) => ({
        group: `family:batch-${index + 1}`,
        ...(durationMs === undefined ? {} : { durationMs }),
      })),
    }
  })

const templateIdFor = (groupName: string) =>
  `lt-0${groupName
    .replace(/[^a-z0-9]/g, "")
    .padEnd(16, "0")
    .slice(0, 16)}`

/** The cluster as a simulator scenario: the library's images and SSM parameters, every group on the old image. */
export const scenarioOf = (spec: ClusterSpec): Scenario => {
  const base = scenarios.small
  return {
    name: "generated",
    description: "a cluster generated by the invariant properties",
    startTime: base.startTime,
    images: base.images,
    ssmParameters: base.ssmParameters,
    launchTemplates: spec.groups.map((group) => ({
      launchTemplateId: templateIdFor(group.name),
      launchTemplateName: `${group.name}-lt`,
      versions: [{ imageId: oldImageId, instanceType: group.instanceType, description: "initial" }],
      defaultVersion: 1,
    })),
    launchConfigurations: [],
    clusters: [{ name: clusterName }],
    groups: spec.groups.map((group) => ({
      name: group.name,
      clusterName,
      minSize: Math.floor(group.instances / 2),
      maxSize: group.instances + group.headroom,
      desiredCapacity: group.instances,
      availabilityZones: ["us-east-1a", "us-east-1b"],
      launchSpec: {
        _tag: "LaunchTemplate",
        template: {
          launchTemplateId: templateIdFor(group.name),
          launchTemplateName: `${group.name}-lt`,
          version: "$Latest",
        },
      },
      tags: { Name: `${clusterName}-node` },
    })),
    services: [
      ...spec.services.map((service) => ({
        clusterName,
        name: service.name,
        schedulingStrategy: "REPLICA" as const,
        desiredCount: service.desiredCount,
        minimumHealthyPercent: service.minimumHealthyPercent,
        maximumPercent: service.maximumPercent,
        cpu: service.cpu,
        memory: service.memory,
        loadBalanced: service.loadBalanced,
        ...(service.distinctInstance
          ? { placementConstraints: [{ type: "distinctInstance" as const }] }
          : {}),
      })),
      ...(spec.daemon
        ? [
            {
              clusterName,
              name: "daemon-agent",
              schedulingStrategy: "DAEMON" as const,
              desiredCount: 0,
              minimumHealthyPercent: 0,
              maximumPercent: 100,
              cpu: 128,
              memory: 256,
              loadBalanced: false,
            },
          ]
        : []),
    ],
    // Stopped tasks stay visible for the whole run (AWS: at least an hour), so every stop reason can be checked.
    timings: { stoppedRetentionMs: 24 * 3_600_000 },
    standaloneTasks: spec.standalone.map((task) => ({
      clusterName,
      group: task.group,
      cpu: 256,
      memory: 512,
      startedBy: "events-rule/batch",
      ...(task.durationMs === undefined ? {} : { durationMs: task.durationMs }),
    })),
  }
}

/**
 * Replica services whose own deployment configuration makes any drain unsafe, by ECS's rounding:
 * at least ⌈min% × desired⌉ tasks stay healthy and at most ⌊max% × desired⌋ run.
 */
export const unsafeServiceNames = (spec: ClusterSpec): ReadonlyArray<string> =>
  spec.services
    .filter((service) => {
      const minHealthy = Math.ceil((service.minimumHealthyPercent * service.desiredCount) / 100)
      const maxRunning = Math.floor((service.maximumPercent * service.desiredCount) / 100)
      return minHealthy === 0 || maxRunning <= minHealthy
    })
    .map((service) => service.name)

const amount: fc.Arbitrary<Amount> = fc.oneof(
  fc.record({ unit: fc.constant("instances" as const), value: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ unit: fc.constant("percent" as const), value: fc.constantFrom(25, 50, 100) }),
)

/** Rollout policies: surge or detach, surge and drain limits as counts or percents, standalone-task and unsafe-service answers. */
export const rolloutPolicy: fc.Arbitrary<RolloutPolicy> = fc
  .record({
    capacityMode: fc.constantFrom("surge" as const, "detach" as const),
    maxSurge: amount,
    maxDraining: amount,
    standaloneTasks: fc.constantFrom(
      "wait" as const,
      "stop-after-timeout" as const,
      "skip-instance" as const,
    ),
    // Mostly proceed, so that most cases run; refuse often enough to exercise the refusal.
    unsafeServices: fc.constantFrom("proceed" as const, "proceed" as const, "refuse" as const),
  })
  // A 30 s poll (default 5 s) keeps simulated rollouts quick; what is polled is the same.
  .map((variation) => ({ ...defaultPolicy, ...variation, pollIntervalMs: 30_000 }))

/** Faults for one case: API throttling and server errors, and optionally one instance lost (Spot) mid-run. */
export const faultsFor = (groupNames: ReadonlyArray<string>): fc.Arbitrary<Faults> =>
  fc
    .record({
      throttlingPercent: fc.integer({ min: 0, max: 30 }),
      transientPercent: fc.integer({ min: 0, max: 5 }),
      spotLoss: fc.option(
        fc.record({
          atMs: fc.integer({ min: 60_000, max: 1_800_000 }),
          groupName: fc.constantFrom(...groupNames),
        }),
        { nil: undefined },
      ),
    })
    .map(({ throttlingPercent, transientPercent, spotLoss }) => ({
      ...(throttlingPercent > 0 ? { throttling: { rate: throttlingPercent / 100 } } : {}),
      ...(transientPercent > 0 ? { transientErrors: { rate: transientPercent / 100 } } : {}),
      ...(spotLoss === undefined ? {} : { instanceLosses: [spotLoss] }),
    }))

/**
 * Where to kill the executor: after (or just before) its k-th append, k taken as a fraction (per mille)
 * of the events an uninterrupted run of the same case appends, so every part of a run gets hit.
 */
export interface KillPoint {
  readonly perMille: number
  readonly when: "before" | "after"
}

export const killPoint: fc.Arbitrary<KillPoint> = fc.record({
  perMille: fc.integer({ min: 0, max: 999 }),
  when: fc.constantFrom("before" as const, "after" as const),
})

/** The append to kill at, for a reference run of `events` events: never past the last, which closes the run. */
export const killAtFor = (point: KillPoint, events: number): number =>
  1 + Math.floor((point.perMille * Math.max(0, events - 1)) / 1000)

/**
 * fast-check settings every whole-engine property uses: CI runs from a fixed seed;
 * `INVARIANT_SEED=random` explores, `INVARIANT_SEED` + `INVARIANT_PATH` replay one case.
 */
const fixedSeed = 20_261_126
const seedSetting = process.env["INVARIANT_SEED"]
export const propertyReplay =
  seedSetting === "random"
    ? {}
    : seedSetting === undefined
      ? { seed: fixedSeed }
      : {
          seed: Number(seedSetting),
          ...(process.env["INVARIANT_PATH"] === undefined ? {} : { path: process.env["INVARIANT_PATH"] }),
          endOnFailure: true,
        }
