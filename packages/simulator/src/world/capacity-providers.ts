/**
 * ECS capacity providers acting on their Auto Scaling groups: managed scaling at target capacity 100%
 * (desired capacity = instances hosting non-daemon tasks, plus one while tasks wait for room, instances
 * within the warmup period kept) through a target tracking policy that only reaches the group while its
 * AlarmNotification process runs, and managed termination protection (scale-in protection on every
 * instance hosting non-daemon tasks). Managed draining is a terminate lifecycle hook (lifecycle-hooks.ts).
 */
import { type ClusterRecord, type InstanceRecord } from "../records.ts"
import { capacityMembers, setDesiredByAnotherActor } from "./auto-scaling.ts"
import type { World } from "../world.ts"
import { containerInstanceOf } from "./container-instances.ts"
import { schedule } from "./events.ts"

export const startManagedScaling = (world: World): void => {
  for (const cluster of world.clusters.values()) {
    for (const provider of cluster.capacityProviders) {
      if (!provider.managedScaling && !provider.managedTerminationProtection) continue
      const tick = () => {
        managedScalingStep(world, cluster, provider)
        schedule(world, world.timings.managedScalingPeriodMs, `managed-scaling ${provider.name}`, tick)
      }
      schedule(world, world.timings.managedScalingPeriodMs, `managed-scaling ${provider.name}`, tick)
    }
  }
}

/**
 * ECS managed scaling at target capacity 100%: desired = instances hosting non-daemon tasks, plus
 * one while tasks wait for room; instances younger than the warmup period are not scaled in.
 * Managed termination protection protects instances hosting non-daemon tasks.
 */
const managedScalingStep = (
  world: World,
  cluster: ClusterRecord,
  provider: ClusterRecord["capacityProviders"][number],
): void => {
  const group = world.groups.get(provider.asgName)
  if (group === undefined) return
  const members = capacityMembers(world, group)
  const busy = (instance: InstanceRecord) => {
    const ci = containerInstanceOf(world, instance)
    if (ci === undefined) return false
    return [...ci.taskArns].some((arn) => {
      const task = world.tasks.get(arn)
      const service = task?.serviceKey === undefined ? undefined : world.services.get(task.serviceKey)
      return task !== undefined && service?.schedulingStrategy !== "DAEMON"
    })
  }
  if (provider.managedTerminationProtection)
    for (const member of members) member.membership.protectedFromScaleIn = busy(member)
  // Managed scaling acts through a target tracking policy, whose CloudWatch alarms reach the group
  // only while its AlarmNotification process runs.
  if (!provider.managedScaling || group.suspendedProcesses.has("AlarmNotification")) return
  const waiting = [...world.tasks.values()].some(
    (t) =>
      t.clusterName === cluster.clusterName &&
      t.desiredStatus === "RUNNING" &&
      t.containerInstanceArn === undefined,
  )
  const warming = members.filter(
    (m) => world.now - m.launchTime < world.timings.managedScalingWarmupMs && !busy(m),
  ).length
  const needed = members.filter(busy).length + warming + (waiting ? 1 : 0)
  if (needed !== group.desiredCapacity) setDesiredByAnotherActor(world, group.name, needed)
}
