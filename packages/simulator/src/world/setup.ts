/**
 * Builds the world a scenario describes: images, SSM parameters, launch templates and configurations,
 * clusters (with their capacity providers), services, groups with their starting members (Standby,
 * scale-in or termination protected as asked; a scale-out in progress launches what it lacks), instances
 * launched by hand into a cluster, the service scheduler's first placement, standalone tasks, the
 * scenario's faults and ECS managed scaling. The live instances at the start are the baseline for
 * the extra capacity a rollout uses.
 */
import { serviceKey, type GroupRecord, type TemplateVersionRecord } from "../records.ts"
import { amazonOwnerId } from "../catalog.ts"
import { type Scenario, type ScenarioGroup, type ScenarioService } from "../scenario.ts"
import { groupNamed, pickLaunchZone, reconcileGroup } from "./auto-scaling.ts"
import { startManagedScaling } from "./capacity-providers.ts"
import { createInstance, liveInstanceStates } from "./ec2.ts"
import { runScheduler } from "./ecs-scheduler.ts"
import { scheduleFaults } from "./faults.ts"
import { resolveLaunchSpec } from "./launch-specs.ts"
import { managedDrainingHook } from "./lifecycle-hooks.ts"
import { recordMeasurements } from "./measurements.ts"
import { runTask } from "./tasks.ts"
import type { World } from "../world.ts"

export const loadScenario = (world: World, scenario: Scenario): void => {
  for (const image of scenario.images) {
    const isAmazon = image.owner === "amazon"
    world.images.set(image.imageId, {
      imageId: image.imageId,
      name: image.name,
      ownerId: isAmazon ? amazonOwnerId : image.owner,
      ...(isAmazon ? { ownerAlias: "amazon" } : {}),
      creationDate: Date.parse(image.creationDate),
      architecture: image.architecture,
      ...(image.deprecationDate === undefined ? {} : { deprecationTime: Date.parse(image.deprecationDate) }),
      state: image.state ?? "available",
      tags: { ...image.tags },
    })
  }
  for (const parameter of scenario.ssmParameters) {
    world.ssmParameters.set(parameter.name, {
      name: parameter.name,
      value: parameter.value,
      version: 1,
      lastModified: world.now,
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
        createdAt: world.now,
      }),
    )
    world.templates.set(template.launchTemplateId, {
      launchTemplateId: template.launchTemplateId,
      launchTemplateName: template.launchTemplateName,
      versions,
      defaultVersion: template.defaultVersion,
      latestVersion: template.versions.length,
      clientTokens: new Map(),
    })
  }
  for (const configuration of scenario.launchConfigurations) {
    world.launchConfigurations.set(configuration.name, { ...configuration, createdAt: world.now })
  }
  for (const cluster of scenario.clusters) {
    world.clusters.set(cluster.name, {
      clusterName: cluster.name,
      capacityProviders: cluster.capacityProviders ?? [],
      schedulerScheduled: false,
    })
  }
  for (const service of scenario.services) createService(world, service)
  for (const group of scenario.groups) createGroup(world, group)
  for (const cluster of scenario.clusters)
    for (const unmanaged of cluster.unmanagedInstances ?? []) {
      const firstGroup = scenario.groups.find((group) => group.clusterName === cluster.name)
      const imageId =
        unmanaged.imageId ??
        firstGroup?.initialImageId ??
        (firstGroup === undefined
          ? undefined
          : resolveLaunchSpec(world, groupNamed(world, firstGroup.name)).imageId)
      if (imageId === undefined) continue
      createInstance(world, {
        clusterName: cluster.name,
        availabilityZone: unmanaged.availabilityZone,
        imageId,
        instanceType: unmanaged.instanceType,
        booted: true,
      })
    }
  for (const cluster of world.clusters.values()) runScheduler(world, cluster.clusterName, true)
  for (const task of scenario.standaloneTasks) {
    runTask(world, {
      clusterName: task.clusterName,
      group: task.group,
      cpu: task.cpu,
      memory: task.memory,
      ...(task.durationMs === undefined ? {} : { runsForMs: task.durationMs }),
      ...(task.startedBy === undefined ? {} : { startedBy: task.startedBy }),
      instant: true,
    })
  }
  scheduleFaults(world)
  startManagedScaling(world)
  recordMeasurements(world)
  world.baselineInstances = [...world.instances.values()].filter((i) =>
    liveInstanceStates.has(i.state),
  ).length
}

const createService = (world: World, spec: ScenarioService): void => {
  const key = serviceKey(spec.clusterName, spec.name)
  world.services.set(key, {
    key,
    serviceArn: `arn:aws:ecs:${world.region}:${world.accountId}:service/${spec.clusterName}/${spec.name}`,
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
    deregistrationDelayMs: spec.deregistrationDelayMs ?? world.timings.deregistrationDelayMs,
    placementStrategy:
      spec.placementStrategy ??
      (spec.schedulingStrategy === "REPLICA"
        ? [
            { type: "spread", field: "attribute:ecs.availability-zone" },
            { type: "spread", field: "instanceId" },
          ]
        : []),
    placementConstraints: spec.placementConstraints ?? [],
    createdAt: world.now,
    taskArns: new Set(),
  })
  world.dirtyServices.add(key)
}

const createGroup = (world: World, spec: ScenarioGroup): void => {
  const managedDraining = [...world.clusters.values()].some((cluster) =>
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
  world.groups.set(spec.name, group)
  const standby = spec.initialStandby ?? 0
  const inService = spec.initialInstances ?? spec.desiredCapacity
  const protectedCount = spec.initialProtected ?? 0
  const terminationProtected = spec.initialTerminationProtected ?? 0
  for (let index = 0; index < inService + standby; index++) {
    const resolved = resolveLaunchSpec(world, group)
    const imageId = spec.initialImageId ?? resolved.imageId
    const instance = createInstance(world, {
      group,
      clusterName: group.clusterName,
      availabilityZone: pickLaunchZone(world, group),
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
  if (inService < spec.desiredCapacity) reconcileGroup(world, group)
}
