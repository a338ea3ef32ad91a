/**
 * `simulate`: a full run of the real engine (the library's `Rollout.upgradeCluster`) against the
 * simulator — a built-in scenario or a scenario file — with the same policy flags as
 * `upgrade-cluster`. It prints progress and a summary, and writes an HTML report with the timeline of
 * healthy tasks per service, instances by state, and the run's phases.
 */
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { writeFileSync } from "node:fs"
import { resolve } from "node:path"
import {
  type Decision,
  EventLog,
  type Phase,
  Rollout,
  type RolloutPolicy,
  type RunResult,
} from "ecs-ami-deploy"
import { onTarget, rootCommand } from "./command-support.ts"
import { simulateFleet } from "./fleet-commands.ts"
import { ConsoleIo, line } from "./console-io.ts"
import { usageError } from "./failure.ts"
import { amiFlags, amiSourceOf, builtInScenariosText, policyFlags, policyOverridesOf } from "./flags.ts"
import { describeResult, exitCodeOf } from "./outcome.ts"
import { summarizeRun, summaryLines } from "./run-summary.ts"
import { progressObserver, progressViewFor } from "./progress.ts"
import { makeFleetSampler } from "./fleet-samples.ts"
import { type PhaseSpan, renderReport } from "./report-html.ts"
import type { SimulatedWorld } from "./simulated-world.ts"
import { jsonInFlagTerms } from "./text.ts"
import { formatAmount, formatDuration } from "@ecs-ami-deploy/domain"

/** How far simulated time runs on after the rollout, at most, for the report to show the world settled. */
const settleStepMs = 5_000
const settleLimitMs = 30 * 60_000

/** The policy choices that shape the timeline, for the report's header. */
const describePolicy = (policy: RolloutPolicy) =>
  `${policy.capacityMode} mode · max surge ${formatAmount(policy.maxSurge)} · max draining ${formatAmount(policy.maxDraining)}${policy.bakeTimeMs > 0 ? ` · bake ${formatDuration(policy.bakeTimeMs)}` : ""}`

const outcomeOf = (result: RunResult) =>
  result._tag === "Finished"
    ? result.outcome
    : result._tag === "NothingToDo"
      ? "nothing to do"
      : result._tag.toLowerCase()

/** The summary printed after the run: the figures of the report, as text lines. */
const summaryOf = (world: SimulatedWorld, result: RunResult) => {
  const m = world.simulation.metrics()
  return {
    outcome: outcomeOf(result),
    simulatedDuration: formatDuration(m.simulatedDurationMs),
    serviceSecondsBelowFloor: Math.round(m.serviceSecondsBelowFloor),
    serviceSecondsWithZeroHealthy: Math.round(m.serviceSecondsWithZeroHealthy),
    lowestHealthy: Object.fromEntries(m.services.map((s) => [s.service, s.lowestHealthy])),
    peakExtraInstances: m.instances.peakExtraInstances,
    extraInstanceHours: Number(m.instances.extraInstanceHours.toFixed(2)),
    apiCalls: {
      awsRequests: m.apiCalls.awsRequests,
      total: m.apiCalls.total,
      reads: m.apiCalls.reads,
      mutating: m.apiCalls.mutating,
      failed: m.apiCalls.failed,
    },
  }
}

const simulateCommand = Command.make(
  "simulate",
  {
    scenario: Flag.String("scenario").pipe(
      Flag.withDescription(
        `a built-in scenario (${builtInScenariosText}) or a scenario JSON file (default small)`,
      ),
      Flag.withDefault("small"),
    ),
    seed: Flag.Int("seed").pipe(
      Flag.withDescription(
        "seed of the simulated world's random choices (task placement, faults; default 1)",
      ),
      Flag.withDefault(1),
    ),
    cluster: Flag.String("cluster").pipe(
      Flag.withAlias("c"),
      Flag.withDescription("the cluster to roll (default: the scenario's first)"),
      Flag.optional,
    ),
    fleet: Flag.String("fleet").pipe(
      Flag.withDescription(
        "rehearse a fleet file's rollout instead: one simulated world per cluster (its simulate.scenario, default small)",
      ),
      Flag.optional,
    ),
    report: Flag.String("report").pipe(
      Flag.withDescription(
        "where to write the HTML report (default simulation-report.html in the current directory)",
      ),
      Flag.withDefault("simulation-report.html"),
    ),
    ...amiFlags,
    ...policyFlags,
  },
  (flags) =>
    Effect.gen(function* () {
      const root = yield* rootCommand
      if (Option.isSome(root.simulator))
        return yield* onTarget(root, () =>
          Effect.fail(
            usageError(
              "simulate runs its own simulated world; --simulator is for the other commands",
              "give the scenario with --scenario instead",
            ),
          ),
        )
      if (Option.isSome(flags.fleet)) return yield* simulateFleet(root, flags.fleet.value)
      return yield* onTarget(
        { ...root, simulator: Option.some(flags.scenario) },
        (target) =>
          Effect.gen(function* () {
            const io = yield* ConsoleIo
            const world = target.world
            if (world === undefined)
              return yield* usageError("simulate needs a simulated world", "give --scenario")
            const simulation = world.simulation
            const clusterName = Option.getOrElse(
              flags.cluster,
              () => simulation.scenario.clusters[0]?.name ?? "",
            )
            if (!simulation.scenario.clusters.some((cluster) => cluster.name === clusterName))
              return yield* usageError(
                `scenario ${simulation.scenario.name} has no cluster ${clusterName}`,
                `give one of: ${simulation.scenario.clusters.map((cluster) => cluster.name).join(", ")}`,
              )
            const ami = yield* amiSourceOf(flags)
            const policy = yield* policyOverridesOf(flags)
            const startedAt = simulation.now()
            const phases: Array<{ phase: Phase; group: string | undefined; from: number }> = []
            let policyInUse: RolloutPolicy | undefined
            let targetImageId: string | undefined
            // The group the run last acted on: the wave a phase belongs to, for the report's labels.
            let groupInWork: string | undefined
            const fleet = makeFleetSampler(simulation, clusterName)
            fleet.sample()
            const recordDecision = (decision: Decision, phase: Phase) =>
              Effect.sync(() => {
                if (decision._tag === "Act")
                  groupInWork =
                    decision.commands
                      .flatMap((command) => ("asgName" in command ? [command.asgName] : []))
                      .at(-1) ?? groupInWork
                const last = phases.at(-1)
                if (last?.phase !== phase || last.group !== groupInWork)
                  phases.push({ phase, group: groupInWork, from: simulation.now() })
                fleet.sample()
              })
            if (root.output === "text")
              yield* line(
                `simulating scenario ${simulation.scenario.name} (${simulation.scenario.description}), cluster ${clusterName}, seed ${flags.seed}`,
              )
            // What `plan` would warn about on this cluster, said before the rehearsal shows it happening.
            const plan = yield* Rollout.planUpgrade({ cluster: clusterName, ami, policy })
            for (const warning of plan.warnings)
              yield* line(
                root.output === "json" ? JSON.stringify({ type: "warning", warning }) : `warning: ${warning}`,
              )
            const result = yield* Rollout.upgradeCluster({ cluster: clusterName, ami, policy }).pipe(
              Effect.provide(
                progressObserver(
                  progressViewFor(io, root.output),
                  () =>
                    simulation.snapshotState().services.filter((s) => s.healthyCount < s.desiredCount).length,
                  {
                    eventAppended: (event) =>
                      Effect.sync(() => {
                        if (event._tag !== "RunStarted") return
                        policyInUse = event.policy
                        targetImageId = event.targetImage.imageId
                      }),
                    decided: recordDecision,
                  },
                ),
              ),
            )
            const end = simulation.now()
            const spans: ReadonlyArray<PhaseSpan> = phases.map((p, i) => ({
              phase: p.phase,
              ...(p.group === undefined ? {} : { group: p.group }),
              from: p.from,
              to: phases[i + 1]?.from ?? end,
            }))
            const summary = summaryOf(world, result)
            const metrics = simulation.metrics()
            // The charts go on until the world settles: a terminate call is not a terminated instance.
            fleet.settle(settleStepMs, settleLimitMs)
            const reportPath = resolve(io.cwd, flags.report)
            writeFileSync(
              reportPath,
              renderReport({
                title: `Simulated rollout of ${clusterName}`,
                scenario: simulation.scenario.name,
                clusterName,
                outcome: summary.outcome,
                outcomeDetail: describeResult(result).join(" "),
                startedAt,
                endedAt: end,
                metrics,
                settled: simulation.metrics(),
                fleet: fleet.samples(),
                ...(targetImageId === undefined ? {} : { targetImageId }),
                phases: spans,
                policySummary: `${policyInUse === undefined ? "" : `${describePolicy(policyInUse)} · `}seed ${flags.seed}`,
              }),
            )
            const run =
              result._tag === "Finished" || result._tag === "Suspended"
                ? summarizeRun(yield* EventLog.use((log) => log.load(result.runId)), {
                    skippedAtStart: plan.groups.flatMap((group) => group.skippedInstances),
                    awsRequests: summary.apiCalls.awsRequests,
                  })
                : undefined
            if (root.output === "json") {
              yield* line(JSON.stringify({ type: "result", result }))
              yield* line(
                jsonInFlagTerms({
                  type: "summary",
                  summary,
                  ...(run === undefined ? {} : { run }),
                  report: reportPath,
                }),
              )
            } else {
              yield* Effect.forEach(describeResult(result), line, { discard: true })
              // The run's summary, as upgrade-cluster ends, then what only a simulation can measure.
              const measured: ReadonlyArray<readonly [string, string]> = [
                [
                  "below floor",
                  `${summary.serviceSecondsBelowFloor} service-seconds (with zero healthy: ${summary.serviceSecondsWithZeroHealthy})`,
                ],
                [
                  "lowest healthy",
                  Object.entries(summary.lowestHealthy)
                    .map(([service, n]) => `${service} ${n}`)
                    .join(", "),
                ],
                [
                  "instances",
                  `peak +${summary.peakExtraInstances} running above the start, ${summary.extraInstanceHours} extra instance-hours`,
                ],
                [
                  "port calls",
                  `${summary.apiCalls.total} (${summary.apiCalls.mutating} mutating, ${summary.apiCalls.failed} failed); simulated ${summary.simulatedDuration}`,
                ],
              ]
              yield* line("")
              yield* Effect.forEach(
                run === undefined
                  ? measured.map(([label, value]) => `  ${label.padEnd(16)}${value}`)
                  : summaryLines(run, measured),
                line,
                { discard: true },
              )
              yield* line(`report written to ${reportPath}`)
            }
            return exitCodeOf(result)
          }),
        { seed: flags.seed },
      )
    }),
).pipe(
  Command.withDescription(
    `Rehearse a rollout: the real engine against a simulated cluster, in virtual time. Prints progress and a summary; writes an HTML report.`,
  ),
  Command.withExamples([
    { command: "ecs-ami-deploy simulate", description: "the small scenario; writes simulation-report.html" },
    {
      command: "ecs-ami-deploy simulate --scenario standard-20 --max-surge 25% --report /tmp/r.html",
      description: "another scenario and policy",
    },
    {
      command: "ecs-ami-deploy simulate --fleet docs/examples/fleet.json",
      description: "rehearse a fleet rollout: 6 clusters in 3 stages, one of them failing",
    },
  ]),
)

export const simulationCommands = [simulateCommand] as const
