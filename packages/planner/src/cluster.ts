/**
 * Reading a cluster snapshot: which instances are outdated, which are proven new capacity, which
 * tasks sit where, and which services a drain would hurt. Everything here is a pure function of the
 * snapshot (and the target image), shared by the plan view and by `decide`.
 */
import {
  RunTagKeys,
  type AsgInstance,
  countsTowardCapacity,
  isTaskLive,
  type AutoScalingGroup,
  type ClusterSnapshot,
  type ContainerInstance,
  type Ec2Instance,
  type Image,
  type RolloutPolicy,
  type Service,
  type Task,
} from "@ecs-ami-deploy/domain"

/** An image lineage; a change of family between old and target is refused unless the policy allows it. */
export type ImageFamily = "al2023" | "al2" | "bottlerocket" | "other"

/** The lineage of an image, from its name (the ECS-optimized naming conventions). */
export const imageFamily = (name: string): ImageFamily =>
  name.startsWith("al2023-ami-ecs-")
    ? "al2023"
    : name.startsWith("amzn2-ami-ecs-")
      ? "al2"
      : name.startsWith("bottlerocket-aws-ecs-")
        ? "bottlerocket"
        : "other"

/** Lookup tables over one snapshot, built once per decision. */
export interface ClusterIndex {
  readonly snapshot: ClusterSnapshot
  readonly instanceById: ReadonlyMap<string, Ec2Instance>
  readonly containerByInstanceId: ReadonlyMap<string, ContainerInstance>
  readonly tasksByContainerArn: ReadonlyMap<string, ReadonlyArray<Task>>
  readonly serviceByName: ReadonlyMap<string, Service>
  readonly groupByName: ReadonlyMap<string, AutoScalingGroup>
  readonly groupOfInstance: ReadonlyMap<string, string>
  /** Each group member's lifecycle state, by instance id. */
  readonly memberLifecycle: ReadonlyMap<string, AsgInstance["lifecycleState"]>
}

/** Builds the lookup tables of one snapshot. */
export const indexCluster = (snapshot: ClusterSnapshot): ClusterIndex => {
  const tasksByContainerArn = new Map<string, Array<Task>>()
  for (const task of snapshot.tasks) {
    if (task.containerInstanceArn === undefined) continue
    const list = tasksByContainerArn.get(task.containerInstanceArn)
    if (list === undefined) tasksByContainerArn.set(task.containerInstanceArn, [task])
    else list.push(task)
  }
  const groupOfInstance = new Map<string, string>()
  const memberLifecycle = new Map<string, AsgInstance["lifecycleState"]>()
  for (const group of snapshot.groups)
    for (const member of group.instances) {
      groupOfInstance.set(member.instanceId, group.name)
      memberLifecycle.set(member.instanceId, member.lifecycleState)
    }
  return {
    snapshot,
    instanceById: new Map(snapshot.instances.map((i) => [i.instanceId, i])),
    containerByInstanceId: new Map(snapshot.containerInstances.map((c) => [c.ec2InstanceId, c])),
    tasksByContainerArn,
    serviceByName: new Map(snapshot.services.map((s) => [s.serviceName, s])),
    groupByName: new Map(snapshot.groups.map((g) => [g.name, g])),
    groupOfInstance,
    memberLifecycle,
  }
}

/** Tasks not yet STOPPED on an instance: a task still stopping is not gone (load balancer deregistration). */
export const liveTasksOn = (index: ClusterIndex, instanceId: string): ReadonlyArray<Task> => {
  const container = index.containerByInstanceId.get(instanceId)
  if (container === undefined) return []
  return (index.tasksByContainerArn.get(container.containerInstanceArn) ?? []).filter(isTaskLive)
}

/**
 * A task on its way out: told to stop and deregistering from its load balancer (DEACTIVATING for the
 * target group's deregistration delay, up to 3,600 s), stopping its containers, or releasing its
 * resources. It serves no request any more, but its instance is not drained until it is STOPPED.
 */
export const isTaskLeaving = (task: Task): boolean =>
  task.desiredStatus === "STOPPED" ||
  task.lastStatus === "DEACTIVATING" ||
  task.lastStatus === "STOPPING" ||
  task.lastStatus === "DEPROVISIONING"

/**
 * How long past the drain timeout a drain may wait when every task left on it is leaving: the longest
 * deregistration delay a target group can have (3,600 s) plus five minutes to stop. A drain whose
 * remaining tasks are only deregistering is healthy, not stuck.
 */
export const DEREGISTRATION_ALLOWANCE_MS = 3_600_000 + 300_000

/** Service tasks move on drain (replica), stop last (daemon), or must be waited for or stopped (standalone). */
export type TaskKind = "replica" | "daemon" | "standalone"

/** Classifies a task by its service's scheduling strategy. */
export const taskKind = (index: ClusterIndex, task: Task): TaskKind => {
  if (task.serviceName === undefined) return "standalone"
  return index.serviceByName.get(task.serviceName)?.schedulingStrategy === "DAEMON" ? "daemon" : "replica"
}

/**
 * An instance the Go tool detached from this group (DetachInstances with replacement) but never
 * terminated: the observation lists it as a `Detached` member when its `ecs-ami-deploy-asg` tag names
 * the group. The group already launched its replacement, so it no longer counts toward desired capacity.
 */
export const isLegacyDetached = (group: AutoScalingGroup, instance: Ec2Instance | undefined): boolean =>
  instance !== undefined &&
  instance.tags[RunTagKeys.legacyAsg] === group.name &&
  group.instances.some((m) => m.instanceId === instance.instanceId && m.lifecycleState === "Detached")

/** Why an instance of a group is left alone by a run, or `undefined` when it is replaced. */
export const skipReason = (
  group: AutoScalingGroup,
  instance: Ec2Instance | undefined,
  instanceId: string,
  policy: RolloutPolicy,
): string | undefined => {
  const member = group.instances.find((m) => m.instanceId === instanceId)
  if (member === undefined) return "not in the group"
  if (isLegacyDetached(group, instance)) return undefined
  if (member.lifecycleState === "Standby" || member.lifecycleState === "EnteringStandby")
    return policy.standbyInstances === "skip" ? "Standby (policy standbyInstances=skip)" : undefined
  // A member still launching (a scale-out under way at the start) is replaced like the others.
  if (!countsTowardCapacity(member.lifecycleState)) return `lifecycle state ${member.lifecycleState}`
  if (member.protectedFromScaleIn && policy.protectedInstances === "skip")
    return "scale-in protected (policy protectedInstances=skip)"
  return undefined
}

/** Whether an instance runs another image than the target (or the policy forces replacing everything). */
export const isOutdated = (instance: Ec2Instance, target: Image, policy: RolloutPolicy): boolean =>
  policy.forceReplacement || instance.imageId !== target.imageId

/**
 * The instances a run starting now would replace in one group: outdated, running or still launching
 * (a scale-out under way), not skipped; and every instance the Go tool detached from it, whatever its
 * image (it is out of the group for good).
 */
export const oldSetOf = (
  index: ClusterIndex,
  group: AutoScalingGroup,
  target: Image,
  policy: RolloutPolicy,
): ReadonlyArray<string> =>
  group.instances
    .map((m) => m.instanceId)
    .filter((id) => {
      const instance = index.instanceById.get(id)
      return (
        instance !== undefined &&
        (instance.state === "running" || instance.state === "pending") &&
        (isOutdated(instance, target, policy) || isLegacyDetached(group, instance)) &&
        skipReason(group, instance, id, policy) === undefined
      )
    })
    .sort()

/**
 * New capacity is proven when the instance is InService in its group, runs the target image, and is
 * registered with ECS as ACTIVE with a connected agent (invariant 3).
 */
export const isProvenNew = (
  index: ClusterIndex,
  group: AutoScalingGroup,
  instanceId: string,
  targetImageId: string,
): boolean => {
  const member = group.instances.find((m) => m.instanceId === instanceId)
  const instance = index.instanceById.get(instanceId)
  const container = index.containerByInstanceId.get(instanceId)
  return (
    member?.lifecycleState === "InService" &&
    instance?.state === "running" &&
    instance.imageId === targetImageId &&
    container?.status === "ACTIVE" &&
    container.agentConnected
  )
}

/** Bounds the ECS scheduler keeps for a service while tasks are replaced. */
export const serviceBounds = (
  service: Service,
): { readonly minHealthy: number; readonly maxRunning: number } => ({
  minHealthy: Math.ceil((service.minimumHealthyPercent * service.desiredCount) / 100),
  maxRunning: Math.floor((service.maximumPercent * service.desiredCount) / 100),
})

/**
 * How many of a service's tasks may be displaced at once: ECS may stop down to the minimum healthy
 * count and start up to the maximum percent, so it can have `maxRunning - minHealthy` tasks in flight.
 */
export const displacementAllowance = (service: Service): number => {
  const { minHealthy, maxRunning } = serviceBounds(service)
  return Math.max(0, maxRunning - minHealthy)
}

/** A service a drain would stall or take down entirely, with what to change. */
export interface UnsafeService {
  readonly serviceName: string
  /** `stalls`: ECS can neither stop nor start one of its tasks; `stops-every-task`: a drain may stop them all. */
  readonly kind: "stalls" | "stops-every-task"
  readonly problem: string
  readonly fix: string
}

/** Services whose own deployment configuration makes draining their instances stall or stop every task. */
export const unsafeServices = (
  index: ClusterIndex,
  drainedInstanceIds: ReadonlyArray<string>,
): ReadonlyArray<UnsafeService> => {
  const affected = new Set<string>()
  for (const id of drainedInstanceIds)
    for (const task of liveTasksOn(index, id))
      if (task.serviceName !== undefined && taskKind(index, task) === "replica")
        affected.add(task.serviceName)
  const found: Array<UnsafeService> = []
  for (const name of [...affected].sort()) {
    const service = index.serviceByName.get(name)
    if (service === undefined || service.desiredCount === 0) continue
    const { minHealthy, maxRunning } = serviceBounds(service)
    const tasks = service.desiredCount
    if (displacementAllowance(service) === 0) {
      // The smallest change that lets ECS move one task: one more running, or one fewer healthy.
      const neededMaximum = Math.ceil(((minHealthy + 1) * 100) / tasks)
      const allowedMinimum = Math.floor(((maxRunning - 1) * 100) / tasks)
      found.push({
        serviceName: name,
        kind: "stalls",
        problem: `service ${name} (min ${service.minimumHealthyPercent}%, max ${service.maximumPercent}%, ${tasks} tasks) can neither stop nor start a task, so a drain stalls`,
        fix:
          `raise ${name}'s maximumPercent to at least ${neededMaximum} (${tasks} task${tasks === 1 ? "" : "s"} need room for one more)` +
          (allowedMinimum >= 0 ? ` or lower its minimumHealthyPercent to ${allowedMinimum} or less` : ""),
      })
    } else if (minHealthy === 0)
      found.push({
        serviceName: name,
        kind: "stops-every-task",
        problem: `service ${name} (min ${service.minimumHealthyPercent}%, ${service.desiredCount} task${service.desiredCount === 1 ? "" : "s"}) lets a drain stop every task at once`,
        fix: `raise ${name}'s minimumHealthyPercent (e.g. 100 with maximumPercent 200) or run at least 2 tasks`,
      })
  }
  return found
}
