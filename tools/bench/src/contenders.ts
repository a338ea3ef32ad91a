/**
 * The contenders of the benchmark, each run on a fresh simulation of the same scenario and seed:
 * our engine with the default policy, our engine tuned for speed (max surge and max draining 100%),
 * the Go tool's algorithm and an ASG instance refresh (the simulator's reference implementations,
 * unchanged). The Go tool's single DetachInstances call with every instance is refused above 20 ids,
 * as by AWS, so above 20 instances it stops there; to still compare its algorithm at 100 and 500
 * instances, a second Go contender sends the same detach in batches of 20 — the only change, made in
 * the port it calls, which can only help it.
 */
import { Cause, Clock, Effect, Exit, Layer } from "effect"
import { defaultPolicy, type RolloutPolicy } from "@ecs-ami-deploy/domain"
import { AutoScaling } from "@ecs-ami-deploy/ports"
import { makeSimulation, runGoToolBaseline, runInstanceRefreshBaseline, type Scenario, type Simulation } from "@ecs-ami-deploy/simulator"
import { runEngine } from "./engine.ts"
import { phasesOf, type Phases } from "./phases.ts"
import { clusterOf, groupOf, instanceCount } from "./scenarios.ts"

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

export type ContenderId = "engine-default" | "engine-fast" | "go-tool" | "go-batched-detach" | "instance-refresh"

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
  /** False when the contender would only repeat another one's run on this scenario. */
  readonly appliesTo: (scenario: Scenario) => boolean
  readonly run: (simulation: Simulation, scenario: Scenario) => Promise<ContenderOutcome>
}

const DETACH_LIMIT = 20

const chunks = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size))

/** The simulation with DetachInstances sent in batches of at most 20 ids (through `layer` and `run`); every other call unchanged. */
export const withBatchedDetach = (simulation: Simulation): Simulation => {
  const batched = Layer.effect(
    AutoScaling,
    Effect.gen(function* () {
      const inner = yield* AutoScaling
      return AutoScaling.of({
        ...inner,
        detachInstances: (asgName, instanceIds, decrement) =>
          Effect.forEach(chunks(instanceIds, DETACH_LIMIT), (batch) => inner.detachInstances(asgName, batch, decrement), { discard: true }),
      })
    }),
  ).pipe(Layer.provide(simulation.layer))
  const layer = Layer.merge(simulation.layer, batched)
  return {
    ...simulation,
    layer,
    run: (program) => Effect.runPromise(program.pipe(Effect.provide(layer), Effect.provideService(Clock.Clock, simulation.clock))),
  }
}

const engineContender = (id: ContenderId, label: string, policy: RolloutPolicy): Contender => ({
  id,
  label,
  policy,
  appliesTo: () => true,
  run: async (simulation) => {
    const { exit, events } = await runEngine(simulation, policy)
    const phases = phasesOf(events)
    if (Exit.isFailure(exit)) return { status: "failed", detail: Cause.pretty(exit.cause).split("\n")[0] ?? "", phases }
    const result = exit.value
    if (result._tag === "Finished")
      return { status: result.outcome === "succeeded" ? "succeeded" : "failed", detail: `${result.outcome}: ${result.reason}`, phases }
    return { status: "failed", detail: result._tag, phases }
  },
})

const baselineOutcome = (outcome: { readonly status: "completed" | "failed"; readonly failure?: string }): ContenderOutcome =>
  outcome.status === "completed" ? { status: "succeeded", detail: "completed" } : { status: "failed", detail: outcome.failure ?? "failed" }

export const contenders: ReadonlyArray<Contender> = [
  engineContender("engine-default", "ecs-ami-deploy (default policy)", enginePolicy),
  engineContender("engine-fast", "ecs-ami-deploy (surge 100%, draining 100%)", fastEnginePolicy),
  {
    id: "go-tool",
    label: "Go tool, as shipped",
    // Up to 20 instances its one DetachInstances call is within the limit: go-batched-detach is the same run.
    appliesTo: (scenario) => instanceCount(scenario) > DETACH_LIMIT,
    run: async (simulation, scenario) => baselineOutcome(await Effect.runPromise(runGoToolBaseline(simulation, { clusterName: clusterOf(scenario) }))),
  },
  {
    id: "go-batched-detach",
    label: "Go tool's algorithm (detach batched by 20)",
    appliesTo: () => true,
    run: async (simulation, scenario) =>
      baselineOutcome(await Effect.runPromise(runGoToolBaseline(withBatchedDetach(simulation), { clusterName: clusterOf(scenario) }))),
  },
  {
    id: "instance-refresh",
    label: "ASG instance refresh (min healthy 90%, warmup 300 s)",
    appliesTo: () => true,
    run: async (simulation, scenario) => baselineOutcome(await Effect.runPromise(runInstanceRefreshBaseline(simulation, { asgName: groupOf(scenario) }))),
  },
]

/** A fresh simulation of the scenario with the benchmark's seed. */
export const freshSimulation = (scenario: Scenario): Simulation => makeSimulation(scenario, { seed: BENCH_SEED })
