/**
 * One run per cluster (invariant 5), measured: executors started together on one cluster, a holder
 * that dies mid-run while others keep trying, a takeover once its lease has run out, and appends by
 * holders whose lease was taken over. Each check returns counts for the reliability report.
 */
import { Effect, Exit } from "effect"
import { EVENT_SCHEMA_VERSION, type RolloutPolicy } from "@ecs-ami-deploy/domain"
import { runRollout } from "@ecs-ami-deploy/executor"
import { makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { makeSimulation, type Scenario } from "@ecs-ami-deploy/simulator"
import { runOnSimulation } from "./engine.ts"
import { endState } from "./end-state.ts"
import { isKilled, killable } from "@ecs-ami-deploy/executor/testing"
import { reliabilitySettings } from "./kill-harness.ts"
import { clusterOf } from "./scenarios.ts"

/** The error tag an exit failed with, if it failed with a typed error. */
export const failureTag = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const reason = exit.cause.reasons[0]
  if (reason?._tag !== "Fail") return undefined
  const error: unknown = reason.error
  return typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : undefined
}

const finishedWith = (exit: Exit.Exit<unknown, unknown>, outcome: string): boolean =>
  Exit.isSuccess(exit) &&
  typeof exit.value === "object" &&
  exit.value !== null &&
  "outcome" in exit.value &&
  exit.value.outcome === outcome

export interface StartedTogether {
  readonly scenario: string
  readonly executors: number
  readonly finished: number
  readonly refusedLockHeld: number
  readonly terminatedTwice: number
  readonly serviceSecondsBelowFloor: number
}

/** `executors` rollouts of one cluster started at the same instant over one event log. */
export const startedTogether = async (
  scenario: Scenario,
  policy: RolloutPolicy,
  executors: number,
): Promise<StartedTogether> => {
  const simulation = makeSimulation(scenario)
  const clusterName = clusterOf(scenario)
  const exit = await runOnSimulation(
    simulation,
    makeMemoryEventLog(),
    Effect.all(
      Array.from({ length: executors }, (_, index) =>
        Effect.exit(
          runRollout({ clusterName, policy, holder: `executor-${index + 1}`, settings: reliabilitySettings }),
        ),
      ),
      { concurrency: "unbounded" },
    ),
  )
  const exits = Exit.isSuccess(exit) ? exit.value : []
  const end = endState(simulation)
  return {
    scenario: scenario.name,
    executors,
    finished: exits.filter((one) => finishedWith(one, "succeeded")).length,
    refusedLockHeld: exits.filter((one) => failureTag(one) === "LockHeld").length,
    terminatedTwice: end.terminatedTwice.length,
    serviceSecondsBelowFloor: end.serviceSecondsBelowFloor,
  }
}

export interface Takeover {
  readonly scenario: string
  readonly holderDied: boolean
  /** Executors that tried while the dead holder's lease was still valid. */
  readonly triedWhileHeld: number
  readonly refusedWhileHeld: number
  readonly tookOverAfterExpiry: boolean
  /** The successor finished the dead holder's run (same run id), not a new one. */
  readonly sameRun: boolean
  readonly terminatedTwice: number
}

/** A holder dies after `killAt` events; others try at once, then one more after the lease runs out. */
export const takeoverAfterExpiry = async (
  scenario: Scenario,
  policy: RolloutPolicy,
  killAt: number,
  contenders: number,
): Promise<Takeover> => {
  const simulation = makeSimulation(scenario)
  const clusterName = clusterOf(scenario)
  const eventLog = makeMemoryEventLog()
  const rollout = (holder: string) =>
    runRollout({ clusterName, policy, holder, settings: reliabilitySettings })
  const died = await runOnSimulation(simulation, killable(eventLog, killAt, "after"), rollout("first"))
  const runs = await runOnSimulation(
    simulation,
    eventLog,
    eventLog.runs({ accountId: simulation.accountId, region: simulation.region, clusterName }),
  )
  const runId = Exit.isSuccess(runs) ? runs.value[0]?.runId : undefined
  const whileHeld = await runOnSimulation(
    simulation,
    eventLog,
    Effect.all(
      Array.from({ length: contenders }, (_, index) => Effect.exit(rollout(`contender-${index + 1}`))),
    ),
  )
  simulation.advance(reliabilitySettings.leaseMs ?? 0)
  const successor = await runOnSimulation(simulation, eventLog, rollout("successor"))
  return {
    scenario: scenario.name,
    holderDied: isKilled(died),
    triedWhileHeld: contenders,
    refusedWhileHeld: (Exit.isSuccess(whileHeld) ? whileHeld.value : []).filter(
      (one) => failureTag(one) === "LockHeld",
    ).length,
    tookOverAfterExpiry: finishedWith(successor, "succeeded"),
    sameRun:
      Exit.isSuccess(successor) && successor.value._tag === "Finished" && successor.value.runId === runId,
    terminatedTwice: endState(simulation).terminatedTwice.length,
  }
}

export interface StaleAppends {
  readonly scenario: string
  readonly attempted: number
  readonly rejectedStale: number
}

/** Holders whose leases were taken over each try to append once more: every append must be refused. */
export const staleAppends = async (
  scenario: Scenario,
  policy: RolloutPolicy,
  staleHolders: number,
): Promise<StaleAppends> => {
  const simulation = makeSimulation(scenario)
  const clusterName = clusterOf(scenario)
  const eventLog = makeMemoryEventLog()
  const leases = []
  for (let index = 0; index < staleHolders; index++) {
    const lease = await runOnSimulation(
      simulation,
      eventLog,
      eventLog.acquire({
        accountId: simulation.accountId,
        region: simulation.region,
        clusterName,
        holder: `stale-${index + 1}`,
        leaseMs: reliabilitySettings.leaseMs ?? 0,
        now: simulation.now(),
      }),
    )
    if (!Exit.isSuccess(lease)) throw new Error(`stale holder ${index + 1} could not take the free lock`)
    leases.push(lease.value)
    simulation.advance(reliabilitySettings.leaseMs ?? 0)
  }
  await runOnSimulation(
    simulation,
    eventLog,
    runRollout({ clusterName, policy, holder: "successor", settings: reliabilitySettings }),
  )
  let rejectedStale = 0
  for (const [index, lease] of leases.entries()) {
    const append = await runOnSimulation(
      simulation,
      eventLog,
      eventLog.append(lease, [
        {
          _tag: "Noted",
          schemaVersion: EVENT_SCHEMA_VERSION,
          runId: `stale-run-${index + 1}`,
          seq: 0,
          at: simulation.now(),
          level: "info",
          message: "written by a holder that lost its lease",
        },
      ]),
    )
    if (failureTag(append) === "StaleLease") rejectedStale++
  }
  return { scenario: scenario.name, attempted: leases.length, rejectedStale }
}
