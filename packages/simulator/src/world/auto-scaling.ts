/**
 * Auto Scaling's own behaviour in the simulated world: each group reconciles its capacity members
 * (Pending or InService) with its desired capacity a moment after any change — launching in the
 * least-populated Availability Zone (the next AZ when one lacks capacity, retrying later when none has),
 * terminating by the default termination policy, and rebalancing AZs (AZRebalance) — unless the
 * process is suspended; every launch and termination is a scaling activity. The requests that change a
 * group are in auto-scaling-requests.ts, lifecycle hooks in lifecycle-hooks.ts.
 */
import {
  isMember,
  Refusal,
  type GroupRecord,
  type InstanceRecord,
  type MemberRecord,
  type ScalingActivityRecord,
} from "../records.ts"
import { countsTowardCapacity } from "@ecs-ami-deploy/domain"
import { createInstance } from "./ec2.ts"
import { launchFaultApplies } from "./faults.ts"
import { resolveLaunchSpec, tryTemplateVersion } from "./launch-specs.ts"
import { terminateMember } from "./lifecycle-hooks.ts"
import type { World } from "../world.ts"
import { schedule } from "./events.ts"

export const removeMember = (world: World, groupName: string, instance: InstanceRecord): void => {
  const group = world.groups.get(groupName)
  delete instance.membership
  if (group === undefined) return
  const index = group.members.indexOf(instance.instanceId)
  if (index >= 0) group.members.splice(index, 1)
  if (group.rebalanceInstanceId === instance.instanceId) delete group.rebalanceInstanceId
  requestGroupReconcile(world, groupName)
}

export const requestGroupReconcile = (world: World, groupName: string): void => {
  const group = world.groups.get(groupName)
  if (group === undefined || group.reconcileScheduled) return
  group.reconcileScheduled = true
  schedule(world, world.timings.autoScalingReactionMs, `reconcile ${groupName}`, () => {
    group.reconcileScheduled = false
    reconcileGroup(world, group)
  })
}

export const memberRecords = (world: World, group: GroupRecord): Array<MemberRecord> => {
  return group.members.map((id) => world.instances.get(id)).filter(isMember)
}

/** Instances counting toward desired capacity (Pending or InService). */
export const capacityMembers = (world: World, group: GroupRecord): Array<MemberRecord> => {
  return memberRecords(world, group).filter((i) => countsTowardCapacity(i.membership.lifecycle))
}

export const reconcileGroup = (world: World, group: GroupRecord): void => {
  const members = capacityMembers(world, group)
  const rebalanceInstanceId = group.rebalanceInstanceId
  const target =
    group.desiredCapacity +
    (rebalanceInstanceId === undefined ? 0 : 1) +
    (group.instanceRefresh?.status === "InProgress" ? group.instanceRefresh.extraCapacity : 0)
  if (members.length < target) {
    if (group.suspendedProcesses.has("Launch")) return
    // A retry is already queued for when the block ends.
    if (world.now < group.launchBlockedUntil) return
    for (let index = members.length; index < target; index++) {
      if (
        !launchInto(
          world,
          group,
          "an instance was started in response to a difference between desired and actual capacity",
        )
      )
        break
    }
    return
  }
  if (members.length > target) {
    if (!group.suspendedProcesses.has("Terminate")) scaleIn(world, group, members.length - target)
    return
  }
  if (rebalanceInstanceId !== undefined) {
    const extra = world.instances.get(rebalanceInstanceId)
    if (extra?.membership?.lifecycle === "InService") {
      delete group.rebalanceInstanceId
      scaleIn(world, group, 1)
    }
    return
  }
  maybeRebalance(world, group, members)
}

/**
 * Launches one instance in the least-populated AZ, falling back to the next AZs when one lacks
 * capacity (as Auto Scaling does); undefined, with a Failed activity, when no launch is possible.
 */
const launchInto = (
  world: World,
  group: GroupRecord,
  cause: string,
  zones = zonesByLaunchPreference(world, group),
): InstanceRecord | undefined => {
  try {
    const resolved = resolveLaunchSpec(world, group)
    const image = world.images.get(resolved.imageId)
    if (image === undefined || image.state !== "available") {
      throw new Refusal(
        "not-found",
        "InvalidAMIID.NotFound",
        `The image id '[${resolved.imageId}]' does not exist`,
      )
    }
    const availabilityZone = zones.find((zone) => !launchFaultApplies(world, resolved.imageId, zone))
    if (availabilityZone === undefined) {
      throw new Refusal(
        "limit-exceeded",
        "InsufficientInstanceCapacity",
        `We currently do not have sufficient ${resolved.instanceType} capacity in the Availability Zones you requested (${zones.join(", ")}).`,
      )
    }
    const instance = createInstance(world, {
      group,
      clusterName: group.clusterName,
      availabilityZone,
      ...resolved,
      booted: false,
    })
    recordActivity(
      world,
      group.name,
      "Successful",
      `Launching a new EC2 instance: ${instance.instanceId}`,
      cause,
    )
    return instance
  } catch (error) {
    if (!(error instanceof Refusal)) throw error
    recordActivity(
      world,
      group.name,
      "Failed",
      "Launching a new EC2 instance.  Status Reason: " + error.message,
      cause,
    )
    if (group.launchBlockedUntil <= world.now) {
      schedule(world, world.timings.launchRetryMs, `retry-launch ${group.name}`, () =>
        requestGroupReconcile(world, group.name),
      )
    }
    group.launchBlockedUntil = world.now + world.timings.launchRetryMs
    return undefined
  }
}

/** The group's AZ with the fewest capacity members (first listed on a tie): Auto Scaling's launch balance. */
export const pickLaunchZone = (world: World, group: GroupRecord): string => {
  return zonesByLaunchPreference(world, group)[0] ?? group.availabilityZones[0] ?? "unknown-az"
}

/** The group's AZs from fewest to most capacity members, in listed order on ties. */
const zonesByLaunchPreference = (world: World, group: GroupRecord): Array<string> => {
  const counts = zoneCounts(group, capacityMembers(world, group))
  return [...group.availabilityZones].sort((a, b) => (counts.get(a) ?? 0) - (counts.get(b) ?? 0))
}

export const zoneCounts = (
  group: GroupRecord,
  members: ReadonlyArray<InstanceRecord>,
): Map<string, number> => {
  const counts = new Map(group.availabilityZones.map((zone) => [zone, 0]))
  for (const member of members)
    counts.set(member.availabilityZone, (counts.get(member.availabilityZone) ?? 0) + 1)
  return counts
}

/**
 * AZRebalance: when the group is at capacity but its AZs differ by more than one instance, launch
 * in the smallest AZ first (capacity may exceed max by 10%, at least one), then terminate in the largest.
 */
const maybeRebalance = (world: World, group: GroupRecord, members: ReadonlyArray<InstanceRecord>): void => {
  const suspended = group.suspendedProcesses
  if (suspended.has("AZRebalance") || suspended.has("Launch") || suspended.has("Terminate")) return
  if (members.some((m) => m.membership?.lifecycle !== "InService")) return
  const counts = [...zoneCounts(group, members).values()]
  if (Math.max(...counts) - Math.min(...counts) <= 1) return
  if (members.length + 1 > group.maxSize + Math.max(1, Math.floor(group.maxSize / 10))) return
  // Only the smallest AZ helps; when it has no capacity the attempt fails and is retried later.
  const extra = launchInto(world, group, "an instance was launched to aid in balancing the group's zones.", [
    pickLaunchZone(world, group),
  ])
  if (extra !== undefined) group.rebalanceInstanceId = extra.instanceId
}

/** Terminates `count` instances chosen by the default termination policy; protected instances are never chosen. */
const scaleIn = (world: World, group: GroupRecord, count: number): void => {
  for (let index = 0; index < count; index++) {
    const victim = pickScaleInVictim(world, group)
    if (victim === undefined) return
    terminateMember(
      world,
      victim,
      "an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity.",
    )
  }
}

/**
 * The default termination policy (AWS docs, "Default termination policy"): the AZ with the most
 * instances that has an unprotected one; within it, instances of the oldest launch configuration /
 * template version; then a seeded random pick (the billing-hour rule is not modelled).
 */
const pickScaleInVictim = (world: World, group: GroupRecord): MemberRecord | undefined => {
  const members = capacityMembers(world, group)
  const candidates = members.filter((m) => !m.membership.protectedFromScaleIn)
  if (candidates.length === 0) return undefined
  const counts = zoneCounts(group, members)
  const zones = [...new Set(candidates.map((c) => c.availabilityZone))]
  const largest = Math.max(...zones.map((zone) => counts.get(zone) ?? 0))
  const inZone = candidates.filter(
    (c) => c.availabilityZone === zones.find((z) => (counts.get(z) ?? 0) === largest),
  )
  const ranks = inZone.map((c) => launchAgeRank(world, group, c))
  const oldest = Math.min(...ranks)
  const oldestOnes = inZone.filter((_, index) => ranks[index] === oldest)
  return oldestOnes[Math.floor(world.rng.next() * oldestOnes.length)]
}

/** Lower is older: attached instances and launch configurations before templates, other templates and older versions before the current one. */
const launchAgeRank = (world: World, group: GroupRecord, instance: MemberRecord): number => {
  const origin = instance.membership.origin
  const spec = group.launchSpec
  if (origin.kind === "attached") return 0
  if (origin.kind === "configuration") {
    return spec._tag === "LaunchConfiguration" && spec.launchConfigurationName === origin.name ? 3 : 0
  }
  if (spec._tag === "LaunchConfiguration" || spec.template.launchTemplateId !== origin.launchTemplateId)
    return 1
  const template = world.templates.get(origin.launchTemplateId)
  const current = template === undefined ? undefined : tryTemplateVersion(template, spec.template.version)
  return current !== undefined && origin.version >= current ? 3 : 2
}

export const groupNamed = (world: World, name: string): GroupRecord => {
  const group = world.groups.get(name)
  if (group === undefined)
    throw new Refusal("invalid-parameter", "ValidationError", `AutoScalingGroup name not found - ${name}`)
  return group
}

export const recordActivity = (
  world: World,
  asgName: string,
  status: ScalingActivityRecord["status"],
  description: string,
  cause: string,
): void => {
  world.activities.push({
    activityId: `${world.rng.hex(8)}-${world.rng.hex(4)}-${world.rng.hex(4)}-${world.rng.hex(4)}-${world.rng.hex(12)}`,
    asgName,
    status,
    description,
    cause: `At ${new Date(world.now).toISOString()} ${cause}`,
    startTime: world.now,
  })
}

/** Sets desired capacity the way another actor (scaling policy, managed scaling, a person) would, clamped to [min, max]. */
export const setDesiredByAnotherActor = (world: World, asgName: string, desiredCapacity: number): void => {
  const group = world.groups.get(asgName)
  if (group === undefined) return
  group.desiredCapacity = Math.min(Math.max(desiredCapacity, group.minSize), group.maxSize)
  requestGroupReconcile(world, asgName)
}
