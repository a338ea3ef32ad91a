/**
 * Memory and wall time of one simulated rollout of a large cluster (`large-200` scaled to the given
 * instances, and tasks when given), measured in a process of its own (started by the benchmark with
 * --expose-gc): heap and RSS after a collection before the run, the heap sampled during it, the peak
 * RSS the process reached and the run's wall and CPU time. Prints one JSON line.
 *
 *   node --expose-gc --conditions=@ecs-ami-deploy/source tools/bench/src/memory-probe.ts [instances [tasks]]
 */
import { Exit } from "effect"
import { makeSimulation } from "@ecs-ami-deploy/simulator"
import { BENCH_SEED, enginePolicy } from "./contenders.ts"
import { runEngine } from "./engine.ts"
import { instanceCount, scaledLarge } from "./scenarios.ts"

/** What the probe prints. */
export interface MemoryProbe {
  readonly scenario: string
  readonly runStatus: string
  readonly instances: number
  readonly tasks: number
  readonly simulatedDurationMs: number
  /** Real time of the rollout alone (building the simulation included). */
  readonly wallMs: number
  /** CPU time (user + system) the process spent on it: what the machine's load does not stretch. */
  readonly cpuMs?: number
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
const [instancesArgument, tasksArgument] = process.argv.slice(2)
const scenario = scaledLarge(
  Number(instancesArgument ?? 500),
  tasksArgument === undefined ? undefined : Number(tasksArgument),
)
const began = performance.now()
const cpuBefore = process.cpuUsage()
const simulation = makeSimulation(scenario, { seed: BENCH_SEED })
const { exit } = await runEngine(simulation, enginePolicy)
const wallMs = performance.now() - began
const cpu = process.cpuUsage(cpuBefore)
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
  instances: instanceCount(scenario),
  tasks: scenario.services.reduce((sum, service) => sum + service.desiredCount, 0),
  simulatedDurationMs,
  wallMs,
  cpuMs: (cpu.user + cpu.system) / 1000,
  before: { rssBytes: before.rss, heapUsedBytes: before.heapUsed },
  peakHeapUsedBytes,
  // resourceUsage reports the peak resident set in kilobytes.
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  retainedHeapUsedBytes: process.memoryUsage().heapUsed,
}
process.stdout.write(`${JSON.stringify(probe)}\n`)
