/**
 * Measurements of a run, integrated exactly over the step functions the world records: per-service
 * healthy-task timelines and availability violations, instances by state and the extra capacity a
 * rollout used, and API calls by operation. Nothing is sampled: every figure follows from the event
 * timeline and the simulated "now".
 */
import type { CallRecord } from "./world/measurements.ts"
import type { InstanceCountPoint, ServiceHealthPoint } from "./records.ts"
import type { World } from "./world.ts"

export interface ServiceAvailability {
  /** `<cluster>/<service>`. */
  readonly service: string
  readonly timeline: ReadonlyArray<ServiceHealthPoint>
  /** Seconds with fewer healthy tasks than minimumHealthyPercent allows (desired > 0). */
  readonly secondsBelowFloor: number
  /** Seconds with no healthy task at all while desired > 0. */
  readonly secondsWithZeroHealthy: number
  readonly lowestHealthy: number
}

export interface ApiCallCounts {
  readonly total: number
  readonly reads: number
  readonly mutating: number
  /** Calls that returned an error (throttled, refused, ...). */
  readonly failed: number
  readonly byOperation: Readonly<Record<string, number>>
  /** What the same calls cost against AWS, with pagination and batch limits (see `CallRecord.awsRequests`). */
  readonly awsRequests: number
  readonly awsRequestsByAction: Readonly<Record<string, number>>
}

export interface Metrics {
  readonly simulatedDurationMs: number
  readonly services: ReadonlyArray<ServiceAvailability>
  /** Sum over services of seconds below the floor ("service-seconds"). */
  readonly serviceSecondsBelowFloor: number
  /** Sum over services of seconds with zero healthy tasks. */
  readonly serviceSecondsWithZeroHealthy: number
  readonly apiCalls: ApiCallCounts
  readonly instances: {
    readonly timeline: ReadonlyArray<InstanceCountPoint>
    /** Live (pending or running) instances at the start. */
    readonly baseline: number
    readonly peakExtraInstances: number
    readonly extraInstanceHours: number
  }
}

/** Integrates `value` over a step function from its first point to `until`. */
const integrate = <P extends { readonly at: number }>(
  points: ReadonlyArray<P>,
  until: number,
  value: (point: P) => number,
): number => {
  let total = 0
  points.forEach((point, index) => {
    const end = points[index + 1]?.at ?? until
    if (end > point.at) total += value(point) * (end - point.at)
  })
  return total
}

export const computeMetrics = (world: World, callLog: ReadonlyArray<CallRecord>): Metrics => {
  const services = [...world.serviceHealth.entries()].map(([service, timeline]): ServiceAvailability => ({
    service,
    timeline,
    secondsBelowFloor:
      integrate(timeline, world.now, (p) => (p.desired > 0 && p.healthy < p.floor ? 1 : 0)) / 1000,
    secondsWithZeroHealthy:
      integrate(timeline, world.now, (p) => (p.desired > 0 && p.healthy === 0 ? 1 : 0)) / 1000,
    lowestHealthy: Math.min(...timeline.map((p) => p.healthy)),
  }))
  const byOperation: Record<string, number> = {}
  const awsRequestsByAction: Record<string, number> = {}
  for (const call of callLog) {
    byOperation[call.operation] = (byOperation[call.operation] ?? 0) + 1
    for (const [action, count] of Object.entries(call.awsRequests))
      awsRequestsByAction[action] = (awsRequestsByAction[action] ?? 0) + count
  }
  const baseline = world.baselineInstances
  const extra = (p: InstanceCountPoint) => Math.max(0, p.pending + p.running - baseline)
  return {
    simulatedDurationMs: world.now - world.startTime,
    services,
    serviceSecondsBelowFloor: services.reduce((sum, s) => sum + s.secondsBelowFloor, 0),
    serviceSecondsWithZeroHealthy: services.reduce((sum, s) => sum + s.secondsWithZeroHealthy, 0),
    apiCalls: {
      total: callLog.length,
      reads: callLog.filter((c) => !c.mutating).length,
      mutating: callLog.filter((c) => c.mutating).length,
      failed: callLog.filter((c) => c.outcome !== "ok").length,
      byOperation,
      awsRequests: Object.values(awsRequestsByAction).reduce((sum, count) => sum + count, 0),
      awsRequestsByAction,
    },
    instances: {
      timeline: world.instanceCounts,
      baseline,
      peakExtraInstances: Math.max(0, ...world.instanceCounts.map(extra)),
      extraInstanceHours: integrate(world.instanceCounts, world.now, extra) / 3_600_000,
    },
  }
}
