/**
 * The scenario library. Every scenario runs an older ECS-optimized AL2023 AMI while a newer one is
 * available — by the default name filter `al2023-ami-ecs-hvm-*-x86_64` (owner amazon) and by the
 * SSM parameters `/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id` and the
 * composite `.../recommended` JSON — so any rollout has something to do.
 */
import { realClusterScenarios } from "./real-clusters.ts"
import type { LaunchSpec } from "@ecs-ami-deploy/domain"
import { alarmScenarios } from "./alarms.ts"
import { targetHealthScenarios } from "./target-groups.ts"
import type { Scenario, ScenarioGroup, ScenarioService, ScenarioStandaloneTask } from "./scenario.ts"

export const oldImageId = "ami-0a1b2c3d4e5f60001"
export const newImageId = "ami-0a1b2c3d4e5f60002"
export const newArmImageId = "ami-0a1b2c3d4e5f60003"
export const deprecatedImageId = "ami-0a1b2c3d4e5f60000"
export const al2ImageId = "ami-0a1b2c3d4e5f60004"
export const recommendedParameter = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended"
export const recommendedImageIdParameter = `${recommendedParameter}/image_id`
export const defaultImageNameFilter = "al2023-ami-ecs-hvm-*-x86_64"

const images: Scenario["images"] = [
  {
    imageId: deprecatedImageId,
    name: "al2023-ami-ecs-hvm-2023.0.20240501-kernel-6.1-x86_64",
    owner: "amazon",
    creationDate: "2024-05-01T10:00:00.000Z",
    architecture: "x86_64",
    deprecationDate: "2026-05-01T10:00:00.000Z",
  },
  {
    imageId: oldImageId,
    name: "al2023-ami-ecs-hvm-2023.0.20260615-kernel-6.1-x86_64",
    owner: "amazon",
    creationDate: "2026-06-15T10:00:00.000Z",
    architecture: "x86_64",
  },
  {
    imageId: newImageId,
    name: "al2023-ami-ecs-hvm-2023.0.20261118-kernel-6.1-x86_64",
    owner: "amazon",
    creationDate: "2026-11-18T10:00:00.000Z",
    architecture: "x86_64",
  },
  {
    imageId: newArmImageId,
    name: "al2023-ami-ecs-hvm-2023.0.20261118-kernel-6.1-arm64",
    owner: "amazon",
    creationDate: "2026-11-18T10:00:00.000Z",
    architecture: "arm64",
  },
  {
    imageId: al2ImageId,
    name: "amzn2-ami-ecs-hvm-2.0.20261118-x86_64-ebs",
    owner: "amazon",
    creationDate: "2026-11-18T09:00:00.000Z",
    architecture: "x86_64",
  },
]

const ssmParameters: Scenario["ssmParameters"] = [
  { name: recommendedImageIdParameter, value: newImageId },
  {
    name: recommendedParameter,
    value: JSON.stringify({
      ecs_agent_version: "1.99.0",
      ecs_runtime_version: "Docker version 25.0.8",
      image_id: newImageId,
      image_name: "al2023-ami-ecs-hvm-2023.0.20261118-kernel-6.1-x86_64",
      image_version: "2023.0.20261118",
      os: "Amazon Linux 2023",
      schema_version: 1,
      source_image_name: "al2023-ami-minimal-2023.6.20261117.0-kernel-6.1-x86_64",
    }),
  },
  {
    name: "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
    value: newArmImageId,
  },
  { name: "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id", value: al2ImageId },
]

const zones = ["us-east-1a", "us-east-1b", "us-east-1c"]

/** The instance profile every built-in launch spec names, as the ECS console creates it. */
const instanceProfileName = "ecsInstanceRole"

type LaunchKind = "template" | "configuration" | "mixed"

interface GroupPlan {
  readonly name: string
  readonly instances: number
  readonly zones?: number
  readonly instanceType?: string
  readonly launch?: LaunchKind
  readonly surgeRoom?: number
  readonly suspendedProcesses?: ReadonlyArray<string>
}

const templateIdFor = (groupName: string) =>
  `lt-0${groupName
    .replace(/[^a-z0-9]/g, "")
    .padEnd(16, "0")
    .slice(0, 16)}`

const launchSpecFor = (plan: GroupPlan): LaunchSpec => {
  const template = {
    launchTemplateId: templateIdFor(plan.name),
    launchTemplateName: `${plan.name}-lt`,
    version: "$Latest",
  }
  switch (plan.launch ?? "template") {
    case "configuration":
      return { _tag: "LaunchConfiguration", launchConfigurationName: `${plan.name}-20260615T100000` }
    case "mixed":
      return {
        _tag: "MixedInstancesPolicy",
        template,
        overrides: [{ instanceType: "m5.large" }, { instanceType: "m6i.large" }],
      }
    case "template":
      return { _tag: "LaunchTemplate", template }
  }
}

const service = (
  clusterName: string,
  name: string,
  spec: Partial<Omit<ScenarioService, "clusterName" | "name">>,
): ScenarioService => ({
  clusterName,
  name,
  schedulingStrategy: "REPLICA",
  desiredCount: 2,
  minimumHealthyPercent: 100,
  maximumPercent: 200,
  cpu: 256,
  memory: 512,
  loadBalanced: true,
  ...spec,
})

const build = (input: {
  readonly name: string
  readonly description: string
  readonly clusterName?: string
  readonly groups: ReadonlyArray<GroupPlan>
  readonly services: (clusterName: string) => ReadonlyArray<ScenarioService>
  readonly standaloneTasks?: (clusterName: string) => ReadonlyArray<ScenarioStandaloneTask>
  readonly capacityProviders?: "plain" | "managed"
}): Scenario => {
  const clusterName = input.clusterName ?? `${input.name}-cluster`
  const groups: Array<ScenarioGroup> = input.groups.map((plan) => ({
    name: plan.name,
    clusterName,
    minSize: Math.min(plan.instances, Math.max(1, Math.floor(plan.instances / 2))),
    maxSize: plan.instances + (plan.surgeRoom ?? plan.instances),
    desiredCapacity: plan.instances,
    availabilityZones: zones.slice(0, plan.zones ?? 2),
    launchSpec: launchSpecFor(plan),
    ...(plan.suspendedProcesses === undefined ? {} : { suspendedProcesses: plan.suspendedProcesses }),
    tags: { Name: `${clusterName}-node` },
  }))
  return {
    name: input.name,
    description: input.description,
    startTime: "2026-11-26T00:00:00.000Z",
    images,
    ssmParameters,
    launchTemplates: input.groups
      .filter((plan) => (plan.launch ?? "template") !== "configuration")
      .map((plan) => ({
        launchTemplateId: templateIdFor(plan.name),
        launchTemplateName: `${plan.name}-lt`,
        versions: [
          {
            imageId: oldImageId,
            instanceType: plan.instanceType ?? "m5.large",
            description: "initial",
            iamInstanceProfile: instanceProfileName,
          },
        ],
        defaultVersion: 1,
      })),
    launchConfigurations: input.groups
      .filter((plan) => plan.launch === "configuration")
      .map((plan) => ({
        name: `${plan.name}-20260615T100000`,
        imageId: oldImageId,
        instanceType: plan.instanceType ?? "m5.large",
        iamInstanceProfile: instanceProfileName,
      })),
    clusters: [
      {
        name: clusterName,
        ...(input.capacityProviders === undefined
          ? {}
          : {
              capacityProviders: input.groups.map((plan) => ({
                name: `${plan.name}-cp`,
                asgName: plan.name,
                managedScaling: input.capacityProviders === "managed",
                managedTerminationProtection: input.capacityProviders === "managed",
                managedDraining: false,
              })),
            }),
      },
    ],
    groups,
    services: input.services(clusterName),
    standaloneTasks: input.standaloneTasks?.(clusterName) ?? [],
  }
}

const smallServices = (clusterName: string): ReadonlyArray<ScenarioService> => [
  service(clusterName, "web", { desiredCount: 2, hostPorts: [80] }),
  service(clusterName, "api", { desiredCount: 2, minimumHealthyPercent: 50, cpu: 512, memory: 1024 }),
  service(clusterName, "worker", { desiredCount: 1, loadBalanced: false, memory: 1024 }),
]

const variant = (name: string, launch: LaunchKind, description: string): Scenario =>
  build({
    name,
    description,
    groups: [{ name: `${name}-asg`, instances: 4, launch }],
    services: smallServices,
  })

const basics = {
  small: build({
    name: "small",
    description:
      "The default demo: 4 m5.large instances in 2 AZs behind one launch template, 3 services (5 tasks).",
    groups: [{ name: "small-asg", instances: 4 }],
    services: smallServices,
  }),
  "standard-20": build({
    name: "standard-20",
    description: "20 instances in 3 AZs, 6 services (44 tasks), one using host port 80.",
    groups: [{ name: "standard-asg", instances: 20, zones: 3 }],
    services: (cluster) => [
      service(cluster, "frontend", { desiredCount: 9, hostPorts: [80] }),
      service(cluster, "api", { desiredCount: 12, cpu: 512, memory: 1024 }),
      service(cluster, "auth", { desiredCount: 3 }),
      service(cluster, "search", { desiredCount: 6, minimumHealthyPercent: 50, memory: 2048 }),
      service(cluster, "jobs", {
        desiredCount: 8,
        loadBalanced: false,
        minimumHealthyPercent: 0,
        maximumPercent: 100,
      }),
      service(cluster, "cache-warmer", { desiredCount: 6, loadBalanced: false }),
    ],
  }),
  "large-200": build({
    name: "large-200",
    description: "200 instances in 3 AZs, 20 services (500 tasks): the scale benchmark.",
    groups: [{ name: "large-asg", instances: 200, zones: 3, surgeRoom: 200 }],
    services: (cluster) =>
      Array.from({ length: 20 }, (_, index) =>
        service(cluster, `svc-${String(index + 1).padStart(2, "0")}`, {
          desiredCount: 25,
          minimumHealthyPercent: index % 4 === 0 ? 50 : 100,
          cpu: 256,
          memory: 512 + (index % 3) * 256,
          loadBalanced: index % 5 !== 4,
        }),
      ),
  }),
  "multi-asg": build({
    name: "multi-asg",
    description:
      "One cluster fed by two Auto Scaling groups (capacity providers without managed scaling), 4 instances each.",
    groups: [
      { name: "multi-asg-a", instances: 4 },
      { name: "multi-asg-b", instances: 4, instanceType: "c5.xlarge" },
    ],
    capacityProviders: "plain",
    services: (cluster) => [
      service(cluster, "web", { desiredCount: 4, hostPorts: [80] }),
      service(cluster, "api", { desiredCount: 4, cpu: 512 }),
      service(cluster, "worker", { desiredCount: 2, loadBalanced: false }),
    ],
  }),
  "single-task-services": build({
    name: "single-task-services",
    description:
      "4 instances, 4 load-balanced services of one task each (min 100%, max 200%): any forced kill is downtime.",
    groups: [{ name: "single-asg", instances: 4 }],
    services: (cluster) =>
      ["billing", "admin", "webhooks", "reports"].map((name) =>
        service(cluster, name, {
          desiredCount: 1,
          placementStrategy: [{ type: "spread", field: "instanceId" }],
        }),
      ),
  }),
  "daemon-and-standalone": build({
    name: "daemon-and-standalone",
    description:
      "4 instances with a daemon service, 2 replica services, a 2-hour batch task and a task that never finishes.",
    groups: [{ name: "daemon-asg", instances: 4 }],
    services: (cluster) => [
      service(cluster, "log-router", {
        schedulingStrategy: "DAEMON",
        desiredCount: 0,
        loadBalanced: false,
        cpu: 128,
        memory: 256,
      }),
      service(cluster, "web", { desiredCount: 3, hostPorts: [80] }),
      service(cluster, "api", { desiredCount: 2 }),
    ],
    standaloneTasks: (cluster) => [
      {
        clusterName: cluster,
        group: "family:nightly-report",
        cpu: 512,
        memory: 1024,
        durationMs: 7_200_000,
        startedBy: "events-rule/nightly",
      },
      { clusterName: cluster, group: "family:consumer", cpu: 256, memory: 512, startedBy: "manual" },
    ],
  }),
  "tight-capacity": build({
    name: "tight-capacity",
    description:
      "3 instances nearly full (max size 4): a drain can place displaced tasks only after new capacity arrives.",
    groups: [{ name: "tight-asg", instances: 3, surgeRoom: 1 }],
    services: (cluster) => [
      service(cluster, "memory-hog", {
        desiredCount: 3,
        memory: 6144,
        cpu: 1024,
        placementConstraints: [{ type: "distinctInstance" }],
      }),
      service(cluster, "sidecar", { desiredCount: 3, memory: 1024, cpu: 512 }),
    ],
  }),
  "managed-scaling": build({
    name: "managed-scaling",
    description:
      "One capacity provider with ECS managed scaling and managed termination protection: it sets desired capacity itself.",
    groups: [{ name: "managed-asg", instances: 4 }],
    capacityProviders: "managed",
    services: smallServices,
  }),
  "launch-template": variant(
    "launch-template",
    "template",
    "The small cluster behind a launch template ($Latest).",
  ),
  "launch-configuration": variant(
    "launch-configuration",
    "configuration",
    "The small cluster behind a (legacy) launch configuration.",
  ),
  "mixed-instances": variant(
    "mixed-instances",
    "mixed",
    "The small cluster behind a mixed instances policy (m5.large / m6i.large overrides).",
  ),
} satisfies Readonly<Record<string, Scenario>>

const library = {
  ...basics,
  ...realClusterScenarios(basics["standard-20"], basics.small),
  ...alarmScenarios(basics.small, newImageId),
  ...targetHealthScenarios(basics.small, newImageId),
}

export type ScenarioName = keyof typeof library

/** Every scenario by name (indexable by any string: unknown names give `undefined`). */
export const scenarios: { readonly [Name in ScenarioName]: Scenario } & Readonly<Record<string, Scenario>> =
  library

/** The scenario names, for CLIs and reports. */
export const scenarioNames = Object.keys(library) as ReadonlyArray<ScenarioName>
