/**
 * Drain wave selection (invariant 2). A wave is the largest set of old instances, up to the drain
 * limit, whose displaced service tasks all fit on ACTIVE capacity that is not itself being replaced
 * (CPU, memory, host ports, `distinctInstance`), while every affected service stays within what its
 * deployment configuration lets ECS have in flight (one ECS batch; a lone instance may need several). All instances of a wave drain together, so a task
 * never moves from one old instance to the next.
 *
 * A service whose floor is zero lets ECS stop every task it has on draining instances at once (with
 * `maximumPercent` 100 %, before it starts any replacement). With `keepOneRunning`, a wave leaves one
 * of its RUNNING tasks outside the drain, so it never has no task at all; the instance hosting it
 * joins the wave once a task of that service runs elsewhere (`extendWave` in wave.ts).
 */
import type { ContainerInstance, Task } from "@ecs-ami-deploy/domain"
import {
  displacementAllowance,
  isTaskLeaving,
  liveTasksOn,
  serviceBounds,
  taskKind,
  type ClusterIndex,
} from "./cluster.ts"

interface Host {
  readonly instanceId: string
  cpu: number
  memory: number
  readonly ports: Set<number>
  readonly services: Set<string>
}

/** The wave chosen, what it displaces, and the candidates held back with why. */
export interface WaveChoice {
  readonly instanceIds: ReadonlyArray<string>
  /** Service name → tasks the wave displaces. */
  readonly displaced: ReadonlyArray<{ readonly serviceName: string; readonly tasks: number }>
  /**
   * Candidates left out, and why (no room, service limit, standalone tasks); `untilMoved`: until tasks
   * a drain displaced run elsewhere, which takes seconds, not the drain's length.
   */
  readonly held: ReadonlyArray<{
    readonly instanceId: string
    readonly reason: string
    readonly untilMoved?: true
  }>
}

const receivingHosts = (index: ClusterIndex, excluded: ReadonlySet<string>): Array<Host> =>
  index.snapshot.containerInstances
    .filter((c) => c.status === "ACTIVE" && c.agentConnected && !excluded.has(c.ec2InstanceId))
    .map((c) => ({
      instanceId: c.ec2InstanceId,
      cpu: c.remaining.cpu,
      memory: c.remaining.memory,
      ports: new Set(c.remaining.ports),
      services: new Set(
        liveTasksOn(index, c.ec2InstanceId).flatMap((t) =>
          t.serviceName === undefined ? [] : [t.serviceName],
        ),
      ),
    }))
    .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0))

/** Whether a task fits in what a host has left: CPU, memory and host ports. */
const fits = (host: Pick<Host, "cpu" | "memory" | "ports">, task: Task): boolean =>
  host.cpu >= task.cpu && host.memory >= task.memory && task.hostPorts.every((p) => !host.ports.has(p))

/** Whether ECS could place `task` on a container instance now: ACTIVE, agent connected, and room for it. */
export const hasRoomFor = (container: ContainerInstance, task: Task): boolean =>
  container.status === "ACTIVE" &&
  container.agentConnected &&
  fits(
    {
      cpu: container.remaining.cpu,
      memory: container.remaining.memory,
      ports: new Set(container.remaining.ports),
    },
    task,
  )

const cloneHosts = (hosts: ReadonlyArray<Host>): Array<Host> =>
  hosts.map((h) => ({ ...h, ports: new Set(h.ports), services: new Set(h.services) }))

const needsDistinctInstance = (index: ClusterIndex, serviceName: string): boolean =>
  index.serviceByName.get(serviceName)?.placementConstraints.some((c) => c.type === "distinctInstance") ??
  false

/** First fit, biggest tasks first; mutates `hosts` only when every task found a place. */
const placeAll = (
  index: ClusterIndex,
  hosts: Array<Host>,
  tasks: ReadonlyArray<Task>,
): Array<Host> | undefined => {
  const trial = cloneHosts(hosts)
  const ordered = [...tasks].sort(
    (a, b) => b.memory - a.memory || b.cpu - a.cpu || (a.taskArn < b.taskArn ? -1 : 1),
  )
  for (const task of ordered) {
    const serviceName = task.serviceName ?? ""
    const distinct = needsDistinctInstance(index, serviceName)
    const host = trial.find((h) => fits(h, task) && !(distinct && h.services.has(serviceName)))
    if (host === undefined) return undefined
    host.cpu -= task.cpu
    host.memory -= task.memory
    for (const port of task.hostPorts) host.ports.add(port)
    host.services.add(serviceName)
  }
  return trial
}

/** Service name → replica tasks running on `instanceIds` together. */
const replicaCounts = (index: ClusterIndex, instanceIds: ReadonlyArray<string>): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const instanceId of instanceIds)
    for (const task of liveTasksOn(index, instanceId))
      if (taskKind(index, task) === "replica")
        counts.set(task.serviceName ?? "", (counts.get(task.serviceName ?? "") ?? 0) + 1)
  return counts
}

/**
 * Of `candidates` (in their given order), at most `limit` whose service tasks can be displaced
 * together, within every service's batch as `selectWave` counts it, placement aside: the instances
 * a detach takes (detach mode), which must later drain together. The first one is always taken.
 */
export const displaceableTogether = (
  index: ClusterIndex,
  candidates: ReadonlyArray<string>,
  limit: number,
): ReadonlyArray<string> => {
  const chosen: Array<string> = []
  for (const instanceId of candidates) {
    if (chosen.length >= limit) break
    const withinBatch = [...replicaCounts(index, [...chosen, instanceId])].every(([name, n]) => {
      const service = index.serviceByName.get(name)
      return service === undefined || n <= displacementAllowance(service)
    })
    if (chosen.length === 0 || withinBatch) chosen.push(instanceId)
  }
  return chosen
}

/** What a wave choice must respect beyond its candidates and its limit. */
export interface WaveOptions {
  /** Keep one RUNNING task of every service whose floor is zero outside the wave, unless one instance hosts them all. */
  readonly keepOneRunning?: boolean
  /** Tasks displaced by a drain already under way and not yet placed anew: they take room first. */
  readonly unplaced?: ReadonlyArray<Task>
}

/** A service whose floor is zero, as a wave that keeps one of its tasks running sees it. */
interface FloorlessService {
  readonly desiredCount: number
  /** ACTIVE instances where one of its tasks serves. */
  readonly serving: ReadonlySet<string>
  /** Instance → its live tasks of the service that are not leaving. */
  readonly tasksOn: ReadonlyMap<string, number>
}

/**
 * The replica services whose floor is zero, by name. A task serves when RUNNING, wanted RUNNING and
 * healthy — or, for a service none of whose tasks reports its health (no container health check: ECS
 * says UNKNOWN), when RUNNING.
 */
const floorlessServices = (index: ClusterIndex): ReadonlyMap<string, FloorlessService> => {
  const onHosts = index.snapshot.containerInstances.flatMap((container) =>
    liveTasksOn(index, container.ec2InstanceId).flatMap((task) => {
      const service = task.serviceName === undefined ? undefined : index.serviceByName.get(task.serviceName)
      return service === undefined ||
        taskKind(index, task) !== "replica" ||
        isTaskLeaving(task) ||
        serviceBounds(service).minHealthy > 0
        ? []
        : [{ container, task, service }]
    }),
  )
  const reportsHealth = new Set(
    onHosts.filter(({ task }) => task.healthStatus === "HEALTHY").map(({ service }) => service.serviceName),
  )
  const found = new Map<
    string,
    { desiredCount: number; serving: Set<string>; tasksOn: Map<string, number> }
  >()
  for (const { container, task, service } of onHosts) {
    const entry = found.get(service.serviceName) ?? {
      desiredCount: service.desiredCount,
      serving: new Set<string>(),
      tasksOn: new Map<string, number>(),
    }
    found.set(service.serviceName, entry)
    const id = container.ec2InstanceId
    entry.tasksOn.set(id, (entry.tasksOn.get(id) ?? 0) + 1)
    const healthy =
      task.healthStatus === "HEALTHY" ||
      (!reportsHealth.has(service.serviceName) && task.healthStatus === "UNKNOWN")
    if (container.status === "ACTIVE" && task.lastStatus === "RUNNING" && healthy) entry.serving.add(id)
  }
  return found
}

/**
 * The service whose last serving task `instanceId` would take down if it drained with `chosen`, or
 * `undefined`. Not when the instance hosts as many of the service's tasks as it wants (draining it
 * stops them all whenever it drains), nor when none serves now (there is nothing to keep). A service
 * whose other tasks are still to be placed or started holds the instance until one serves.
 */
const lastServingTaskOf = (
  floorless: ReadonlyMap<string, FloorlessService>,
  chosen: ReadonlyArray<string>,
  instanceId: string,
): string | undefined => {
  for (const [serviceName, { desiredCount, serving, tasksOn }] of floorless) {
    const here = tasksOn.get(instanceId) ?? 0
    if (here === 0 || here >= desiredCount || serving.size === 0) continue
    const draining = new Set([...chosen, instanceId])
    if ([...serving].every((id) => draining.has(id))) return serviceName
  }
  return undefined
}

/**
 * The candidates in the order a wave that keeps one task of each floorless service running takes
 * them: for each such service, the candidate hosting one of its serving tasks that drains soonest (the
 * fewest load-balanced tasks, which wait out a deregistration delay, then the fewest tasks) goes last,
 * so it is the one kept out, and the extension that drains it later ends soon after the wave.
 */
const keeperLast = (
  index: ClusterIndex,
  candidates: ReadonlyArray<string>,
  floorless: ReadonlyMap<string, FloorlessService>,
): ReadonlyArray<string> => {
  const drainCost = (id: string): [number, number] => {
    const replicas = liveTasksOn(index, id).filter((t) => taskKind(index, t) === "replica")
    const balanced = replicas.filter(
      (t) => t.serviceName !== undefined && index.serviceByName.get(t.serviceName)?.loadBalanced === true,
    )
    return [balanced.length, replicas.length]
  }
  const keepers = new Set<string>()
  for (const { serving } of floorless.values()) {
    const hosts = candidates.filter((id) => serving.has(id))
    if (hosts.some((id) => keepers.has(id))) continue
    const cheapest = [...hosts].sort((a, b) => {
      const [ba, ta] = drainCost(a)
      const [bb, tb] = drainCost(b)
      return ba - bb || ta - tb
    })[0]
    if (cheapest !== undefined) keepers.add(cheapest)
  }
  return [...candidates.filter((id) => !keepers.has(id)), ...candidates.filter((id) => keepers.has(id))]
}

/**
 * Chooses the next wave among `candidates` (in their given order), at most `limit` instances.
 * `excluded` are instances that cannot receive displaced tasks (the whole old set); only ACTIVE instances
 * with a connected agent receive any. With `unsafeServices` `proceed`, a service that can neither stop
 * nor start a task may have one displaced per wave: the run stops it (policy unsafeServices=proceed).
 */
export const selectWave = (
  index: ClusterIndex,
  candidates: ReadonlyArray<string>,
  excluded: ReadonlySet<string>,
  limit: number,
  standaloneTasks: "wait" | "stop-after-timeout" | "skip-instance",
  unsafeServices: "refuse" | "proceed" = "refuse",
  options: WaveOptions = {},
): WaveChoice => {
  const receiving = receivingHosts(index, excluded)
  const unplaced = options.unplaced ?? []
  const afterUnplaced = unplaced.length === 0 ? receiving : placeAll(index, receiving, unplaced)
  if (afterUnplaced === undefined)
    return {
      instanceIds: [],
      displaced: [],
      held: candidates.map((instanceId) => ({
        instanceId,
        reason: `${unplaced.length} task(s) the drain displaced are not placed on new capacity yet`,
        untilMoved: true as const,
      })),
    }
  let hosts = afterUnplaced
  const floorless: ReadonlyMap<string, FloorlessService> =
    options.keepOneRunning === true ? floorlessServices(index) : new Map()
  const chosen: Array<string> = []
  const displaced = new Map<string, number>()
  const held: Array<WaveChoice["held"][number]> = []
  for (const instanceId of floorless.size === 0 ? candidates : keeperLast(index, candidates, floorless)) {
    if (chosen.length >= limit) break
    const live = liveTasksOn(index, instanceId)
    if (standaloneTasks === "skip-instance" && live.some((t) => taskKind(index, t) === "standalone")) {
      held.push({ instanceId, reason: "runs standalone tasks (policy standaloneTasks=skip-instance)" })
      continue
    }
    const replicas = live.filter((t) => taskKind(index, t) === "replica")
    const counts = new Map(displaced)
    for (const task of replicas)
      counts.set(task.serviceName ?? "", (counts.get(task.serviceName ?? "") ?? 0) + 1)
    // ECS keeps each service within its bounds during a drain, replacing in batches when it must; the
    // wave keeps every service within one batch, except that a lone instance may exceed it (else it
    // could never drain). A service that can neither stop nor start a task holds the instance.
    const overLimit = [...counts].find(([name, n]) => {
      const service = index.serviceByName.get(name)
      if (service === undefined) return false
      const allowance =
        displacementAllowance(service) === 0 && unsafeServices === "proceed"
          ? 1
          : displacementAllowance(service)
      return allowance === 0 || (chosen.length > 0 && n > allowance)
    })
    if (overLimit !== undefined) {
      held.push({
        instanceId,
        reason: `service ${overLimit[0]} cannot have ${overLimit[1]} tasks displaced at once`,
      })
      continue
    }
    const keeping = lastServingTaskOf(floorless, chosen, instanceId)
    if (keeping !== undefined) {
      held.push({
        instanceId,
        reason: `it runs the last serving task of service ${keeping} (minimum healthy 0 %), which must run elsewhere first`,
        untilMoved: true,
      })
      continue
    }
    const placed = placeAll(index, hosts, replicas)
    if (placed === undefined) {
      held.push({ instanceId, reason: "its tasks do not fit on ACTIVE new capacity" })
      continue
    }
    hosts = placed
    chosen.push(instanceId)
    for (const [name, n] of counts) displaced.set(name, n)
  }
  return {
    instanceIds: chosen,
    displaced: [...displaced]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([serviceName, tasks]) => ({ serviceName, tasks })),
    held,
  }
}
