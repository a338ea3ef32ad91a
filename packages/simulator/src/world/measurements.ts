/**
 * What the simulator measures as the world changes, for `metrics.ts` to integrate: each service's
 * healthy-task count against its desired count and its minimumHealthyPercent floor, and instances by
 * state, both recorded as step functions of simulated time (a point only when a value changes); and
 * the call log — every port call with the AWS requests it stands for once pagination and batch limits
 * are counted, as the AWS adapters would make them.
 */
import type { World } from "../world.ts"
import { isHealthy, serviceTasks } from "./ecs-scheduler.ts"

/** One port call as the simulator saw it. */
export interface CallRecord {
  readonly at: number
  /** `<service>:<Action>`, e.g. `autoscaling:DetachInstances`. */
  readonly operation: string
  readonly mutating: boolean
  readonly input: unknown
  /** `ok`, the error code returned, or `abandoned`: a hung call (faults.hungCalls) its caller gave up on. */
  readonly outcome: string
  /**
   * The AWS requests this port call stands for, by action: a port call that lists and describes a whole
   * cluster is several paginated, batched requests against AWS (page and batch sizes of aws-facts.md).
   */
  readonly awsRequests: Readonly<Record<string, number>>
  /** For an `abandoned` call: when it was made (`at` is when its caller gave up). */
  readonly madeAt?: number
}

/** Requests needed for `count` items at `perRequest` each; `atLeastOne` for list calls that always make one. */
export const pages = (count: number, perRequest: number, atLeastOne = true): number =>
  Math.max(atLeastOne ? 1 : 0, Math.ceil(count / perRequest))

/** AWS requests a batched call stands for (an empty list is still one request). */
export const batchCount = (ids: ReadonlyArray<string>, size: number): number =>
  Math.max(1, Math.ceil(ids.length / size))

/**
 * Logs an AWS call that succeeded (operations outside the fault model: STS, the simulation's own
 * operations), standing for `requests` requests (pages of a list).
 */
export const logSucceededRequest = (
  world: World,
  callLog: Array<CallRecord>,
  operation: string,
  mutating: boolean,
  input: unknown,
  requests = 1,
): void => {
  callLog.push({
    at: world.now,
    operation,
    mutating,
    input,
    outcome: "ok",
    awsRequests: { [operation]: requests },
  })
}

/** Appends a point to every series whose value changed since the last call. */
export const recordMeasurements = (world: World): void => {
  for (const key of world.dirtyServices) {
    const service = world.services.get(key)
    if (service === undefined) continue
    const healthy = serviceTasks(world, service).filter((t) => isHealthy(t)).length
    const desired = service.desiredCount
    // A daemon's desired count grows the moment an instance registers, before its task can run: that
    // lag is not lost availability, so daemons are measured (timeline, zero-healthy) without a floor.
    const floor =
      service.schedulingStrategy === "DAEMON" ? 0 : Math.ceil((desired * service.minimumHealthyPercent) / 100)
    const series = world.serviceHealth.get(key) ?? []
    const last = series.at(-1)
    if (last === undefined || last.healthy !== healthy || last.desired !== desired) {
      if (last?.at === world.now) series.pop()
      series.push({ at: world.now, healthy, desired, floor })
    }
    world.serviceHealth.set(key, series)
  }
  world.dirtyServices.clear()
  if (!world.instancesDirty) return
  world.instancesDirty = false
  const point = { at: world.now, pending: 0, running: 0, shuttingDown: 0, terminated: 0 }
  for (const instance of world.instances.values()) {
    if (instance.state === "pending") point.pending++
    else if (instance.state === "running") point.running++
    else if (instance.state === "shutting-down") point.shuttingDown++
    else if (instance.state === "terminated") point.terminated++
  }
  if (world.instanceCounts.at(-1)?.at === world.now) world.instanceCounts.pop()
  world.instanceCounts.push(point)
}
