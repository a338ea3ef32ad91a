/**
 * Drain wave selection (invariant 2). A wave is the largest set of old instances, up to the drain
 * limit, whose displaced service tasks all fit on ACTIVE capacity that is not itself being replaced
 * (CPU, memory, host ports, `distinctInstance`), while every affected service stays within what its
 * deployment configuration lets ECS have in flight (one ECS batch; a lone instance may need several). All instances of a wave drain together, so a task
 * never moves from one old instance to the next.
 */
import type { ContainerInstance, Task } from "@ecs-ami-deploy/domain"
import { displacementAllowance, liveTasksOn, taskKind, type ClusterIndex } from "./cluster.ts"

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
  /** Candidates left out, and why (no room, service limit, standalone tasks). */
  readonly held: ReadonlyArray<{ readonly instanceId: string; readonly reason: string }>
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
): WaveChoice => {
  let hosts = receivingHosts(index, excluded)
  const chosen: Array<string> = []
  const displaced = new Map<string, number>()
  const held: Array<{ instanceId: string; reason: string }> = []
  for (const instanceId of candidates) {
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
