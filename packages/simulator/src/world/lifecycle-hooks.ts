/**
 * Lifecycle hooks between Auto Scaling and EC2. A launch hook nobody completes holds a booted member
 * in Pending:Wait for its heartbeat timeout (ABANDON terminates it). A terminate hook holds a leaving
 * member in Terminating:Wait: the hook a capacity provider with managed instance draining puts on its
 * group sets the container instance DRAINING and completes once only daemon tasks run on it (at most
 * 48 h); any other hook runs out its heartbeat timeout. Then EC2 shuts the instance down.
 */
import { countsTowardCapacity, isTaskLive } from "@ecs-ami-deploy/domain"
import { isMember, type InstanceRecord, type MemberRecord } from "../records.ts"
import { recordActivity, requestGroupReconcile } from "./auto-scaling.ts"
import { shutDown } from "./ec2.ts"
import { advanceInstanceRefreshes } from "./instance-refresh.ts"
import type { World } from "../world.ts"
import { containerInstanceOf } from "./container-instances.ts"
import { requestScheduler } from "./ecs-scheduler.ts"
import { schedule } from "./events.ts"

/**
 * The terminate lifecycle hook a capacity provider with managed instance draining puts on its group:
 * ECS drains the instance, then completes the hook (it keeps it alive with heartbeats, up to 48 h).
 */
export const managedDrainingHook = {
  name: "ecs-managed-draining-termination-hook",
  transition: "autoscaling:EC2_INSTANCE_TERMINATING",
  heartbeatTimeoutSeconds: 3600,
  defaultResult: "CONTINUE",
  managedDraining: true,
} as const

/** How long a lifecycle hook can hold an instance at most, heartbeats included. */
const lifecycleHookMaxMs = 48 * 3_600_000

/** A booted member turns InService after a while, held first by a launch lifecycle hook if its group has one. */
export const memberBooted = (world: World, instance: InstanceRecord): void => {
  const membership = instance.membership
  if (membership === undefined) return
  // A launch hook nobody completes holds the instance in Pending:Wait for its heartbeat timeout.
  const hook = world.groups
    .get(membership.groupName)
    ?.lifecycleHooks.find((h) => h.transition === "autoscaling:EC2_INSTANCE_LAUNCHING")
  if (hook !== undefined) membership.lifecycle = "Pending:Wait"
  const holdMs = hook === undefined ? 0 : hook.heartbeatTimeoutSeconds * 1000
  schedule(world, holdMs + world.timings.inServiceAfterRunningMs, `in-service ${instance.instanceId}`, () => {
    const current = instance.membership
    if (
      !isMember(instance) ||
      !countsTowardCapacity(current?.lifecycle ?? "Terminated") ||
      instance.state !== "running"
    )
      return
    if (hook?.defaultResult === "ABANDON") {
      terminateMember(world, instance, "an instance launch was abandoned by its lifecycle hook")
      return
    }
    instance.membership.lifecycle = "InService"
    requestGroupReconcile(world, instance.membership.groupName)
    advanceInstanceRefreshes(world)
  })
}

/**
 * Auto Scaling terminates a member: Terminating, or Terminating:Wait while a terminate lifecycle
 * hook holds it — ECS managed draining sets it DRAINING and completes the hook once no task but
 * daemon tasks runs on it; a hook nobody completes runs out its heartbeat timeout. Then EC2 shuts it down.
 */
export const terminateMember = (
  world: World,
  instance: MemberRecord,
  cause: string,
  by = "Auto Scaling",
): void => {
  const group = world.groups.get(instance.membership.groupName)
  recordActivity(
    world,
    instance.membership.groupName,
    "Successful",
    `Terminating EC2 instance: ${instance.instanceId}`,
    cause,
  )
  const hook = group?.lifecycleHooks.find((h) => h.transition === "autoscaling:EC2_INSTANCE_TERMINATING")
  const completeHook = () => {
    if (instance.membership !== undefined) instance.membership.lifecycle = "Terminating:Proceed"
    shutDown(world, instance, `Host EC2 (instance ${instance.instanceId}) terminated by ${by}`)
  }
  if (hook === undefined) {
    instance.membership.lifecycle = "Terminating"
    shutDown(world, instance, `Host EC2 (instance ${instance.instanceId}) terminated by ${by}`)
    return
  }
  instance.membership.lifecycle = "Terminating:Wait"
  world.instancesDirty = true
  if (!hook.managedDraining) {
    schedule(world, hook.heartbeatTimeoutSeconds * 1000, `hook timeout ${instance.instanceId}`, completeHook)
    return
  }
  const heldUntil = world.now + lifecycleHookMaxMs
  const container = containerInstanceOf(world, instance)
  if (container?.status === "ACTIVE") {
    container.status = "DRAINING"
    requestScheduler(world, container.clusterName)
  }
  const check = () => {
    if (instance.state !== "running" && instance.state !== "pending") return
    const ci = containerInstanceOf(world, instance)
    const busy =
      ci !== undefined &&
      [...ci.taskArns].some((arn) => {
        const task = world.tasks.get(arn)
        const service = task?.serviceKey === undefined ? undefined : world.services.get(task.serviceKey)
        return task !== undefined && isTaskLive(task) && service?.schedulingStrategy !== "DAEMON"
      })
    if (!busy || world.now >= heldUntil) completeHook()
    else
      schedule(world, world.timings.managedDrainingCheckMs, `managed draining ${instance.instanceId}`, check)
  }
  schedule(world, world.timings.managedDrainingCheckMs, `managed draining ${instance.instanceId}`, check)
}
