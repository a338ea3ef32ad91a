/**
 * Rollouts of a scenario under injected faults, each with its outcome and the invariants checked on
 * the simulated world once it has settled (Auto Scaling acts on a finished run's last capacity change
 * a little later): availability, no instance terminated twice, and the end state — every live
 * instance on the new image after a success, on the old one after a rollback.
 *
 * Some faults cost availability by themselves (a lost instance takes its tasks with it), so each case
 * is also run without a rollout — same scenario, faults, seed and simulated time. Lost availability is
 * split by cause (loss-attribution.ts): spells that began at the instant an instance was lost are the
 * loss's; the rollout is held to the rest — no more service-seconds below the floor or with zero
 * healthy tasks than the same world left alone.
 */
import { Cause, Exit } from "effect"
import type { RolloutPolicy } from "@ecs-ami-deploy/domain"
import { makeSimulation, newImageId, oldImageId, type Faults, type Scenario } from "@ecs-ami-deploy/simulator"
import { runEngine } from "./engine.ts"
import { availabilityByCause, type AvailabilityByCause } from "./loss-attribution.ts"
import { endState, SETTLE_MS } from "./end-state.ts"
import { reliabilitySettings } from "./kill-harness.ts"

export interface FaultCase {
  readonly name: string
  readonly faults: (scenario: Scenario) => Faults
  /** What a correct engine does: finish on the new image, or roll back to the old one. */
  readonly expected: "succeeded" | "rolled-back"
}

const firstGroup = (scenario: Scenario) => scenario.groups[0]?.name ?? ""
const firstZone = (scenario: Scenario) => scenario.groups[0]?.availabilityZones[0] ?? ""
const startDesired = (scenario: Scenario) => scenario.groups[0]?.desiredCapacity ?? 0

export const faultCases: ReadonlyArray<FaultCase> = [
  {
    name: "throttling on 30% of calls",
    faults: () => ({ throttling: { rate: 0.3 } }),
    expected: "succeeded",
  },
  {
    name: "server errors on 10% of calls",
    faults: () => ({ transientErrors: { rate: 0.1 } }),
    expected: "succeeded",
  },
  {
    name: "throttling 30% + server errors 5% + 50–400 ms latency",
    faults: () => ({
      throttling: { rate: 0.3 },
      transientErrors: { rate: 0.05 },
      apiLatency: { minMs: 50, maxMs: 400 },
    }),
    expected: "succeeded",
  },
  {
    name: "launches fail in the first AZ for 10 minutes",
    faults: (scenario) => ({
      launchFailures: [{ availabilityZone: firstZone(scenario), fromMs: 0, untilMs: 600_000 }],
    }),
    expected: "succeeded",
  },
  {
    name: "every launch of the new image fails for 5 minutes",
    faults: () => ({ launchFailures: [{ imageId: newImageId, fromMs: 0, untilMs: 300_000 }] }),
    expected: "succeeded",
  },
  {
    name: "agents of the new image never register",
    faults: () => ({ agentNeverRegisters: { imageIds: [newImageId] } }),
    expected: "rolled-back",
  },
  {
    name: "Spot loss of an instance at 2 and at 6 minutes",
    faults: (scenario) => ({
      instanceLosses: [
        { atMs: 120_000, groupName: firstGroup(scenario) },
        { atMs: 360_000, groupName: firstGroup(scenario) },
      ],
    }),
    expected: "succeeded",
  },
  {
    name: "an autoscaler sets desired capacity +2 at 3 minutes",
    faults: (scenario) => ({
      desiredCapacityChanges: [
        {
          atMs: 180_000,
          groupName: firstGroup(scenario),
          desiredCapacity: startDesired(scenario) + 2,
          by: "scaling-policy",
        },
      ],
    }),
    expected: "succeeded",
  },
]

/** Availability of the same faulty world left alone for `durationMs`: what the faults cost by themselves. */
const withoutRollout = (scenario: Scenario, faults: Faults, seed: number, durationMs: number) => {
  const simulation = makeSimulation(scenario, { seed, faults })
  const lossTimes = instanceLossTimes(faults, simulation.now())
  simulation.advance(durationMs)
  const metrics = simulation.metrics()
  return {
    serviceSecondsBelowFloor: metrics.serviceSecondsBelowFloor,
    serviceSecondsWithZeroHealthy: metrics.serviceSecondsWithZeroHealthy,
    byCause: availabilityByCause(metrics.services, lossTimes, simulation.now()),
  }
}

/** When the faults lose instances, in epoch ms of a simulation that started at `startedAt`. */
const instanceLossTimes = (faults: Faults, startedAt: number): ReadonlySet<number> =>
  new Set((faults.instanceLosses ?? []).map((loss) => startedAt + loss.atMs))

export interface FaultResult {
  readonly scenario: string
  readonly fault: string
  readonly expected: FaultCase["expected"]
  readonly outcome: string
  readonly reason: string
  readonly simulatedDurationMs: number
  readonly failedCalls: number
  readonly serviceSecondsBelowFloor: number
  readonly serviceSecondsWithZeroHealthy: number
  /** Service-seconds below the floor by the time the run finished (the rest came while the world settled). */
  readonly serviceSecondsBelowFloorDuringRun: number
  /** The same faults over the same simulated time without a rollout. */
  readonly withoutRollout: {
    readonly serviceSecondsBelowFloor: number
    readonly serviceSecondsWithZeroHealthy: number
    readonly byCause: AvailabilityByCause
  }
  /** The run's lost availability split into spells begun at an instance loss (the fault's) and the rest. */
  readonly byCause: AvailabilityByCause
  readonly terminatedTwice: number
  readonly liveImages: ReadonlyArray<string>
  readonly desiredAtStart: number
  readonly desiredAtEnd: number
  /**
   * As expected, no availability lost beyond the faults' own (spells begun at an instance loss set
   * apart), no double termination, the fleet on the outcome's image.
   */
  readonly invariantsHeld: boolean
}

export const runFaultCase = async (
  scenario: Scenario,
  policy: RolloutPolicy,
  fault: FaultCase,
  seed: number,
): Promise<FaultResult> => {
  const faults = fault.faults(scenario)
  const simulation = makeSimulation(scenario, { seed, faults })
  const lossTimes = instanceLossTimes(faults, simulation.now())
  const { exit } = await runEngine(simulation, policy, reliabilitySettings)
  const atFinish = simulation.metrics()
  const runDurationMs = atFinish.simulatedDurationMs
  simulation.advance(SETTLE_MS)
  const alone = withoutRollout(scenario, faults, seed, runDurationMs + SETTLE_MS)
  const result = Exit.isSuccess(exit) ? exit.value : undefined
  const outcome = result === undefined ? "error" : result._tag === "Finished" ? result.outcome : result._tag
  const reason = Exit.isFailure(exit)
    ? (Cause.pretty(exit.cause).split("\n")[0] ?? "")
    : result !== undefined && "reason" in result
      ? result.reason
      : ""
  const end = endState(simulation)
  const byCause = availabilityByCause(simulation.metrics().services, lossTimes, simulation.now())
  const group = firstGroup(scenario)
  const expectedImage = outcome === "rolled-back" ? oldImageId : newImageId
  return {
    scenario: scenario.name,
    fault: fault.name,
    expected: fault.expected,
    outcome,
    reason,
    simulatedDurationMs: runDurationMs,
    failedCalls: simulation.metrics().apiCalls.failed,
    serviceSecondsBelowFloor: end.serviceSecondsBelowFloor,
    serviceSecondsWithZeroHealthy: end.serviceSecondsWithZeroHealthy,
    serviceSecondsBelowFloorDuringRun: atFinish.serviceSecondsBelowFloor,
    withoutRollout: alone,
    byCause,
    terminatedTwice: end.terminatedTwice.length,
    liveImages: end.liveImages,
    desiredAtStart: startDesired(scenario),
    desiredAtEnd: end.desiredCapacities[group] ?? 0,
    invariantsHeld:
      outcome === fault.expected &&
      byCause.belowFloor.otherwise <= alone.byCause.belowFloor.otherwise &&
      byCause.zeroHealthy.otherwise <= alone.byCause.zeroHealthy.otherwise &&
      end.terminatedTwice.length === 0 &&
      end.liveImages.length === 1 &&
      end.liveImages[0] === expectedImage,
  }
}
