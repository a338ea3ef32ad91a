/**
 * Memory of one simulated rollout of the 500-instance cluster, measured in a process of its own
 * (started by the benchmark with --expose-gc): heap and RSS after a collection before the run, the
 * heap sampled during it, and the peak RSS the process reached. Prints one JSON line.
 *
 *   node --expose-gc --conditions=@ecs-ami-deploy/source tools/bench/src/memory-probe.ts
 */
import { Exit } from "effect"
import { makeSimulation } from "@ecs-ami-deploy/simulator"
import { BENCH_SEED, enginePolicy } from "./contenders.ts"
import { runEngine } from "./engine.ts"
import { scaledLarge } from "./scenarios.ts"

/** What the probe prints. */
export interface MemoryProbe {
  readonly scenario: string
  readonly runStatus: string
  readonly simulatedDurationMs: number
  readonly before: { readonly rssBytes: number; readonly heapUsedBytes: number }
  readonly peakHeapUsedBytes: number
  readonly peakRssBytes: number
  /** After the run and a collection, with the simulation (world, call log) still reachable. */
  readonly retainedHeapUsedBytes: number
}

const collect = (): void => {
  if (typeof globalThis.gc !== "function") throw new Error("run with --expose-gc")
  globalThis.gc()
}

collect()
const before = process.memoryUsage()
let peakHeapUsedBytes = before.heapUsed
const sampler = setInterval(() => {
  peakHeapUsedBytes = Math.max(peakHeapUsedBytes, process.memoryUsage().heapUsed)
}, 5)
const scenario = scaledLarge(500)
const simulation = makeSimulation(scenario, { seed: BENCH_SEED })
const { exit } = await runEngine(simulation, enginePolicy)
clearInterval(sampler)
peakHeapUsedBytes = Math.max(peakHeapUsedBytes, process.memoryUsage().heapUsed)
const simulatedDurationMs = simulation.metrics().simulatedDurationMs
collect()
const probe: MemoryProbe = {
  scenario: scenario.name,
  runStatus: Exit.isSuccess(exit)
    ? exit.value._tag === "Finished"
      ? `${exit.value.outcome}: ${exit.value.reason}`
      : exit.value._tag
    : "defect or failure",
  simulatedDurationMs,
  before: { rssBytes: before.rss, heapUsedBytes: before.heapUsed },
  peakHeapUsedBytes,
  // resourceUsage reports the peak resident set in kilobytes.
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  retainedHeapUsedBytes: process.memoryUsage().heapUsed,
}
process.stdout.write(`${JSON.stringify(probe)}\n`)
