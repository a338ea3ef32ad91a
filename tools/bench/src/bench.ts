/**
 * `npm run bench`: every contender on every benchmark scenario with the same seed, then the
 * micro-benchmarks and the targets' verdicts. Prints Markdown tables (what docs/BENCHMARKS.md holds)
 * and writes every figure as JSON.
 *
 *   node --conditions=@ecs-ami-deploy/source tools/bench/src/bench.ts [--quick] [--json <file>] [--lambda-runs <n>]
 *
 * `--quick` leaves out the 500-instance cluster and the micro-benchmarks' slow parts (Lambda import,
 * the 500-instance memory probe and the 1,000-instance scale probe). The JSON goes to reports/bench.json unless `--json` says otherwise.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import path from "node:path"
import { parseArgs } from "node:util"
import { contenders, BENCH_SEED } from "./contenders.ts"
import { measure, type RunFigures } from "./figures.ts"
import type { LowerBound } from "./lower-bound.ts"
import { measureLambda, measureMemory, measurePlanner, type Measured } from "./micro.ts"
import { benchScenarios } from "./scenarios.ts"
import { formatMiB, formatRatio, formatSeconds, markdownTable } from "./table.ts"
import { thresholds, verdicts } from "./targets.ts"

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "string", default: "reports/bench.json" },
    "lambda-runs": { type: "string", default: "9" },
  },
})
const quick = args.quick

const startedAt = new Date()
const runs: Array<RunFigures> = []
for (const scenario of benchScenarios({ quick }))
  for (const contender of contenders) {
    const figures = await measure(scenario, contender)
    runs.push(figures)
    process.stderr.write(
      `  ${scenario.name} / ${contender.id}: ${figures.status} in ${(figures.wallMs / 1000).toFixed(1)} s real\n`,
    )
  }

const engineDefault = (scenario: string) =>
  runs.find((run) => run.scenario === scenario && run.contender === "engine-default")

const runRows = runs.map((run) => {
  const ours = engineDefault(run.scenario)
  return [
    `${run.scenario} (${run.instances})`,
    run.contender,
    run.status === "succeeded" ? "ok" : "FAILED (below)",
    formatSeconds(run.durationMs),
    formatSeconds(run.physicalMinimum.totalMs),
    run.status !== "succeeded" ? "" : formatRatio(run.ratioToPhysicalMinimum),
    run.lowerBound === undefined ? "" : formatSeconds(run.lowerBound.totalMs),
    run.ratioToLowerBound === undefined || run.status !== "succeeded"
      ? ""
      : formatRatio(run.ratioToLowerBound),
    ours === undefined || ours.status !== "succeeded" || run.status !== "succeeded"
      ? ""
      : formatRatio(run.durationMs / ours.durationMs),
    `${run.serviceSecondsBelowFloor} / ${run.settled.serviceSecondsBelowFloor}`,
    `${run.serviceSecondsWithZeroHealthy} / ${run.settled.serviceSecondsWithZeroHealthy}`,
    String(run.apiCalls.awsRequests),
    run.apiCalls.perInstance.toFixed(1),
    `${run.apiCalls.ecsPeakPerSecond} / ${run.apiCalls.ecsAveragePerSecond.toFixed(2)}`,
    String(run.apiCalls.total),
    `${run.apiCalls.reads} / ${run.apiCalls.mutating}`,
    String(run.apiCalls.failed),
    String(run.peakExtraInstances),
    run.extraInstanceHours.toFixed(2),
  ]
})

/** The scenarios of the README's summary, and one cell of it per contender. */
const summaryScenarios = ["standard-20", "large-100", "large-500"]
const summaryCell = (run: RunFigures | undefined): string => {
  if (run === undefined) return "not run"
  if (run.status !== "succeeded") return `stops: ${run.detail.split(":")[0] ?? run.detail}`
  return `${formatSeconds(run.durationMs)} (${formatRatio(run.ratioToPhysicalMinimum)}) · ${run.settled.serviceSecondsBelowFloor} · ${run.apiCalls.awsRequests} (${run.apiCalls.ecsPeakPerSecond})`
}
const summaryRows = contenders.map((contender) => [
  `${contender.id}: ${contender.label}`,
  ...summaryScenarios.map((scenario) =>
    summaryCell(runs.find((run) => run.scenario === scenario && run.contender === contender.id)),
  ),
])

/** A bound's terms as table cells: old instances / wave size → waves, capacity proof, drain wave, total. */
const boundTerms = (bound: LowerBound): Array<string> => [
  `${bound.oldInstances} / ${bound.waveSize} → ${bound.waves}`,
  formatSeconds(bound.newCapacityProvenMs),
  `${formatSeconds(bound.drainWaveMs)} (${bound.slowestService})`,
  formatSeconds(bound.totalMs),
]

const boundRows = runs.flatMap((run, index) => [
  ...(runs.findIndex((other) => other.scenario === run.scenario) === index
    ? [[run.scenario, "(physical minimum)", ...boundTerms(run.physicalMinimum), ""]]
    : []),
  ...(run.lowerBound === undefined
    ? []
    : [
        [
          run.scenario,
          run.contender,
          ...boundTerms(run.lowerBound),
          run.phases === undefined
            ? ""
            : `${run.phases.drainedWaves} wave${run.phases.drainedWaves === 1 ? "" : "s"}: capacity ${formatSeconds(run.phases.newCapacityMs)}, draining ${formatSeconds(run.phases.drainingMs)}, zone rebalancing ${formatSeconds(run.phases.rebalancingMs)}, other ${formatSeconds(run.phases.otherMs)}`,
        ],
      ]),
])

const planner = measurePlanner()
const lambda = quick
  ? ({ measured: false, reason: "skipped by --quick" } as const)
  : measureLambda(Number(args["lambda-runs"]))
const memory = quick ? ({ measured: false, reason: "skipped by --quick" } as const) : measureMemory(500)
const scale = quick
  ? ({ measured: false, reason: "skipped by --quick" } as const)
  : measureMemory(thresholds.scale.instances, thresholds.scale.tasks)
const judged = verdicts(runs, scale)

const microRows = (): Array<Array<string>> => {
  const notMeasured = (what: string, figure: Measured<unknown>) =>
    figure.measured ? [] : [[what, `not measured: ${figure.reason}`]]
  return [
    ...(planner.measured
      ? Object.entries(planner.value.medianMs).map(([name, ms]) => [
          `planner: ${name} (median)`,
          `${ms.toFixed(2)} ms`,
        ])
      : []),
    ...notMeasured("planner decide / fold", planner),
    ...(lambda.measured
      ? [
          [
            "Lambda bundle size",
            `${lambda.value.bundleBytes} bytes (${formatMiB(lambda.value.bundleBytes)})`,
          ],
          [
            `Lambda cold import (median of ${lambda.value.importRuns} fresh processes)`,
            `${lambda.value.importMedianWallMs} ms wall, ${lambda.value.importMedianCpuMs} ms CPU (empty module: ${lambda.value.emptyModuleMedianWallMs} ms wall)`,
          ],
        ]
      : []),
    ...notMeasured("Lambda bundle size and cold import", lambda),
    ...(memory.measured
      ? [
          [
            `memory, simulated rollout of ${memory.value.scenario} (run: ${memory.value.runStatus.slice(0, 60)})`,
            `peak RSS ${formatMiB(memory.value.peakRssBytes)}, peak heap ${formatMiB(memory.value.peakHeapUsedBytes)}, heap retained after GC ${formatMiB(memory.value.retainedHeapUsedBytes)} (before: RSS ${formatMiB(memory.value.before.rssBytes)}, heap ${formatMiB(memory.value.before.heapUsedBytes)})`,
          ],
        ]
      : []),
    ...notMeasured("memory of a 500-instance simulated rollout", memory),
    ...(scale.measured
      ? [
          [
            `scale, simulated rollout of ${scale.value.instances} instances / ${scale.value.tasks} tasks (run: ${scale.value.runStatus.slice(0, 60)})`,
            `${(scale.value.wallMs / 1000).toFixed(1)} s wall${scale.value.cpuMs === undefined ? "" : ` (${(scale.value.cpuMs / 1000).toFixed(1)} s CPU)`}, peak RSS ${formatMiB(scale.value.peakRssBytes)}, ${formatSeconds(scale.value.simulatedDurationMs)} simulated`,
          ],
        ]
      : []),
    ...notMeasured("scale: 1,000 instances / 3,000 tasks", scale),
  ]
}

const command = `node --conditions=@ecs-ami-deploy/source tools/bench/src/bench.ts${quick ? " --quick" : ""}`
console.log(`# Benchmark — ${startedAt.toISOString()}`)
console.log(`\`${command}\` · Node ${process.versions.node} · ${cpus().length} CPUs · seed ${BENCH_SEED}\n`)
console.log("## Rollouts (simulated)\n")
console.log(
  markdownTable(
    [
      "scenario (instances)",
      "contender",
      "outcome",
      "duration",
      "physical min",
      "÷ physical",
      "policy bound",
      "÷ bound",
      "× ours",
      "svc-s below floor (run / +settling)",
      "svc-s zero healthy (run / +settling)",
      "AWS requests",
      "per instance",
      "ECS req/s (peak / avg)",
      "port calls",
      "read / mutating",
      "failed calls",
      "peak extra",
      "extra inst-h",
    ],
    runRows,
  ),
)
console.log(
  "\n## Summary\n\nPer scenario: duration (÷ physical minimum) · service-seconds below floor, settling included · AWS requests (ECS requests in the busiest second).\n",
)
console.log(markdownTable(["contender", ...summaryScenarios], summaryRows))
const failed = runs.filter((run) => run.status !== "succeeded")
if (failed.length > 0) {
  console.log("\nFailed runs:\n")
  for (const run of failed) console.log(`- ${run.scenario} / ${run.contender}: ${run.detail}`)
}
console.log("\n## Lower bounds and where our engine spent its time\n")
console.log(
  markdownTable(
    [
      "scenario",
      "contender",
      "old / wave size → waves",
      "capacity proven",
      "drain wave (slowest service)",
      "bound",
      "measured: where the time went",
    ],
    boundRows,
  ),
)
console.log("\n## Micro-benchmarks\n")
if (planner.measured) console.log(`Planner: ${planner.value.setup}\n`)
if (lambda.measured) console.log(`Lambda: ${lambda.value.machine}\n`)
console.log(markdownTable(["what", "measured"], microRows()))
console.log("\n## Targets\n")
console.log(
  markdownTable(
    ["target", "verdict", "measured"],
    judged.map((v) => [v.target, v.status, v.evidence]),
  ),
)

const jsonFile = path.resolve(args.json)
mkdirSync(path.dirname(jsonFile), { recursive: true })
writeFileSync(
  jsonFile,
  `${JSON.stringify({ startedAt: startedAt.toISOString(), command, node: process.versions.node, cpus: cpus().length, seed: BENCH_SEED, runs, micro: { planner, lambda, memory, scale }, verdicts: judged }, null, 2)}\n`,
)
process.stderr.write(`figures written to ${jsonFile}\n`)
