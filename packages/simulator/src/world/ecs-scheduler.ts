/**
 * The ECS service scheduler, one pass per cluster a moment after any change: daemon services get a task
 * on every ACTIVE instance (stopped last on a DRAINING one); replica services keep their desired count
 * within maximumPercent and drain DRAINING instances only while the healthy count stays at or above the
 * minimumHealthyPercent floor; waiting standalone tasks are placed. Placement filters ACTIVE instances
 * with room and distinctInstance constraints, then orders them by the placement strategies (spread,
 * binpack, random), ties broken at seeded random as ECS does.
 */
import {
  Refusal,
  serviceKey,
  type ContainerInstanceRecord,
  type ResourceNeed,
  type ServiceRecord,
  type TaskRecord,
} from "../records.ts"
import { schedule } from "./events.ts"
import { createServiceTask, placeTask, stopTask } from "./tasks.ts"
import type { World } from "../world.ts"

const lexicographicallyLess = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean => {
  for (let index = 0; index < a.length; index++) {
    const [x = 0, y = 0] = [a[index], b[index]]
    if (x !== y) return x < y
  }
  return false
}

export const requestScheduler = (world: World, clusterName: string): void => {
  const cluster = world.clusters.get(clusterName)
  if (cluster === undefined || cluster.schedulerScheduled) return
  cluster.schedulerScheduled = true
  schedule(world, world.timings.schedulerReactionMs, `scheduler ${clusterName}`, () => {
    cluster.schedulerScheduled = false
    runScheduler(world, clusterName, false)
  })
}

export const serviceTasks = (world: World, service: ServiceRecord): Array<TaskRecord> => {
  return [...service.taskArns]
    .map((arn) => world.tasks.get(arn))
    .filter((t): t is TaskRecord => t !== undefined)
}

export const isHealthy = (task: TaskRecord): boolean => {
  return task.desiredStatus === "RUNNING" && task.lastStatus === "RUNNING" && task.health === "HEALTHY"
}

const statusOf = (world: World, task: TaskRecord): ContainerInstanceRecord["status"] | undefined => {
  return task.containerInstanceArn === undefined
    ? undefined
    : world.containerInstances.get(task.containerInstanceArn)?.status
}

/** One pass of the ECS service scheduler over a cluster: daemons first, then replica services by name. */
export const runScheduler = (world: World, clusterName: string, instant: boolean): void => {
  const services = [...world.services.values()]
    .filter((s) => s.clusterName === clusterName)
    .sort((a, b) => a.serviceName.localeCompare(b.serviceName))
  for (const service of services)
    if (service.schedulingStrategy === "DAEMON") scheduleDaemon(world, service, instant)
  for (const service of services)
    if (service.schedulingStrategy === "REPLICA") scheduleReplica(world, service, instant)
  // Standalone tasks waiting for room.
  for (const task of world.tasks.values()) {
    if (task.clusterName !== clusterName || task.serviceKey !== undefined) continue
    if (task.desiredStatus !== "RUNNING" || task.containerInstanceArn !== undefined) continue
    const target = pickInstance(world, task, [{ type: "random" }], undefined)
    if (target !== undefined) placeTask(world, task, target, "waited")
  }
}

const scheduleDaemon = (world: World, service: ServiceRecord, instant: boolean): void => {
  const live = serviceTasks(world, service).filter((t) => t.desiredStatus === "RUNNING")
  for (const ci of world.containerInstances.values()) {
    if (ci.clusterName !== service.clusterName || !ci.agentConnected) continue
    const mine = live.filter((t) => t.containerInstanceArn === ci.containerInstanceArn)
    if (ci.status === "ACTIVE" && mine.length === 0 && fitsResources(ci, service)) {
      createServiceTask(world, service, ci, instant)
    }
    if (ci.status === "DRAINING" && mine.length > 0) {
      // Daemon tasks go last: only once no other service task runs on the instance.
      const others = [...ci.taskArns]
        .map((arn) => world.tasks.get(arn))
        .some((t) => t !== undefined && t.serviceKey !== undefined && t.serviceKey !== service.key)
      if (!others) for (const task of mine) stopTask(world, task, "Container instance is draining")
    }
  }
  service.desiredCount = [...world.containerInstances.values()].filter(
    (ci) => ci.clusterName === service.clusterName && ci.status === "ACTIVE" && ci.agentConnected,
  ).length
  world.dirtyServices.add(service.key)
}

/**
 * Replica services, following the documented draining semantics: PENDING tasks on DRAINING instances
 * stop at once; replacements start while the total stays within maximumPercent; RUNNING tasks on
 * DRAINING instances stop only while the healthy count stays at or above the minimumHealthyPercent floor.
 */
const scheduleReplica = (world: World, service: ServiceRecord, instant: boolean): void => {
  const live = () => serviceTasks(world, service).filter((t) => t.desiredStatus === "RUNNING")
  for (const task of live()) {
    if (statusOf(world, task) === "DRAINING" && task.lastStatus !== "RUNNING")
      stopTask(world, task, "Container instance is draining")
  }
  for (const task of live()) {
    if (task.containerInstanceArn !== undefined) continue
    const target = pickInstance(world, task, service.placementStrategy, service)
    if (target !== undefined) placeTask(world, task, target, instant ? "instant" : "waited")
  }
  const draining = live().filter((t) => statusOf(world, t) === "DRAINING")
  const staying = live().filter((t) => statusOf(world, t) !== "DRAINING")
  const desired = service.desiredCount
  if (staying.length > desired) {
    // Scale in: unplaced first, then not yet running, then the newest.
    const order = [...staying].sort(
      (a, b) =>
        Number(a.containerInstanceArn !== undefined) - Number(b.containerInstanceArn !== undefined) ||
        Number(a.lastStatus === "RUNNING") - Number(b.lastStatus === "RUNNING") ||
        b.createdAt - a.createdAt,
    )
    for (const task of order.slice(0, staying.length - desired)) stopTask(world, task, "Service scaled in")
  }
  const maxTotal = Math.floor((desired * service.maximumPercent) / 100)
  const toStart = Math.min(desired - staying.length, maxTotal - staying.length - draining.length)
  for (let index = 0; index < toStart; index++) {
    const probe = { cpu: service.cpu, memory: service.memory, hostPorts: service.hostPorts }
    const target = pickInstance(world, probe, service.placementStrategy, service)
    createServiceTask(world, service, target, instant)
  }
  const floor = Math.ceil((desired * service.minimumHealthyPercent) / 100)
  let healthy = live().filter((t) => isHealthy(t)).length
  const stopOrder = [...draining].sort((a, b) => Number(isHealthy(a)) - Number(isHealthy(b)))
  for (const task of stopOrder) {
    if (!isHealthy(task)) {
      stopTask(world, task, "Container instance is draining")
    } else if (healthy - 1 >= floor) {
      stopTask(world, task, "Container instance is draining")
      healthy--
    }
  }
}

const fitsResources = (ci: ContainerInstanceRecord, need: ResourceNeed): boolean => {
  if (ci.registered.cpu - ci.used.cpu < need.cpu || ci.registered.memory - ci.used.memory < need.memory)
    return false
  return !need.hostPorts.some((port) => ci.registered.ports.includes(port) || ci.used.ports.includes(port))
}

/** Placement: ACTIVE instances with a connected agent and room, ordered by the strategies in turn, ties broken at (seeded) random as ECS does. */
export const pickInstance = (
  world: World,
  need: ResourceNeed & { readonly clusterName?: string },
  strategies: ServiceRecord["placementStrategy"],
  service: ServiceRecord | undefined,
): ContainerInstanceRecord | undefined => {
  const clusterName = service?.clusterName ?? need.clusterName
  // The service's live tasks per instance and per AZ: for spread and for distinctInstance.
  const perInstance = new Map<string, number>()
  const perZone = new Map<string, number>()
  for (const task of service === undefined ? [] : serviceTasks(world, service)) {
    if (task.desiredStatus !== "RUNNING" || task.containerInstanceArn === undefined) continue
    const host = world.containerInstances.get(task.containerInstanceArn)
    if (host === undefined) continue
    perInstance.set(host.containerInstanceArn, (perInstance.get(host.containerInstanceArn) ?? 0) + 1)
    perZone.set(host.availabilityZone, (perZone.get(host.availabilityZone) ?? 0) + 1)
  }
  const distinct = service?.placementConstraints.some((c) => c.type === "distinctInstance") === true
  let best: ContainerInstanceRecord | undefined
  let bestKey: Array<number> = []
  for (const ci of world.containerInstances.values()) {
    if (
      ci.clusterName !== clusterName ||
      ci.status !== "ACTIVE" ||
      !ci.agentConnected ||
      !fitsResources(ci, need)
    )
      continue
    if (distinct && (perInstance.get(ci.containerInstanceArn) ?? 0) > 0) continue
    const key = strategies.map((strategy) => {
      if (strategy.type === "random") return world.rng.next()
      if (strategy.type === "binpack")
        return strategy.field === "cpu"
          ? ci.registered.cpu - ci.used.cpu
          : ci.registered.memory - ci.used.memory
      return strategy.field === "attribute:ecs.availability-zone"
        ? (perZone.get(ci.availabilityZone) ?? 0)
        : (perInstance.get(ci.containerInstanceArn) ?? 0)
    })
    key.push(world.rng.next())
    if (best === undefined || lexicographicallyLess(key, bestKey)) {
      best = ci
      bestKey = key
    }
  }
  return best
}

/** Sets a service's desired count (UpdateService-like; a simulator operation). */
export const setServiceDesiredCount = (
  world: World,
  clusterName: string,
  serviceName: string,
  desiredCount: number,
): void => {
  const service = world.services.get(serviceKey(clusterName, serviceName))
  if (service === undefined)
    throw new Refusal("not-found", "ServiceNotFoundException", `Service not found: ${serviceName}`)
  service.desiredCount = desiredCount
  world.dirtyServices.add(service.key)
  requestScheduler(world, clusterName)
}
