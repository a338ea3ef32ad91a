/**
 * Kill-point resumption: an uninterrupted rollout of a scenario is recorded first; then, for every
 * event boundary k, a fresh world is rolled out by an executor that dies at its k-th append — right
 * `after` the event is stored (the next step never starts) or just `before` (a command's calls were
 * made, their outcome is lost) — and, once its lease has run out, a fresh executor over the same log
 * finishes the run. Its end state must be the uninterrupted one, with no action done twice.
 *
 * The killing event log is the executor's own (`@ecs-ami-deploy/executor/testing`), shared with its tests.
 */
import { Cause, Effect, Exit } from "effect"
import type { RolloutPolicy, RunEvent } from "@ecs-ami-deploy/domain"
import { runRollout, type ExecutorSettings } from "@ecs-ami-deploy/executor"
import { isKilled, killable } from "@ecs-ami-deploy/executor/testing"
import { makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { Ec2 } from "@ecs-ami-deploy/ports"
import { makeSimulation, newImageId, type Scenario, type Simulation } from "@ecs-ami-deploy/simulator"
import { runOnSimulation } from "./engine.ts"
import { endState, type EndState } from "./end-state.ts"
import { clusterOf } from "./scenarios.ts"

/** A short lease keeps takeovers quick in simulated time; it still covers two steps. */
export const reliabilitySettings: Partial<ExecutorSettings> = { leaseMs: 60_000, stepBudgetMs: 20_000 }

export interface Boundary {
  readonly killAt: number
  readonly when: "before" | "after"
  readonly event: RunEvent["_tag"]
}

export interface Reference {
  readonly events: ReadonlyArray<RunEvent>
  readonly end: EndState
  readonly newImageVersions: number
}

export interface BoundaryResult {
  readonly boundary: Boundary
  readonly killed: boolean
  readonly resumed: boolean
  readonly identicalEndState: boolean
  /** Instances terminated twice, extra launches, and extra launch template versions on the new image. */
  readonly duplicateActions: number
}

const rollout = (simulation: Simulation, policy: RolloutPolicy, holder: string) =>
  runRollout({ clusterName: clusterOf(simulation.scenario), policy, holder, settings: reliabilitySettings })

/** Launch template versions on the new image, over every template of the scenario. */
const newImageVersions = async (simulation: Simulation): Promise<number> => {
  const exit = await runOnSimulation(
    simulation,
    makeMemoryEventLog(),
    Effect.gen(function* () {
      const ec2 = yield* Ec2
      let count = 0
      for (const template of simulation.scenario.launchTemplates)
        count += (yield* ec2.describeLaunchTemplateVersions(template.launchTemplateId)).filter(
          (version) => version.imageId === newImageId,
        ).length
      return count
    }),
  )
  if (Exit.isFailure(exit))
    throw new Error(`cannot read launch template versions: ${Cause.pretty(exit.cause)}`)
  return exit.value
}

/** Rolls the scenario out without interruption and records its log and end state. */
export const uninterrupted = async (scenario: Scenario, policy: RolloutPolicy): Promise<Reference> => {
  const simulation = makeSimulation(scenario)
  const eventLog = makeMemoryEventLog()
  const exit = await runOnSimulation(simulation, eventLog, rollout(simulation, policy, "reference"))
  if (!Exit.isSuccess(exit) || exit.value._tag !== "Finished" || exit.value.outcome !== "succeeded")
    throw new Error(
      `the reference rollout of ${scenario.name} did not succeed: ${Exit.isSuccess(exit) ? JSON.stringify(exit.value) : Cause.pretty(exit.cause)}`,
    )
  const loaded = await runOnSimulation(simulation, eventLog, eventLog.load(exit.value.runId))
  if (!Exit.isSuccess(loaded)) throw new Error("the reference log cannot be read")
  return {
    events: loaded.value,
    end: endState(simulation),
    newImageVersions: await newImageVersions(simulation),
  }
}

/** Every boundary: after each event but the last (RunFinished), and before each outcome event. */
export const boundariesOf = (events: ReadonlyArray<RunEvent>): ReadonlyArray<Boundary> => [
  ...events
    .slice(0, -1)
    .map((event, index) => ({ killAt: index + 1, when: "after" as const, event: event._tag })),
  ...events.flatMap((event, index) =>
    event._tag === "CommandSucceeded" || event._tag === "CommandFailed"
      ? [{ killAt: index + 1, when: "before" as const, event: event._tag }]
      : [],
  ),
]

/** The end state's figures that must not depend on where a run was interrupted. */
const comparable = (end: EndState) => ({
  liveImages: end.liveImages,
  desiredCapacities: end.desiredCapacities,
  groupSettings: end.groupSettings,
  capacityLaunches: end.capacityLaunches,
  terminatedTwice: end.terminatedTwice,
  serviceSecondsBelowFloor: end.serviceSecondsBelowFloor,
  serviceSecondsWithZeroHealthy: end.serviceSecondsWithZeroHealthy,
})

/** Kills an executor at `boundary`, lets its lease run out, resumes with a fresh one, and compares the end state. */
export const killAndResume = async (
  scenario: Scenario,
  policy: RolloutPolicy,
  reference: Reference,
  boundary: Boundary,
): Promise<BoundaryResult> => {
  const simulation = makeSimulation(scenario)
  const eventLog = makeMemoryEventLog()
  const first = await runOnSimulation(
    simulation,
    killable(eventLog, boundary.killAt, boundary.when),
    rollout(simulation, policy, "first"),
  )
  simulation.advance(reliabilitySettings.leaseMs ?? 0)
  const second = await runOnSimulation(simulation, eventLog, rollout(simulation, policy, "second"))
  const resumed =
    Exit.isSuccess(second) && second.value._tag === "Finished" && second.value.outcome === "succeeded"
  const end = endState(simulation)
  const versions = await newImageVersions(simulation)
  return {
    boundary,
    killed: isKilled(first),
    resumed,
    identicalEndState: JSON.stringify(comparable(end)) === JSON.stringify(comparable(reference.end)),
    duplicateActions:
      end.terminatedTwice.length +
      Math.max(0, end.capacityLaunches - reference.end.capacityLaunches) +
      Math.max(0, versions - reference.newImageVersions),
  }
}
