/**
 * One benchmark run: a contender on a fresh simulation of a scenario, and the figures read from the
 * simulator's measurements when it ends (duration, availability, API calls, extra capacity) next to
 * the scenario's lower bound for the contender's surge setting — and availability once more after
 * the world has settled, since what a run leaves behind can still cost availability.
 */
import type { CallRecord, Scenario } from "@ecs-ami-deploy/simulator"
import { freshSimulation, type Contender, type ContenderId } from "./contenders.ts"
import { SETTLE_MS } from "./end-state.ts"
import { lowerBound, physicalMinimum, type LowerBound } from "./lower-bound.ts"
import type { Phases } from "./phases.ts"
import { instanceCount } from "./scenarios.ts"

export interface RunFigures {
  readonly scenario: string
  readonly instances: number
  readonly contender: ContenderId
  readonly label: string
  readonly status: "succeeded" | "failed"
  readonly detail: string
  readonly durationMs: number
  /** Our engine's contenders only: the bound for their surge setting, and the duration over it. */
  readonly lowerBound?: LowerBound
  readonly ratioToLowerBound?: number
  /** The scenario's physical minimum (any tool, any settings) and this run's duration as a ratio to it. */
  readonly physicalMinimum: LowerBound
  readonly ratioToPhysicalMinimum: number
  readonly serviceSecondsBelowFloor: number
  readonly serviceSecondsWithZeroHealthy: number
  /** The same two figures once the world has been left alone for SETTLE_MS after the run. */
  readonly settled: {
    readonly serviceSecondsBelowFloor: number
    readonly serviceSecondsWithZeroHealthy: number
  }
  readonly apiCalls: {
    /** Real AWS requests: every page and every batch of a port call counted (CallRecord.awsRequests). */
    readonly awsRequests: number
    /** Port calls (one port call may stand for several AWS requests). */
    readonly total: number
    readonly reads: number
    readonly mutating: number
    readonly failed: number
    /** AWS requests per instance. */
    readonly perInstance: number
    /** AWS requests by action (`ecs:DescribeTasks`, ...). */
    readonly byAction: Readonly<Record<string, number>>
    /** ECS requests: the most in one simulated second, and the average per second of the run. */
    readonly ecsPeakPerSecond: number
    readonly ecsAveragePerSecond: number
  }
  readonly peakExtraInstances: number
  readonly extraInstanceHours: number
  /** Our engine only: time waiting for new capacity, for drains, and the rest. */
  readonly phases?: Phases
  /** Real time the simulated run took. */
  readonly wallMs: number
}

/** ECS requests in the busiest simulated second of a call log, and on average over `durationMs`. */
export const ecsRequestRates = (
  calls: ReadonlyArray<CallRecord>,
  durationMs: number,
): { readonly peak: number; readonly average: number } => {
  const perSecond = new Map<number, number>()
  let total = 0
  for (const call of calls)
    for (const [action, count] of Object.entries(call.awsRequests)) {
      if (!action.startsWith("ecs:")) continue
      const second = Math.floor(call.at / 1000)
      perSecond.set(second, (perSecond.get(second) ?? 0) + count)
      total += count
    }
  return {
    peak: Math.max(0, ...perSecond.values()),
    average: durationMs <= 0 ? 0 : total / (durationMs / 1000),
  }
}

/** Runs `contender` on a fresh simulation of `scenario` and reads its figures. */
export const measure = async (scenario: Scenario, contender: Contender): Promise<RunFigures> => {
  const simulation = freshSimulation(contender.scenarioOf?.(scenario) ?? scenario)
  const began = performance.now()
  const outcome = await contender.run(simulation, scenario)
  const wallMs = performance.now() - began
  const metrics = simulation.metrics()
  const ecsRates = ecsRequestRates(simulation.callLog, metrics.simulatedDurationMs)
  simulation.advance(SETTLE_MS)
  const settled = simulation.metrics()
  const instances = instanceCount(scenario)
  const bound = contender.policy === undefined ? undefined : lowerBound(scenario, contender.policy)
  const minimum = physicalMinimum(scenario)
  return {
    scenario: scenario.name,
    instances,
    contender: contender.id,
    label: contender.label,
    status: outcome.status,
    detail: outcome.detail,
    durationMs: metrics.simulatedDurationMs,
    ...(bound === undefined
      ? {}
      : { lowerBound: bound, ratioToLowerBound: metrics.simulatedDurationMs / bound.totalMs }),
    physicalMinimum: minimum,
    ratioToPhysicalMinimum: metrics.simulatedDurationMs / minimum.totalMs,
    ...(outcome.phases === undefined ? {} : { phases: outcome.phases }),
    serviceSecondsBelowFloor: metrics.serviceSecondsBelowFloor,
    serviceSecondsWithZeroHealthy: metrics.serviceSecondsWithZeroHealthy,
    settled: {
      serviceSecondsBelowFloor: settled.serviceSecondsBelowFloor,
      serviceSecondsWithZeroHealthy: settled.serviceSecondsWithZeroHealthy,
    },
    apiCalls: {
      awsRequests: metrics.apiCalls.awsRequests,
      total: metrics.apiCalls.total,
      reads: metrics.apiCalls.reads,
      mutating: metrics.apiCalls.mutating,
      failed: metrics.apiCalls.failed,
      perInstance: metrics.apiCalls.awsRequests / instances,
      byAction: metrics.apiCalls.awsRequestsByAction,
      ecsPeakPerSecond: ecsRates.peak,
      ecsAveragePerSecond: ecsRates.average,
    },
    peakExtraInstances: metrics.instances.peakExtraInstances,
    extraInstanceHours: metrics.instances.extraInstanceHours,
    wallMs,
  }
}
