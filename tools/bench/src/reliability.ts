/**
 * `npm run reliability`: the reliability report, on the simulator — kill-point resumption at every
 * event boundary of standard-20, executors competing for a cluster, rollouts under injected faults,
 * bad inputs given to the library API, and the safety figures (a lease taken over mid-run, lost
 * DynamoDB responses, one cluster name in two Regions, the CLI stopped by SIGINT, SIGHUP and a closed pipe). Prints Markdown tables (what docs/RELIABILITY.md holds)
 * and writes every figure as JSON.
 *
 *   node --conditions=@ecs-ami-deploy/source tools/bench/src/reliability.ts [--json <file>]
 */
import { mkdirSync, writeFileSync } from "node:fs"
import path from "node:path"
import { parseArgs } from "node:util"
import { scenarios } from "@ecs-ami-deploy/simulator"
import { badInputs, badInputScenario, tryBadInput, type BadInputResult } from "./bad-inputs.ts"
import {
  staleAppends,
  startedTogether,
  takeoverAfterExpiry,
  type StaleAppends,
  type StartedTogether,
  type Takeover,
} from "./concurrency.ts"
import { enginePolicy } from "./contenders.ts"
import { SETTLE_MS } from "./end-state.ts"
import { faultCases, runFaultCase, type FaultResult } from "./faults.ts"
import { boundariesOf, killAndResume, uninterrupted, type BoundaryResult } from "./kill-harness.ts"
import { hungCall, lostResponses, perRegionLocks, takeoverMidRun, type TakeoverMidRun } from "./safety.ts"
import { stoppingFigures } from "./stopping.ts"
import { formatSeconds, markdownTable } from "./table.ts"

const { values: args } = parseArgs({
  options: { json: { type: "string", default: "reports/reliability.json" } },
})
const startedAt = new Date()
const progress = (text: string) => process.stderr.write(`  ${text}\n`)
const policy = enginePolicy

// Kill-point resumption.
const killScenario = scenarios["standard-20"]
const reference = await uninterrupted(killScenario, policy)
const boundaries = boundariesOf(reference.events)
const killResults: Array<BoundaryResult> = []
for (const boundary of boundaries)
  killResults.push(await killAndResume(killScenario, policy, reference, boundary))
progress(`kill points: ${killResults.length} boundaries`)

const count = (results: ReadonlyArray<BoundaryResult>, test: (result: BoundaryResult) => boolean) =>
  results.filter(test).length
const killSummary = (label: string, results: ReadonlyArray<BoundaryResult>) => [
  label,
  String(results.length),
  String(count(results, (r) => r.killed)),
  String(count(results, (r) => r.resumed)),
  String(count(results, (r) => r.identicalEndState)),
  String(results.reduce((sum, r) => sum + r.duplicateActions, 0)),
]
const byKind = [...new Set(killResults.map((r) => `${r.boundary.when} ${r.boundary.event}`))].map((kind) =>
  killSummary(
    kind,
    killResults.filter((r) => `${r.boundary.when} ${r.boundary.event}` === kind),
  ),
)
const killFailures = killResults.filter(
  (r) => !r.killed || !r.resumed || !r.identicalEndState || r.duplicateActions > 0,
)

// Concurrency.
const concurrencyScenarios = [scenarios.small, scenarios["standard-20"], scenarios["single-task-services"]]
const concurrency: Array<{
  readonly scenario: string
  readonly together: StartedTogether
  readonly takeover: Takeover
  readonly stale: StaleAppends
}> = []
for (const scenario of concurrencyScenarios)
  concurrency.push({
    scenario: scenario.name,
    together: await startedTogether(scenario, policy, 5),
    takeover: await takeoverAfterExpiry(scenario, policy, 9, 4),
    stale: await staleAppends(scenario, policy, 3),
  })
progress("concurrency done")

// Faults.
const faultScenarios = [scenarios["standard-20"], scenarios["single-task-services"]]
const faultResults: Array<FaultResult> = []
for (const scenario of faultScenarios)
  for (const fault of faultCases) faultResults.push(await runFaultCase(scenario, policy, fault, 1))
progress(`faults: ${faultResults.length} runs`)

// Bad inputs.
const badResults: Array<BadInputResult> = []
for (const input of badInputs(badInputScenario)) badResults.push(await tryBadInput(badInputScenario, input))
progress(`bad inputs: ${badResults.length}`)

const command = "node --conditions=@ecs-ami-deploy/source tools/bench/src/reliability.ts"
console.log(`# Reliability — ${startedAt.toISOString()}`)
console.log(
  `\`${command}\` · Node ${process.versions.node} · policy: default with unsafeServices=proceed · lease 60 s\n`,
)

console.log(
  `## Kill-point resumption (${killScenario.name}, ${reference.events.length} events in the uninterrupted run)\n`,
)
console.log(
  markdownTable(
    ["boundary", "tried", "killed there", "resumed to success", "identical end state", "duplicate actions"],
    [killSummary("all", killResults), ...byKind],
  ),
)
if (killFailures.length > 0) {
  console.log("\nBoundaries that did not resume cleanly:\n")
  for (const failure of killFailures) console.log(`- ${JSON.stringify(failure)}`)
}

console.log("\n## Concurrency (one run per cluster)\n")
console.log(
  markdownTable(
    [
      "scenario",
      "started together",
      "finished",
      "refused (LockHeld)",
      "holder killed; tried while held → refused",
      "takeover after lease expiry (same run)",
      "stale appends → rejected",
      "terminated twice",
    ],
    concurrency.map(({ scenario, together, takeover, stale }) => [
      scenario,
      String(together.executors),
      String(together.finished),
      String(together.refusedLockHeld),
      `${takeover.holderDied ? "yes" : "NO"}; ${takeover.triedWhileHeld} → ${takeover.refusedWhileHeld}`,
      `${takeover.tookOverAfterExpiry ? "yes" : "NO"} (${takeover.sameRun ? "same run" : "NOT the same run"})`,
      `${stale.attempted} → ${stale.rejectedStale}`,
      String(together.terminatedTwice + takeover.terminatedTwice),
    ]),
  ),
)

console.log(`\n## Faults (seed 1; end state read ${formatSeconds(SETTLE_MS)} after the run)\n`)
console.log(
  markdownTable(
    [
      "scenario",
      "fault",
      "expected",
      "outcome",
      "duration",
      "failed calls",
      "svc-s below floor: in run / +settling (fault alone)",
      "svc-s zero healthy (fault alone)",
      "of which begun at an instance loss: below floor / zero healthy (fault alone)",
      "terminated twice",
      "live images",
      "desired start → end",
      "invariants",
    ],
    faultResults.map((r) => [
      r.scenario,
      r.fault,
      r.expected,
      r.outcome,
      formatSeconds(r.simulatedDurationMs),
      String(r.failedCalls),
      `${r.serviceSecondsBelowFloorDuringRun} / ${r.serviceSecondsBelowFloor} (${r.withoutRollout.serviceSecondsBelowFloor})`,
      `${r.serviceSecondsWithZeroHealthy} (${r.withoutRollout.serviceSecondsWithZeroHealthy})`,
      `${r.byCause.belowFloor.atInstanceLoss} / ${r.byCause.zeroHealthy.atInstanceLoss} (${r.withoutRollout.byCause.belowFloor.atInstanceLoss} / ${r.withoutRollout.byCause.zeroHealthy.atInstanceLoss})`,
      String(r.terminatedTwice),
      r.liveImages.join(", "),
      `${r.desiredAtStart} → ${r.desiredAtEnd}`,
      r.invariantsHeld ? "held" : "NOT HELD",
    ]),
  ),
)
const notHeld = faultResults.filter((r) => !r.invariantsHeld)
if (notHeld.length > 0) {
  console.log("\nRuns whose invariants did not hold, with the run's own reason:\n")
  for (const r of notHeld) console.log(`- ${r.scenario} / ${r.fault}: ${r.outcome} — ${r.reason}`)
}

console.log(`\n## Bad inputs (library API, ${badInputScenario.name})\n`)
console.log(
  `${badResults.length} tried, ${badResults.filter((r) => r.refused).length} refused, ${badResults.filter((r) => r.mutatingCalls === 0).length} with no mutating call.\n`,
)
console.log(
  markdownTable(
    ["input", "answer", "mutating calls"],
    badResults.map((r) => [r.name, r.answer, String(r.mutatingCalls)]),
  ),
)

progress("safety: a lease taken over after every event, a hung call, lost DynamoDB responses, two Regions")
const takeovers: Array<TakeoverMidRun> = []
for (let afterEvents = 1; afterEvents < reference.events.length; afterEvents++)
  takeovers.push(await takeoverMidRun(killScenario, policy, afterEvents))
const hung = await hungCall(killScenario, policy, "autoscaling:UpdateAutoScalingGroup", 10 * 60_000)
const lost = await lostResponses(10)
const regions = await perRegionLocks(scenarios.small, policy)

console.log(`\n## Safety\n`)
const endings = [...new Set(takeovers.map((t) => t.oldHolderEnded))]
console.log(
  `Lease taken over mid-run (${killScenario.name}, the old holder stalled past its lease after each of events 1–${reference.events.length - 1} in turn, a successor took the lock, then the old holder went on): ${takeovers.length} takeovers; the old holder ended with ${endings.map((ending) => `${ending} ×${takeovers.filter((t) => t.oldHolderEnded === ending).length}`).join(", ")}; mutating AWS calls it made after the takeover: ${takeovers.reduce((sum, t) => sum + t.mutatingCallsAfterTakeover, 0)} in total, at most ${Math.max(...takeovers.map((t) => t.mutatingCallsAfterTakeover))} in one run.\n`,
)
console.log(
  `A hung call (${hung.scenario}, the first \`${hung.operation}\` got no answer for ${formatSeconds(hung.hangMs)}; default settings: a ${formatSeconds(hung.leaseMs)} lease): ${hung.abandonedAfterMs === undefined ? "not abandoned: it ran after its hang" : `abandoned ${formatSeconds(hung.abandonedAfterMs)} after its command started`}; recorded: ${hung.recorded}; the holder ended ${hung.holderEnded}; a successor trying ${formatSeconds(hung.leaseMs + 60_000)} in (after the lease would have expired unrenewed) got ${hung.successorGot}.\n`,
)
console.log(
  markdownTable(
    ["case", "trials", "succeeded"],
    [
      [
        "DynamoDB append whose PutItem response was lost (stored once)",
        String(lost.trials),
        String(lost.appendsSucceeded),
      ],
      [
        "DynamoDB acquire whose UpdateItem response was lost (the lease, not LockHeld)",
        String(lost.trials),
        String(lost.acquisitionsSucceeded),
      ],
    ],
  ),
)
console.log(
  `\nOne cluster name in two Regions (${regions.scenario}, ${regions.regions.join(" and ")}, one event log): the first Region's run held open with a live lease: ${regions.firstHeldOpen ? "yes" : "no"}; the second Region's rollout ended ${regions.secondEnded}; runs listed per Region: ${regions.runsPerRegion.join(" and ")}.`,
)

progress("stopping: SIGINT, SIGHUP and a closed output pipe, each on the CLI as a process")
const stops = await stoppingFigures()
console.log(
  `\nStopping the CLI (\`upgrade-cluster\` of the simulated large-200, a local file event log, stopped once its first drain wave starts):\n`,
)
console.log(
  markdownTable(
    ["how", "exit code", "exit after", "recorded suspension", "lock released"],
    stops.map((stop) => [
      stop.how === "close-output" ? "output pipe closed (EPIPE)" : stop.how,
      String(stop.exitCode),
      `${(stop.exitAfterMs / 1000).toFixed(1)} s`,
      stop.recordedReason ?? "none",
      stop.lockReleased ? "yes" : "no",
    ]),
  ),
)

const jsonFile = path.resolve(args.json)
mkdirSync(path.dirname(jsonFile), { recursive: true })
writeFileSync(
  jsonFile,
  `${JSON.stringify({ startedAt: startedAt.toISOString(), command, node: process.versions.node, kill: { scenario: killScenario.name, events: reference.events.length, results: killResults }, concurrency, faults: faultResults, badInputs: badResults, safety: { takeovers, hungCall: hung, lostResponses: lost, perRegionLocks: regions, stops } }, null, 2)}\n`,
)
process.stderr.write(`figures written to ${jsonFile}\n`)
