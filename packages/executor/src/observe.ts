/**
 * Observation: assembles one ClusterSnapshot through the ports, then decodes it with the domain
 * schema so a malformed observation fails here, naming the field, instead of misleading the planner.
 *
 * Which groups belong to the cluster: the Auto Scaling groups of its capacity providers, the groups
 * named by the `aws:autoscaling:groupName` tag of its instances, the groups an open run recorded at its
 * start, and the groups named by the Go tool's `ecs-ami-deploy-asg` tag. The Go tool detached old
 * instances before draining them, so a cluster it left half-done has registered instances that are no
 * longer in any group: each such instance is added to the view of the group its tag names with the
 * lifecycle state `Detached` (what Auto Scaling itself reports while detaching), so the planner sees
 * them as that group's instances that have already left it.
 */
import { Clock, Effect } from "effect"
import {
  type Architecture,
  type AsgInstance,
  type AutoScalingGroupDescription,
  type AwsCallError,
  type ClusterSnapshot,
  decodeClusterSnapshot,
  type Ec2Instance,
  type GroupAtStart,
  type GroupCapacityProvider,
  type Image,
  RunTagKeys,
} from "@ecs-ami-deploy/domain"
import { AutoScaling, Ec2, Ecs, type CapacityProvider } from "@ecs-ami-deploy/ports"
import {
  type ImageNotFound,
  type LaunchSpecError,
  Plugins,
  type PluginServices,
} from "@ecs-ami-deploy/strategies"
import { ObservationInvalid } from "./errors.ts"
import type { ObservationMemory } from "./observation-memory.ts"
import { retryTransient } from "./retry.ts"
import { strategyFor } from "./strategy.ts"

/** The tag Auto Scaling puts on every instance it launches. */
export const AUTO_SCALING_GROUP_TAG = "aws:autoscaling:groupName"

export interface ObserveOptions {
  /** An open run's target image: a run keeps the image it started with, whatever the AMI source says now. */
  readonly targetImage?: Image
  /** An open run's groups, observed even when nothing else links them to the cluster any more. */
  readonly runGroups?: ReadonlyArray<GroupAtStart>
  /** Epoch ms on the Clock after which transient failures are no longer retried. */
  readonly budgetEnd: number
  /** The invocation's memory of earlier observations: without it, everything is read afresh. */
  readonly memory?: ObservationMemory
  /**
   * Ask EC2 which group members not on the target image have termination protection (one request per
   * instance): detach mode terminates through EC2, which refuses them, so its start must know.
   */
  readonly terminationProtection?: boolean
}

export type ObserveError = AwsCallError | LaunchSpecError | ImageNotFound | ObservationInvalid
export type ObserveServices = PluginServices | Ecs | Plugins

const unique = <A>(values: Iterable<A>): Array<A> => [...new Set(values)]

const gone = (instance: Ec2Instance): boolean =>
  instance.state === "terminated" || instance.state === "shutting-down"

/** The Go tool's detached instances, as `Detached` members of the group their tag names. */
const withLegacyDetached = (
  group: AutoScalingGroupDescription,
  instances: ReadonlyArray<Ec2Instance>,
): AutoScalingGroupDescription => {
  const members = new Set(group.instances.map((instance) => instance.instanceId))
  const detached: Array<AsgInstance> = instances
    .filter(
      (instance) =>
        instance.tags[RunTagKeys.legacyAsg] === group.name &&
        !members.has(instance.instanceId) &&
        !gone(instance),
    )
    .map((instance) => ({
      instanceId: instance.instanceId,
      availabilityZone: instance.availabilityZone,
      lifecycleState: "Detached",
      healthStatus: instance.state === "running" ? "Healthy" : "Unhealthy",
      protectedFromScaleIn: false,
      instanceType: instance.instanceType,
    }))
  return detached.length === 0 ? group : { ...group, instances: [...group.instances, ...detached] }
}

/** The one architecture the cluster's instances share, if they share one. */
const commonArchitecture = (instances: ReadonlyArray<Ec2Instance>): Architecture | undefined => {
  const architectures = unique(instances.map((instance) => instance.architecture))
  return architectures.length === 1 ? architectures[0] : undefined
}

/** The capacity provider that feeds a group, if any: what it manages, not only whether it does. */
const providerOf = (
  providers: ReadonlyArray<CapacityProvider>,
  asgName: string,
): GroupCapacityProvider | undefined => {
  const provider = providers.find((candidate) => candidate.asgName === asgName)
  return provider === undefined
    ? undefined
    : {
        name: provider.name,
        managedScaling: provider.managedScaling,
        managedTerminationProtection: provider.managedTerminationProtection,
        managedDraining: provider.managedDraining,
      }
}

/**
 * The cluster's tasks through the memory: the desired-RUNNING list, described together with the known
 * tasks not yet STOPPED (and, when the STOPPED list is due, the stopped tasks not known yet).
 */
const observeTasks = (
  clusterName: string,
  memory: ObservationMemory,
  retry: ReturnType<typeof retryTransient>,
) =>
  Effect.gen(function* () {
    const ecs = yield* Ecs
    const now = yield* Clock.currentTimeMillis
    const running = yield* retry(ecs.listTaskArns(clusterName, "RUNNING"))
    const stoppedList = memory.stoppedListDue(now)
      ? yield* retry(ecs.listTaskArns(clusterName, "STOPPED"))
      : undefined
    const arns = unique([...running, ...memory.liveTaskArns(), ...memory.unknownStopped(stoppedList ?? [])])
    const described = arns.length === 0 ? [] : yield* retry(ecs.describeTasks(clusterName, arns))
    return memory.tasksAfterPoll(described, stoppedList, now)
  })

/** Group members still running another image than the target: the instances a run would terminate. */
const oldLiveMembers = (
  groups: ReadonlyArray<AutoScalingGroupDescription>,
  instances: ReadonlyArray<Ec2Instance>,
  targetImageId: string,
): ReadonlyArray<string> => {
  const members = new Set(groups.flatMap((group) => group.instances.map((member) => member.instanceId)))
  return instances
    .filter(
      (instance) => members.has(instance.instanceId) && instance.imageId !== targetImageId && !gone(instance),
    )
    .map((instance) => instance.instanceId)
}

/** Observes the cluster once and decodes the result. */
export const observeSnapshot = Effect.fn("observeSnapshot")(function* (
  clusterName: string,
  options: ObserveOptions,
) {
  const ec2 = yield* Ec2
  const autoScaling = yield* AutoScaling
  const ecs = yield* Ecs
  const plugins = yield* Plugins
  const retry = retryTransient(options.budgetEnd)
  const memory = options.memory
  const startedAt = yield* Clock.currentTimeMillis
  memory?.expireStaticData(startedAt)
  const ecsView = memory?.reusableEcsView(startedAt)

  const clusterView =
    memory?.clusterView ??
    (yield* Effect.gen(function* () {
      const cluster = yield* retry(ecs.describeCluster(clusterName))
      const providers =
        cluster.capacityProviders.length === 0
          ? []
          : yield* retry(ecs.describeCapacityProviders(cluster.capacityProviders))
      return { cluster, providers }
    }))
  if (memory !== undefined) memory.clusterView = clusterView
  const providers = clusterView.providers
  const containerInstances =
    ecsView?.containerInstances ?? (yield* retry(ecs.containerInstances(clusterName)))
  const registeredIds = unique(containerInstances.map((containerInstance) => containerInstance.ec2InstanceId))
  const registered = registeredIds.length === 0 ? [] : yield* retry(ec2.describeInstances(registeredIds))

  const groupNames = unique([
    ...providers.flatMap((provider) => (provider.asgName === undefined ? [] : [provider.asgName])),
    ...registered.flatMap((instance) => [
      instance.tags[AUTO_SCALING_GROUP_TAG],
      instance.tags[RunTagKeys.legacyAsg],
    ]),
    ...(options.runGroups ?? []).map((group) => group.asgName),
  ]).filter((name): name is string => name !== undefined)
  const described = groupNames.length === 0 ? [] : yield* retry(autoScaling.describeGroups(groupNames))

  // Instances not registered with ECS: launched but not yet joined, never joining, or old ones already deregistered.
  const known = new Set(registered.map((instance) => instance.instanceId))
  const unregisteredIds = unique([
    ...described.flatMap((group) => group.instances.map((instance) => instance.instanceId)),
    ...(options.runGroups ?? []).flatMap((group) => group.oldInstanceIds),
  ]).filter((instanceId) => !known.has(instanceId))
  const unregistered =
    unregisteredIds.length === 0 ? [] : yield* retry(ec2.describeInstances(unregisteredIds))
  const instances = [...registered, ...unregistered]

  const groups = yield* Effect.forEach(described, (description) =>
    Effect.gen(function* () {
      const group = withLegacyDetached(description, registered)
      const strategy = yield* strategyFor(group.name, group.launchSpec)
      const specKey = `${group.name} ${JSON.stringify(group.launchSpec)}`
      const launchSpecImage =
        memory?.launchSpecImages.get(specKey) ?? (yield* retry(strategy.resolveImageId(group)))
      memory?.launchSpecImages.set(specKey, launchSpecImage)
      const capacityProvider = providerOf(providers, group.name)
      return {
        ...group,
        launchSpecImageId: launchSpecImage.imageId,
        ...(launchSpecImage.ssmParameter === undefined
          ? {}
          : { launchSpecImageParameter: launchSpecImage.ssmParameter }),
        ...(capacityProvider === undefined ? {} : { capacityProvider }),
      }
    }),
  )

  const architecture = commonArchitecture(registered)
  const targetImage =
    options.targetImage ??
    (yield* retry(plugins.amiSource.resolve(architecture === undefined ? {} : { architecture })))
  const imageIds = unique([
    ...instances.map((instance) => instance.imageId),
    ...groups.map((group) => group.launchSpecImageId),
  ]).filter((imageId) => imageId !== targetImage.imageId)
  const unknownImageIds = imageIds.filter((imageId) => memory?.images.has(imageId) !== true)
  const describedImages =
    unknownImageIds.length === 0
      ? []
      : yield* retry(ec2.describeImages({ _tag: "ByIds", imageIds: unknownImageIds }))
  for (const image of describedImages) memory?.images.set(image.imageId, image)
  const images =
    memory === undefined ? describedImages : imageIds.flatMap((imageId) => memory.images.get(imageId) ?? [])
  // Listed with the data that does not change under a run; a service deleted since is dropped.
  const services =
    ecsView?.services ??
    (yield* retry(ecs.services(clusterName, memory?.serviceArns))).filter(
      (service) => service.status !== "INACTIVE",
    )
  if (memory !== undefined && memory.serviceArns === undefined)
    memory.serviceArns = services.map((service) => service.serviceArn)
  const tasks =
    ecsView?.tasks ??
    (memory === undefined
      ? yield* retry(ecs.tasks(clusterName))
      : yield* observeTasks(clusterName, memory, retry))
  if (ecsView === undefined) memory?.rememberEcsView({ at: startedAt, containerInstances, services, tasks })
  const protectedIds = new Set(
    options.terminationProtection === true
      ? yield* retry(ec2.terminationProtectedIds(oldLiveMembers(groups, instances, targetImage.imageId)))
      : [],
  )
  const observedAt = yield* Clock.currentTimeMillis

  const snapshot: ClusterSnapshot = {
    clusterName,
    observedAt,
    targetImage,
    images: [...images, targetImage],
    groups,
    instances: instances.map((instance) =>
      protectedIds.has(instance.instanceId) ? { ...instance, terminationProtected: true } : instance,
    ),
    containerInstances,
    services,
    tasks,
  }
  return yield* decodeClusterSnapshot(snapshot).pipe(
    Effect.mapError((error) => new ObservationInvalid({ clusterName, problem: error.message })),
  )
})
