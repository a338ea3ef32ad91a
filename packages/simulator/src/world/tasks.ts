/**
 * ECS tasks through their lifecycle: created (PROVISIONING, PENDING, RUNNING, then HEALTHY behind their
 * health check, or UNHEALTHY on an image a fault marks failing), standalone ones exiting when their run
 * time ends, and stopped (DEACTIVATING for the deregistration delay behind a load balancer, STOPPING,
 * STOPPED; resources released; forgotten after the retention time). Every change wakes the cluster's
 * service scheduler (ecs-scheduler.ts) and marks the service for measurement.
 */
import {
  type ContainerInstanceRecord,
  type InstanceRecord,
  type ServiceRecord,
  type TaskRecord,
} from "../records.ts"
import { clusterNamed, release, reserve } from "./container-instances.ts"
import { pickInstance, requestScheduler } from "./ecs-scheduler.ts"
import { schedule } from "./events.ts"
import type { World } from "../world.ts"

const newTaskArn = (world: World, clusterName: string): string => {
  return `arn:aws:ecs:${world.region}:${world.accountId}:task/${clusterName}/${world.rng.hex(32)}`
}

/** RunTask-like: a standalone task placed at random on an ACTIVE instance with room (PENDING when none). */
export const runTask = (
  world: World,
  input: {
    readonly clusterName: string
    readonly group: string
    readonly cpu: number
    readonly memory: number
    readonly runsForMs?: number
    readonly startedBy?: string
    /** Scenario start: the task is already running. */
    readonly instant?: boolean
  },
): string => {
  clusterNamed(world, input.clusterName)
  const neverFinishes = world.faults.standaloneTasksNeverFinish === true
  const task: TaskRecord = {
    taskArn: newTaskArn(world, input.clusterName),
    clusterName: input.clusterName,
    group: input.group,
    lastStatus: "PENDING",
    desiredStatus: "RUNNING",
    health: "UNKNOWN",
    cpu: input.cpu,
    memory: input.memory,
    hostPorts: [],
    createdAt: world.now,
    ...(input.startedBy === undefined ? {} : { startedBy: input.startedBy }),
    ...(input.runsForMs === undefined || neverFinishes ? {} : { runsForMs: input.runsForMs }),
  }
  world.tasks.set(task.taskArn, task)
  const target = pickInstance(world, task, [{ type: "random" }], undefined)
  if (target !== undefined) placeTask(world, task, target, input.instant === true ? "instant" : "created")
  return task.taskArn
}

export const createServiceTask = (
  world: World,
  service: ServiceRecord,
  target: ContainerInstanceRecord | undefined,
  instant: boolean,
): TaskRecord => {
  const task: TaskRecord = {
    taskArn: newTaskArn(world, service.clusterName),
    clusterName: service.clusterName,
    group: `service:${service.serviceName}`,
    serviceKey: service.key,
    lastStatus: "PENDING",
    desiredStatus: "RUNNING",
    health: "UNKNOWN",
    cpu: service.cpu,
    memory: service.memory,
    hostPorts: service.hostPorts,
    createdAt: world.now,
    startedBy: `ecs-svc/${world.rng.hex(19)}`,
  }
  world.tasks.set(task.taskArn, task)
  service.taskArns.add(task.taskArn)
  world.dirtyServices.add(service.key)
  if (target !== undefined) placeTask(world, task, target, instant ? "instant" : "created")
  return task
}

/**
 * Puts a task on an instance. `instant` (scenario start) makes it RUNNING and healthy at once; a task
 * placed when created goes through PROVISIONING; one that waited unplaced is already PENDING.
 */
export const placeTask = (
  world: World,
  task: TaskRecord,
  target: ContainerInstanceRecord,
  mode: "instant" | "created" | "waited",
): void => {
  task.containerInstanceArn = target.containerInstanceArn
  reserve(target, task)
  if (mode === "instant") {
    task.lastStatus = "RUNNING"
    task.startedAt = world.now
    task.health = task.serviceKey === undefined ? "UNKNOWN" : "HEALTHY"
    scheduleStandaloneEnd(world, task)
    markTask(world, task)
    return
  }
  markTask(world, task)
  if (mode === "waited") {
    schedule(world, world.timings.taskStartMs, `start ${task.taskArn}`, () => taskStarted(world, task))
    return
  }
  task.lastStatus = "PROVISIONING"
  schedule(world, world.timings.taskProvisioningMs, `pending ${task.taskArn}`, () => {
    if (task.lastStatus !== "PROVISIONING" || task.desiredStatus !== "RUNNING") return
    task.lastStatus = "PENDING"
    schedule(world, world.timings.taskStartMs, `start ${task.taskArn}`, () => taskStarted(world, task))
  })
}

const taskStarted = (world: World, task: TaskRecord): void => {
  if (task.lastStatus !== "PENDING" || task.desiredStatus !== "RUNNING") return
  task.lastStatus = "RUNNING"
  task.startedAt = world.now
  markTask(world, task)
  scheduleStandaloneEnd(world, task)
  if (task.serviceKey === undefined) return
  schedule(world, world.timings.taskHealthyAfterMs, `health ${task.taskArn}`, () => {
    if (task.lastStatus !== "RUNNING" || task.desiredStatus !== "RUNNING") return
    const instance = instanceOfTask(world, task)
    const failing =
      instance !== undefined && (world.faults.unhealthyTasksOnImages ?? []).includes(instance.imageId)
    if (failing) {
      task.health = "UNHEALTHY"
      stopTask(world, task, "Task failed ELB health checks")
    } else {
      task.health = "HEALTHY"
      markTask(world, task)
    }
  })
}

const scheduleStandaloneEnd = (world: World, task: TaskRecord): void => {
  if (task.serviceKey !== undefined || task.runsForMs === undefined) return
  const endsAt = task.createdAt + task.runsForMs
  schedule(world, Math.max(0, endsAt - world.now), `exit ${task.taskArn}`, () => {
    if (task.desiredStatus === "RUNNING" && task.lastStatus === "RUNNING")
      finishTask(world, task, "Essential container in task exited")
  })
}

/** The EC2 instance a task is placed on, if any. */
export const instanceOfTask = (world: World, task: TaskRecord): InstanceRecord | undefined => {
  const ci =
    task.containerInstanceArn === undefined
      ? undefined
      : world.containerInstances.get(task.containerInstanceArn)
  return ci === undefined ? undefined : world.instances.get(ci.ec2InstanceId)
}

/** StopTask / scheduler stop: DEACTIVATING (deregistration delay behind a load balancer), STOPPING, STOPPED. */
export const stopTask = (world: World, task: TaskRecord, reason: string): void => {
  if (task.desiredStatus === "STOPPED") return
  task.desiredStatus = "STOPPED"
  task.stopReason = reason
  markTask(world, task)
  if (task.lastStatus !== "RUNNING") {
    finishTask(world, task, reason)
    return
  }
  task.lastStatus = "DEACTIVATING"
  const service = task.serviceKey === undefined ? undefined : world.services.get(task.serviceKey)
  const deactivating =
    service?.loadBalanced === true ? service.deregistrationDelayMs : world.timings.deactivatingMs
  schedule(world, deactivating, `stopping ${task.taskArn}`, () => {
    if (task.lastStatus !== "DEACTIVATING") return
    task.lastStatus = "STOPPING"
    markTask(world, task)
    schedule(world, world.timings.taskStopMs, `stopped ${task.taskArn}`, () => {
      if (task.lastStatus === "STOPPING") finishTask(world, task, reason)
    })
  })
}

/** The task is STOPPED now: resources are released, and ECS forgets it after the retention time. */
export const finishTask = (world: World, task: TaskRecord, reason: string): void => {
  if (task.lastStatus === "STOPPED") return
  task.lastStatus = "STOPPED"
  task.desiredStatus = "STOPPED"
  task.stopReason ??= reason
  task.stoppedAt = world.now
  const host =
    task.containerInstanceArn === undefined
      ? undefined
      : world.containerInstances.get(task.containerInstanceArn)
  if (host !== undefined) release(host, task)
  markTask(world, task)
  schedule(world, world.timings.stoppedRetentionMs, `forget ${task.taskArn}`, () => {
    world.tasks.delete(task.taskArn)
    if (task.serviceKey !== undefined) world.services.get(task.serviceKey)?.taskArns.delete(task.taskArn)
  })
}

const markTask = (world: World, task: TaskRecord): void => {
  if (task.serviceKey !== undefined) world.dirtyServices.add(task.serviceKey)
  requestScheduler(world, task.clusterName)
}
