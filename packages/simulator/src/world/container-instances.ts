/**
 * ECS container instances: registered by a booted instance's agent (resources from its instance type,
 * minus the ports the agent reserves), ACTIVE or DRAINING by UpdateContainerInstancesState (at most 10 a
 * request), INACTIVE once their instance is gone or after a forced deregistration (which orphans their
 * tasks) and forgotten after the retention time; and the resources each one's tasks use.
 */
import {
  Refusal,
  type ClusterRecord,
  type ContainerInstanceRecord,
  type InstanceRecord,
  type ResourcesRecord,
  type TaskRecord,
} from "../records.ts"
import { agentReservedPorts, instanceTypeSpec } from "../catalog.ts"
import { requestScheduler } from "./ecs-scheduler.ts"
import { schedule } from "./events.ts"
import { finishTask } from "./tasks.ts"
import type { World } from "../world.ts"

export const registerContainerInstance = (world: World, instance: InstanceRecord): void => {
  const clusterName = instance.clusterName
  if (clusterName === undefined || !world.clusters.has(clusterName)) return
  const spec = instanceTypeSpec(instance.instanceType)
  const arn = `arn:aws:ecs:${world.region}:${world.accountId}:container-instance/${clusterName}/${world.rng.hex(32)}`
  world.containerInstances.set(arn, {
    containerInstanceArn: arn,
    clusterName,
    ec2InstanceId: instance.instanceId,
    status: "ACTIVE",
    agentConnected: true,
    registered: { cpu: spec.cpu, memory: spec.memory, ports: agentReservedPorts },
    availabilityZone: instance.availabilityZone,
    registeredAt: world.now,
    taskArns: new Set(),
    used: { cpu: 0, memory: 0, ports: [] },
  })
  instance.containerInstanceArn = arn
  requestScheduler(world, clusterName)
}

export const containerInstanceOf = (
  world: World,
  instance: InstanceRecord,
): ContainerInstanceRecord | undefined => {
  return instance.containerInstanceArn === undefined
    ? undefined
    : world.containerInstances.get(instance.containerInstanceArn)
}

export const updateContainerInstancesState = (
  world: World,
  clusterName: string,
  arns: ReadonlyArray<string>,
  status: "ACTIVE" | "DRAINING",
): void => {
  clusterNamed(world, clusterName)
  if (arns.length > 10) {
    throw new Refusal(
      "invalid-parameter",
      "InvalidParameterException",
      "instanceIds can have at most 10 items.",
    )
  }
  const records = arns.map((arn) => {
    const record = world.containerInstances.get(arn)
    if (record === undefined || record.clusterName !== clusterName) {
      throw new Refusal(
        "not-found",
        "InvalidParameterException",
        `Container instance ${arn} not found (MISSING).`,
      )
    }
    if (record.status === "INACTIVE") {
      throw new Refusal(
        "invalid-parameter",
        "InvalidParameterException",
        `Container instance ${arn} is INACTIVE and cannot be updated.`,
      )
    }
    return record
  })
  for (const record of records) record.status = status
  requestScheduler(world, clusterName)
}

/** DeregisterContainerInstance(force=true): the tasks are orphaned — ECS forgets them, their targets drop at once. */
export const forceDeregisterContainerInstance = (world: World, clusterName: string, arn: string): void => {
  const record = world.containerInstances.get(arn)
  if (record === undefined || record.clusterName !== clusterName) {
    throw new Refusal("not-found", "InvalidParameterException", `Container instance ${arn} not found.`)
  }
  for (const taskArn of [...record.taskArns]) {
    const task = world.tasks.get(taskArn)
    if (task !== undefined)
      finishTask(world, task, "Container instance deregistration forced by a user (task orphaned)")
  }
  deactivateContainerInstance(world, record)
  requestScheduler(world, clusterName)
}

export const deactivateContainerInstance = (world: World, record: ContainerInstanceRecord): void => {
  record.status = "INACTIVE"
  record.agentConnected = false
  record.inactiveAt = world.now
  schedule(world, world.timings.stoppedRetentionMs, `forget ${record.containerInstanceArn}`, () =>
    world.containerInstances.delete(record.containerInstanceArn),
  )
}

export const clusterNamed = (world: World, clusterName: string): ClusterRecord => {
  const cluster = world.clusters.get(clusterName)
  if (cluster === undefined)
    throw new Refusal("not-found", "ClusterNotFoundException", `Cluster not found: ${clusterName}`)
  return cluster
}

export const remainingResources = (record: ContainerInstanceRecord): ResourcesRecord => {
  return {
    cpu: record.registered.cpu - record.used.cpu,
    memory: record.registered.memory - record.used.memory,
    ports: [...record.registered.ports, ...record.used.ports],
  }
}

export const reserve = (record: ContainerInstanceRecord, task: TaskRecord): void => {
  record.taskArns.add(task.taskArn)
  record.used.cpu += task.cpu
  record.used.memory += task.memory
  record.used.ports.push(...task.hostPorts)
}

export const release = (record: ContainerInstanceRecord, task: TaskRecord): void => {
  if (!record.taskArns.delete(task.taskArn)) return
  record.used.cpu -= task.cpu
  record.used.memory -= task.memory
  for (const port of task.hostPorts) record.used.ports.splice(record.used.ports.indexOf(port), 1)
}
