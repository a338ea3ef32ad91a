/**
 * Micro-benchmarks, each reused from its owner rather than copied: the planner's decide/fold script
 * (packages/planner/bench) and the Lambda's bundle script (apps/lambda/bench) run as child processes
 * and their printed figures are parsed; the memory and wall time of large simulated rollouts (500
 * instances; 1,000 instances / 3,000 tasks) are measured by memory-probe.ts in a process of its own with --expose-gc. A missing or failing script is reported
 * as not measured, with the reason, instead of stopping the benchmark.
 */
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import type { MemoryProbe } from "./memory-probe.ts"

const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..")
const sourceCondition = "--conditions=@ecs-ami-deploy/source"

const plannerBenchScript = "packages/planner/bench/decide.bench.ts"
const lambdaBenchScript = "apps/lambda/bench/bundle.bench.ts"
const memoryProbeScript = "tools/bench/src/memory-probe.ts"

/** A figure, or why there is none. */
export type Measured<A> =
  { readonly measured: true; readonly value: A } | { readonly measured: false; readonly reason: string }

export interface PlannerFigures {
  /** The planner script's first line (cluster size, runs, Node version). */
  readonly setup: string
  /** Median milliseconds by case, as the script names them. */
  readonly medianMs: Readonly<Record<string, number>>
}

export interface LambdaFigures {
  readonly bundleBytes: number
  readonly importRuns: number
  readonly importMedianWallMs: number
  readonly importMedianCpuMs: number
  readonly emptyModuleMedianWallMs: number
  /** The script's line on the machine (Node, CPUs, load average). */
  readonly machine: string
}

/** Reads the planner script's output: a setup line, then `<case>   <median> ms` lines. */
export const parsePlannerOutput = (output: string): PlannerFigures => {
  const lines = output.trim().split("\n")
  const medianMs: Record<string, number> = {}
  for (const line of lines.slice(1)) {
    const match = /^(.+?)\s+(\d+(?:\.\d+)?) ms$/.exec(line.trim())
    if (match?.[1] !== undefined && match[2] !== undefined) medianMs[match[1]] = Number(match[2])
  }
  if (Object.keys(medianMs).length === 0)
    throw new Error(`no figure in the planner benchmark's output: ${output}`)
  return { setup: lines[0] ?? "", medianMs }
}

const numberAfter = (output: string, pattern: RegExp, what: string): number => {
  const match = pattern.exec(output)
  if (match?.[1] === undefined) throw new Error(`no ${what} in the Lambda benchmark's output: ${output}`)
  return Number(match[1])
}

/** Reads the Lambda script's output (bundle size, import medians over fresh processes, the empty-module baseline). */
export const parseLambdaOutput = (output: string): LambdaFigures => ({
  bundleBytes: numberAfter(output, /bundle size: (\d+) bytes/, "bundle size"),
  importRuns: numberAfter(output, /bundle import over (\d+) fresh processes/, "import run count"),
  importMedianWallMs: numberAfter(
    output,
    /bundle import over \d+ fresh processes: median (\d+(?:\.\d+)?) ms wall/,
    "import wall time",
  ),
  importMedianCpuMs: numberAfter(output, /median (\d+(?:\.\d+)?) ms CPU/, "import CPU time"),
  emptyModuleMedianWallMs: numberAfter(
    output,
    /empty module import \(baseline\): median (\d+(?:\.\d+)?) ms wall/,
    "baseline import time",
  ),
  machine: output.split("\n")[0] ?? "",
})

const runScript = (
  script: string,
  args: ReadonlyArray<string>,
  nodeFlags: ReadonlyArray<string> = [],
): string =>
  execFileSync(process.execPath, [...nodeFlags, sourceCondition, script, ...args], {
    cwd: workspaceRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  })

const measuredBy = <A>(script: string, read: () => A): Measured<A> => {
  if (!existsSync(path.join(workspaceRoot, script)))
    return { measured: false, reason: `${script} does not exist yet` }
  try {
    return { measured: true, value: read() }
  } catch (error) {
    return {
      measured: false,
      reason: `${script} failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
    }
  }
}

export const measurePlanner = (): Measured<PlannerFigures> =>
  measuredBy(plannerBenchScript, () => parsePlannerOutput(runScript(plannerBenchScript, [])))

export const measureLambda = (importRuns: number): Measured<LambdaFigures> =>
  measuredBy(lambdaBenchScript, () => parseLambdaOutput(runScript(lambdaBenchScript, [String(importRuns)])))

/** Memory (and wall time) of a simulated rollout of `large-200` scaled to `instances` (and `tasks`). */
export const measureMemory = (instances: number, tasks?: number): Measured<MemoryProbe> =>
  measuredBy(
    memoryProbeScript,
    () =>
      JSON.parse(
        runScript(
          memoryProbeScript,
          [String(instances), ...(tasks === undefined ? [] : [String(tasks)])],
          ["--expose-gc"],
        ),
      ) as MemoryProbe,
  )
