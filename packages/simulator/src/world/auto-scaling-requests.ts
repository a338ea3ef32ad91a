/**
 * The Auto Scaling requests the ports make, with AWS's validation: UpdateAutoScalingGroup (bounds,
 * desired capacity, launch spec), Attach/DetachInstances (at most 20 ids), TerminateInstanceInAutoScalingGroup,
 * Suspend/ResumeProcesses and SetInstanceProtection (at most 50 ids). A request AWS would refuse throws a
 * `Refusal` and changes nothing; an accepted one lets the group reconcile (auto-scaling.ts).
 */
import { isMember, Refusal, type GroupRecord, type InstanceRecord, type MemberRecord } from "../records.ts"
import { countsTowardCapacity, isLeavingGroup, type LaunchSpec } from "@ecs-ami-deploy/domain"
import { groupNamed, recordActivity, removeMember, requestGroupReconcile } from "./auto-scaling.ts"
import { resolveLaunchSpec } from "./launch-specs.ts"
import { terminateMember } from "./lifecycle-hooks.ts"
import type { World } from "../world.ts"
import { schedule } from "./events.ts"

/** Process names UpdateAutoScalingGroup's Suspend/ResumeProcesses accept. */
const scalingProcesses: ReadonlySet<string> = new Set([
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

export const updateGroup = (
  world: World,
  input: {
    readonly asgName: string
    readonly desiredCapacity?: number
    readonly minSize?: number
    readonly maxSize?: number
    readonly launchSpec?: LaunchSpec
  },
): void => {
  const group = groupNamed(world, input.asgName)
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
      resolveLaunchSpec(world, group)
    } catch (error) {
      group.launchSpec = previous
      throw error
    }
  }
  group.minSize = minSize
  group.maxSize = maxSize
  // AWS clamps desired capacity into a changed [min, max] when desired is not given.
  group.desiredCapacity = Math.min(Math.max(desired, minSize), maxSize)
  requestGroupReconcile(world, group.name)
}

export const memberOf = (world: World, group: GroupRecord, instanceId: string): MemberRecord => {
  const instance = world.instances.get(instanceId)
  if (!isMember(instance) || instance.membership.groupName !== group.name) {
    throw new Refusal(
      "invalid-parameter",
      "ValidationError",
      `The instance ${instanceId} is not part of Auto Scaling group ${group.name}.`,
    )
  }
  return instance
}

/** Attach/DetachInstances take at most 20 instance ids a request. */
const refuseOverTwentyIds = (instanceIds: ReadonlyArray<string>): void => {
  if (instanceIds.length > 20) {
    throw new Refusal(
      "invalid-parameter",
      "ValidationError",
      "1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 20",
    )
  }
}

/**
 * AttachInstances semantics: every instance must be running, in no group (this one included) and in
 * one of the group's AZs, and desired capacity + n must stay ≤ max; otherwise nothing changes. Each
 * instance joins Pending and turns InService after the health-check grace; desired rises by n.
 */
export const attachInstances = (world: World, asgName: string, instanceIds: ReadonlyArray<string>): void => {
  refuseOverTwentyIds(instanceIds)
  const group = groupNamed(world, asgName)
  const instances = [...new Set(instanceIds)].map((id) => attachable(world, group, id))
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
    recordActivity(
      world,
      group.name,
      "Successful",
      `Attaching an existing EC2 instance: ${instance.instanceId}`,
      "an instance was added in response to a user request",
    )
    schedule(world, world.timings.inServiceAfterRunningMs, `in-service ${instance.instanceId}`, () => {
      const membership = instance.membership
      if (
        membership?.groupName !== group.name ||
        membership.lifecycle !== "Pending" ||
        instance.state !== "running"
      )
        return
      membership.lifecycle = "InService"
      requestGroupReconcile(world, group.name)
    })
  }
  world.instancesDirty = true
  requestGroupReconcile(world, group.name)
}

export const attachable = (world: World, group: GroupRecord, instanceId: string): InstanceRecord => {
  const instance = world.instances.get(instanceId)
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

export const detachInstances = (
  world: World,
  asgName: string,
  instanceIds: ReadonlyArray<string>,
  decrement: boolean,
): void => {
  refuseOverTwentyIds(instanceIds)
  const group = groupNamed(world, asgName)
  const instances = instanceIds.map((id) => memberOf(world, group, id))
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
    recordActivity(
      world,
      group.name,
      "Successful",
      `Detaching EC2 instance: ${instance.instanceId}`,
      "an instance was detached by a user request",
    )
    removeMember(world, group.name, instance)
  }
  if (decrement) group.desiredCapacity -= inCapacityCount
  requestGroupReconcile(world, group.name)
}

export const terminateInstanceInGroup = (world: World, instanceId: string, decrement: boolean): void => {
  const instance = world.instances.get(instanceId)
  if (!isMember(instance)) {
    throw new Refusal(
      "invalid-parameter",
      "ValidationError",
      `Instance Id not found - No managed instance found for instance ID: ${instanceId}`,
    )
  }
  const membership = instance.membership
  const group = groupNamed(world, membership.groupName)
  if (isLeavingGroup(membership.lifecycle)) {
    throw new Refusal(
      "conflict",
      "ScalingActivityInProgress",
      `An Auto Scaling activity is already terminating ${instanceId}.`,
    )
  }
  if (decrement && countsTowardCapacity(membership.lifecycle) && group.desiredCapacity - 1 < group.minSize) {
    throw new Refusal(
      "invalid-parameter",
      "ValidationError",
      `Currently, desiredSize equals minSize (${group.minSize}). Terminating instance without replacement will violate group's min size constraint.`,
    )
  }
  if (decrement && countsTowardCapacity(membership.lifecycle)) group.desiredCapacity--
  terminateMember(world, instance, "an instance was taken out of service in response to a user request")
  requestGroupReconcile(world, group.name)
}

export const setProcesses = (
  world: World,
  asgName: string,
  processes: ReadonlyArray<string>,
  suspended: boolean,
): void => {
  const group = groupNamed(world, asgName)
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
  requestGroupReconcile(world, group.name)
}
