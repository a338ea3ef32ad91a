/**
 * The contenders of the benchmark, each run on a fresh simulation of the same scenario and seed:
 * our engine with the default policy (one wave of the whole group), our engine in waves of half a
 * group (max surge and max draining 50 %, the default before one wave),
 * the Go tool's algorithm as shipped and with DetachInstances batched, and ASG instance refresh at
 * AWS's defaults and launching before terminating (max healthy 150% and 200%), each without draining
 * and with ECS managed instance draining — the simulator's reference implementations. The Go tool
 * sends every instance in one DetachInstances request, which AWS refuses above 20 ids, so above 20
 * instances it stops there, as the real tool did; the batched variant makes it measurable.
 */
import { Cause, Effect, Exit } from "effect"
import { defaultPolicy, type RolloutPolicy } from "@ecs-ami-deploy/domain"
import {
  makeSimulation,
  runGoToolBaseline,
  runInstanceRefreshBaseline,
  withManagedDraining,
  type Scenario,
  type Simulation,
} from "@ecs-ami-deploy/simulator"
import { runEngine } from "./engine.ts"
import { phasesOf, type Phases } from "./phases.ts"
import { clusterOf, groupOf } from "./scenarios.ts"

/** The seed every contender's simulation uses. */
export const BENCH_SEED = 1

/**
 * The default policy, with `unsafeServices: "proceed"`: `single-task-services` runs services of one
 * task at minimum 0 %, which the default refuses to start on until the operator accepts the outage.
 */
export const enginePolicy: RolloutPolicy = { ...defaultPolicy, unsafeServices: "proceed" }
/** Our engine in waves of half a group: max surge and max draining 50 %. */
export const halfWavesPolicy: RolloutPolicy = {
  ...enginePolicy,
  maxSurge: { unit: "percent", value: 50 },
  maxDraining: { unit: "percent", value: 50 },
}

/** The instance refresh settings raced: AWS defaults, and launch before terminating at 150% and 200%. */
const refreshSettings = [
  { key: "90-100", minHealthyPercentage: 90, maxHealthyPercentage: 100, instanceWarmupMs: 300_000 },
  { key: "100-150", minHealthyPercentage: 100, maxHealthyPercentage: 150, instanceWarmupMs: 60_000 },
  { key: "100-200", minHealthyPercentage: 100, maxHealthyPercentage: 200, instanceWarmupMs: 60_000 },
] as const
type RefreshKey = (typeof refreshSettings)[number]["key"]

export type ContenderId =
  | "engine-default"
  | "engine-half"
  | "go-tool"
  | "go-batched"
  | `refresh-${RefreshKey}`
  | `refresh-${RefreshKey}-md`

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
  /** The cluster this contender needs, from the benchmark's scenario (managed draining on, for one). */
  readonly scenarioOf?: (scenario: Scenario) => Scenario
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

const goContender = (id: ContenderId, label: string, detachBatchSize?: number): Contender => ({
  id,
  label,
  run: async (simulation, scenario) =>
    baselineOutcome(
      await Effect.runPromise(
        runGoToolBaseline(simulation, {
          clusterName: clusterOf(scenario),
          ...(detachBatchSize === undefined ? {} : { detachBatchSize }),
        }),
      ),
    ),
})

/**
 * An instance refresh with `settings`, on the scenario as it is or behind a capacity provider with
 * ECS managed instance draining (`-md`): its terminate lifecycle hook drains each instance first.
 */
const refreshContender = (
  settings: (typeof refreshSettings)[number],
  managedDraining: boolean,
): Contender => ({
  id: managedDraining ? `refresh-${settings.key}-md` : `refresh-${settings.key}`,
  label: `ASG instance refresh (min healthy ${settings.minHealthyPercentage}%, max ${settings.maxHealthyPercentage}%, warmup ${settings.instanceWarmupMs / 1000} s)${managedDraining ? " + ECS managed instance draining" : ", no draining"}`,
  ...(managedDraining ? { scenarioOf: withManagedDraining } : {}),
  run: async (simulation, scenario) =>
    baselineOutcome(
      await Effect.runPromise(
        runInstanceRefreshBaseline(simulation, {
          asgName: groupOf(scenario),
          minHealthyPercentage: settings.minHealthyPercentage,
          maxHealthyPercentage: settings.maxHealthyPercentage,
          instanceWarmupMs: settings.instanceWarmupMs,
        }),
      ),
    ),
})

export const contenders: ReadonlyArray<Contender> = [
  engineContender("engine-default", "ecs-ami-deploy (default policy)", enginePolicy),
  engineContender(
    "engine-half",
    "ecs-ami-deploy (surge 50%, draining 50%: waves of half a group)",
    halfWavesPolicy,
  ),
  goContender("go-tool", "Go tool's algorithm, as shipped"),
  goContender("go-batched", "Go tool's algorithm, DetachInstances in batches of 20", 20),
  ...refreshSettings.flatMap((settings) => [
    refreshContender(settings, false),
    refreshContender(settings, true),
  ]),
]

/** A fresh simulation of the scenario with the benchmark's seed. */
export const freshSimulation = (scenario: Scenario): Simulation =>
  makeSimulation(scenario, { seed: BENCH_SEED })
