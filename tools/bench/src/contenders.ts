/**
 * The contenders of the benchmark, each run on a fresh simulation of the same scenario and seed:
 * our engine with the default policy, our engine tuned for speed (max surge and max draining 100%),
 * the Go tool's algorithm and an ASG instance refresh — the simulator's reference implementations,
 * unchanged. The Go tool sends every instance in one DetachInstances request, which AWS refuses above
 * 20 ids, so above 20 instances it stops there, as the real tool did.
 */
import { Cause, Effect, Exit } from "effect"
import { defaultPolicy, type RolloutPolicy } from "@ecs-ami-deploy/domain"
import {
  makeSimulation,
  runGoToolBaseline,
  runInstanceRefreshBaseline,
  type Scenario,
  type Simulation,
} from "@ecs-ami-deploy/simulator"
import { runEngine } from "./engine.ts"
import { phasesOf, type Phases } from "./phases.ts"
import { clusterOf, groupOf } from "./scenarios.ts"

/** The seed every contender's simulation uses. */
export const BENCH_SEED = 1

/**
 * The default policy, with `unsafeServices: "proceed"`: standard-20's `jobs` service (minimum 0%,
 * maximum 100%) is one the default refuses to start on until the operator accepts it.
 */
export const enginePolicy: RolloutPolicy = { ...defaultPolicy, unsafeServices: "proceed" }
/** Our engine tuned for speed: a group's old instances replaced in one wave. */
export const fastEnginePolicy: RolloutPolicy = {
  ...enginePolicy,
  maxSurge: { unit: "percent", value: 100 },
  maxDraining: { unit: "percent", value: 100 },
}

export type ContenderId = "engine-default" | "engine-fast" | "go-tool" | "instance-refresh"

export interface ContenderOutcome {
  readonly status: "succeeded" | "failed"
  /** The engine's finish reason, or why a baseline stopped. */
  readonly detail: string
  /** Our engine only: where its time went. */
  readonly phases?: Phases
}

export interface Contender {
  readonly id: ContenderId
  readonly label: string
  /** The policy whose surge setting the lower bound uses (our engine only). */
  readonly policy?: RolloutPolicy
  readonly run: (simulation: Simulation, scenario: Scenario) => Promise<ContenderOutcome>
}

const engineContender = (id: ContenderId, label: string, policy: RolloutPolicy): Contender => ({
  id,
  label,
  policy,
  run: async (simulation) => {
    const { exit, events } = await runEngine(simulation, policy)
    const phases = phasesOf(events)
    if (Exit.isFailure(exit))
      return { status: "failed", detail: Cause.pretty(exit.cause).split("\n")[0] ?? "", phases }
    const result = exit.value
    if (result._tag === "Finished")
      return {
        status: result.outcome === "succeeded" ? "succeeded" : "failed",
        detail: `${result.outcome}: ${result.reason}`,
        phases,
      }
    return { status: "failed", detail: result._tag, phases }
  },
})

const baselineOutcome = (outcome: {
  readonly status: "completed" | "failed"
  readonly failure?: string
}): ContenderOutcome =>
  outcome.status === "completed"
    ? { status: "succeeded", detail: "completed" }
    : { status: "failed", detail: outcome.failure ?? "failed" }

export const contenders: ReadonlyArray<Contender> = [
  engineContender("engine-default", "ecs-ami-deploy (default policy)", enginePolicy),
  engineContender("engine-fast", "ecs-ami-deploy (surge 100%, draining 100%)", fastEnginePolicy),
  {
    id: "go-tool",
    label: "Go tool's algorithm, as shipped",
    run: async (simulation, scenario) =>
      baselineOutcome(
        await Effect.runPromise(runGoToolBaseline(simulation, { clusterName: clusterOf(scenario) })),
      ),
  },
  {
    id: "instance-refresh",
    label: "ASG instance refresh (min healthy 90%, warmup 300 s)",
    run: async (simulation, scenario) =>
      baselineOutcome(
        await Effect.runPromise(runInstanceRefreshBaseline(simulation, { asgName: groupOf(scenario) })),
      ),
  },
]

/** A fresh simulation of the scenario with the benchmark's seed. */
export const freshSimulation = (scenario: Scenario): Simulation =>
  makeSimulation(scenario, { seed: BENCH_SEED })
