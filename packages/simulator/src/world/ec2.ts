/**
 * EC2 in the simulated world: instances launched (booting, then running; hidden from DescribeInstances
 * for a moment by eventual consistency), terminated (refused while API termination protection is on;
 * their tasks die with them, their agent disconnects, they are gone after the shutdown time and fade
 * from view after the retention time), and lost as to a Spot interruption. A booted member of a group
 * is handed to Auto Scaling (lifecycle-hooks.ts); a booted instance's ECS agent registers it after a while.
 */
import { Refusal, type GroupRecord, type InstanceRecord, type LaunchOrigin } from "../records.ts"
import { instanceTypeSpec } from "../catalog.ts"
import { isInstanceGone, type InstanceState } from "@ecs-ami-deploy/domain"
import { recordActivity, removeMember, requestGroupReconcile } from "./auto-scaling.ts"
import { memberBooted } from "./lifecycle-hooks.ts"
import type { World } from "../world.ts"
import {
  containerInstanceOf,
  deactivateContainerInstance,
  registerContainerInstance,
} from "./container-instances.ts"
import { requestScheduler } from "./ecs-scheduler.ts"
import { schedule } from "./events.ts"
import { finishTask } from "./tasks.ts"

export const liveInstanceStates: ReadonlySet<InstanceState> = new Set(["pending", "running"])

const newInstanceId = (world: World): string => {
  return `i-0${world.rng.hex(16)}`
}

export const createInstance = (
  world: World,
  input: {
    /** Absent for an instance launched by hand into the cluster. */
    readonly group?: GroupRecord
    readonly clusterName: string
    readonly availabilityZone: string
    readonly imageId: string
    readonly instanceType: string
    readonly origin?: LaunchOrigin
    /** Starting instances are already running, InService and registered. */
    readonly booted: boolean
  },
): InstanceRecord => {
  const { group } = input
  const image = world.images.get(input.imageId)
  const instance: InstanceRecord = {
    instanceId: newInstanceId(world),
    imageId: input.imageId,
    instanceType: input.instanceType,
    architecture: image?.architecture ?? instanceTypeSpec(input.instanceType).architecture,
    availabilityZone: input.availabilityZone,
    state: input.booted ? "running" : "pending",
    launchTime: input.booted ? world.now - 86_400_000 : world.now,
    visibleAt: input.booted ? world.now : world.now + world.timings.describeVisibilityDelayMs,
    lifecycle: "on-demand",
    terminationProtected: false,
    tags: group === undefined ? {} : { ...group.tags, "aws:autoscaling:groupName": group.name },
    clusterName: input.clusterName,
    ...(group === undefined
      ? {}
      : {
          membership: {
            groupName: group.name,
            lifecycle: input.booted ? "InService" : "Pending",
            health: "Healthy",
            protectedFromScaleIn: false,
            origin: input.origin ?? { kind: "attached" },
          },
        }),
  }
  world.instances.set(instance.instanceId, instance)
  group?.members.push(instance.instanceId)
  world.instancesDirty = true
  if (input.booted) registerContainerInstance(world, instance)
  else
    schedule(world, world.timings.instancePendingMs, `boot ${instance.instanceId}`, () =>
      instanceBooted(world, instance),
    )
  return instance
}

const instanceBooted = (world: World, instance: InstanceRecord): void => {
  if (instance.state !== "pending") return
  instance.state = "running"
  world.instancesDirty = true
  memberBooted(world, instance)
  const neverRegisters = world.faults.agentNeverRegisters?.imageIds.includes(instance.imageId) ?? false
  if (instance.clusterName !== undefined && !neverRegisters) {
    schedule(world, world.timings.agentRegistrationMs, `register ${instance.instanceId}`, () => {
      if (instance.state === "running") registerContainerInstance(world, instance)
    })
  }
}

/** EC2 TerminateInstances semantics: refused for protected instances, idempotent for terminated ones. */
export const terminateInstances = (world: World, instanceIds: ReadonlyArray<string>): void => {
  const records = instanceIds.map((id) => {
    const instance = world.instances.get(id)
    if (instance === undefined || world.now < instance.visibleAt) {
      throw new Refusal("not-found", "InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`)
    }
    if (instance.terminationProtected) {
      throw new Refusal(
        "invalid-parameter",
        "OperationNotPermitted",
        `The instance '${id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
      )
    }
    return instance
  })
  for (const instance of records) {
    const membership = instance.membership
    shutDown(world, instance, `Host EC2 (instance ${instance.instanceId}) stopped/terminated`)
    if (membership !== undefined && membership.lifecycle !== "Terminating") {
      // Auto Scaling finds out at its next health check and replaces the instance.
      schedule(world, world.timings.autoScalingHealthCheckMs, `health-check ${instance.instanceId}`, () => {
        if (instance.membership === undefined || instance.membership.lifecycle === "Terminating") return
        instance.membership.health = "Unhealthy"
        instance.membership.lifecycle = "Terminating"
        recordActivity(
          world,
          membership.groupName,
          "Successful",
          `Terminating EC2 instance: ${instance.instanceId}`,
          `an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.`,
        )
        requestGroupReconcile(world, membership.groupName)
      })
    }
  }
}

/** Shuts an instance down: its tasks die with it, its agent disconnects, and it is gone after the shutdown time. */
export const shutDown = (world: World, instance: InstanceRecord, reason: string): void => {
  if (isInstanceGone(instance.state)) return
  instance.state = "shutting-down"
  world.instancesDirty = true
  const containerInstance = containerInstanceOf(world, instance)
  if (containerInstance !== undefined) {
    containerInstance.agentConnected = false
    for (const taskArn of [...containerInstance.taskArns]) {
      const task = world.tasks.get(taskArn)
      if (task !== undefined) finishTask(world, task, reason)
    }
    requestScheduler(world, containerInstance.clusterName)
  }
  schedule(world, world.timings.instanceShutdownMs, `terminated ${instance.instanceId}`, () => {
    instance.state = "terminated"
    instance.terminatedAt = world.now
    world.instancesDirty = true
    const ci = containerInstanceOf(world, instance)
    if (ci !== undefined && ci.status !== "INACTIVE") deactivateContainerInstance(world, ci)
    const membership = instance.membership
    if (membership !== undefined) removeMember(world, membership.groupName, instance)
  })
}

/** Instances DescribeInstances can see now (eventual consistency hides the newest; the terminated fade out). */
export const isVisible = (world: World, instance: InstanceRecord): boolean => {
  if (world.now < instance.visibleAt) return false
  return (
    instance.terminatedAt === undefined ||
    world.now - instance.terminatedAt < world.timings.stoppedRetentionMs
  )
}

export const setTerminationProtection = (world: World, instanceId: string, enabled: boolean): void => {
  const instance = world.instances.get(instanceId)
  if (instance === undefined)
    throw new Refusal(
      "not-found",
      "InvalidInstanceID.NotFound",
      `The instance ID '${instanceId}' does not exist`,
    )
  instance.terminationProtected = enabled
}

/** Loses an instance as a Spot interruption would: EC2 terminates it, Auto Scaling replaces it. */
export const loseInstance = (world: World, instanceId: string): void => {
  const instance = world.instances.get(instanceId)
  if (instance === undefined || !liveInstanceStates.has(instance.state)) return
  instance.terminationProtected = false
  terminateInstances(world, [instanceId])
}
