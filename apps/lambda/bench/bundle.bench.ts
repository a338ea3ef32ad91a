/**
 * Bundle benchmark: builds the Lambda bundle, then prints its size in bytes and the median time a
 * fresh `node` process takes to import it (what a cold start pays before the first event), over N
 * processes. Wall time depends on how busy the machine is, so the CPU time the import used and the
 * load average are printed too, and an empty module's import time as the machine's baseline.
 *
 *   node apps/lambda/bench/bundle.bench.ts [N=9]
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir } from "node:os"
import path from "node:path"
import { pathToFileURL } from "node:url"
import { bundleLambda } from "../scripts/bundle.ts"

const runs = Number(process.argv[2] ?? "9")

/** The configuration the module checks when it loads; nothing is called at import. */
const lambdaEnvironment = {
  ...process.env,
  CLUSTERS: "bench",
  EVENT_LOG_TABLE: "bench",
  AWS_LAMBDA_FUNCTION_NAME: "bench",
  AWS_REGION: "us-east-1",
}

interface ImportTiming {
  readonly wallMs: number
  readonly cpuMs: number
}

const timeImport = (file: string): ImportTiming => {
  const script = [
    "const wall = performance.now(), cpu = process.cpuUsage()",
    `await import(${JSON.stringify(pathToFileURL(file).href)})`,
    "const used = process.cpuUsage(cpu)",
    "process.stdout.write(JSON.stringify({ wallMs: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 }))",
  ].join("; ")
  return JSON.parse(
    execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      env: lambdaEnvironment,
      encoding: "utf8",
    }),
  ) as ImportTiming
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

const { outfile, bytes } = await bundleLambda()
const emptyModule = path.join(mkdtempSync(path.join(tmpdir(), "bundle-bench-")), "empty.mjs")
writeFileSync(emptyModule, "export {}\n")

const bundleTimes = Array.from({ length: runs }, () => timeImport(outfile))
const baselineTimes = Array.from({ length: runs }, () => timeImport(emptyModule))
const wall = bundleTimes.map((timing) => timing.wallMs)

console.log(
  `node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
    .map((load) => load.toFixed(1))
    .join(" ")}`,
)
console.log(`bundle size: ${bytes} bytes (${(bytes / 1024 / 1024).toFixed(2)} MiB)`)
console.log(
  `bundle import over ${runs} fresh processes: median ${median(wall).toFixed(0)} ms wall ` +
    `(min ${Math.min(...wall).toFixed(0)}, max ${Math.max(...wall).toFixed(0)}), ` +
    `median ${median(bundleTimes.map((timing) => timing.cpuMs)).toFixed(0)} ms CPU`,
)
console.log(
  `empty module import (baseline): median ${median(baselineTimes.map((timing) => timing.wallMs)).toFixed(1)} ms wall`,
)
