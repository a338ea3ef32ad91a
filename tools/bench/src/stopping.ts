/**
 * How the CLI stops when its operator goes away (issue 14 item 7): Ctrl-C (SIGINT), a closed terminal
 * or SSH session (SIGHUP) and a closed output pipe (`| head`, EPIPE) must each end like the others —
 * the suspension recorded with what happened, the lease released, a non-zero exit of its own. Each is
 * measured on the CLI as a process (its sources, on this Node), rolling out the simulated `large-200`
 * with a local file event log, interrupted once its first drain wave starts; the log is then read.
 */
import { spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { Effect } from "effect"
import { makeFileEventLog } from "@ecs-ami-deploy/event-log"
import { makeSimulation, scenarios } from "@ecs-ami-deploy/simulator"

const cliMain = path.resolve(import.meta.dirname, "../../../apps/cli/src/main.ts")
const scenario = scenarios["large-200"]
const clusterName = "large-200-cluster"

export type StopKind = "SIGINT" | "SIGHUP" | "close-output"

export interface StopResult {
  readonly how: StopKind
  /** The CLI's exit code (128 + signal for a signal it re-raised). */
  readonly exitCode: number
  /** Milliseconds from the signal (or the closed pipe) to the process's exit. */
  readonly exitAfterMs: number
  /** The reason of the run's last `RunSuspended` event, if one was recorded. */
  readonly recordedReason: string | undefined
  /** Whether the cluster's lock was free afterwards (released, not left to run out). */
  readonly lockReleased: boolean
}

const runInterrupted = (how: StopKind, cwd: string, eventLogDirectory: string) =>
  new Promise<{ readonly exitCode: number; readonly exitAfterMs: number }>((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        "--conditions=@ecs-ami-deploy/source",
        cliMain,
        "upgrade-cluster",
        "--cluster",
        clusterName,
        "--simulator",
        scenario.name,
        "--simulator-state",
        "world.jsonl",
        "--event-log",
        eventLogDirectory,
        "--yes",
        "--unsafe-services",
        "proceed",
      ],
      {
        cwd,
        env: { PATH: process.env["PATH"] ?? "", HOME: cwd, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    )
    let stdout = ""
    let stoppedAt: number | undefined
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      if (stoppedAt !== undefined || !/DrainInstances: drain wave 1/.test(stdout)) return
      stoppedAt = performance.now()
      if (how === "close-output") child.stdout.destroy()
      else child.kill(how)
    })
    child.stderr.resume()
    child.on("error", fail)
    child.on("close", (code, signal) =>
      done({
        exitCode: code ?? (signal === null ? -1 : 128 + os.constants.signals[signal]),
        exitAfterMs: stoppedAt === undefined ? Number.NaN : performance.now() - stoppedAt,
      }),
    )
  })

/** Stops one CLI rollout the given way and reads what it left in its event log. */
export const stopCli = async (how: StopKind): Promise<StopResult> => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), `ecs-ami-deploy-stop-${how}-`))
  const eventLogDirectory = path.join(cwd, "event-log")
  const { exitCode, exitAfterMs } = await runInterrupted(how, cwd, eventLogDirectory)
  const simulation = makeSimulation(scenario)
  const cluster = { accountId: simulation.accountId, region: simulation.region, clusterName }
  const eventLog = makeFileEventLog({ directory: eventLogDirectory })
  const { events, lock } = await Effect.runPromise(
    Effect.gen(function* () {
      const [run] = yield* eventLog.runs(cluster)
      return {
        events: run === undefined ? [] : yield* eventLog.load(run.runId),
        lock: yield* eventLog.lock(cluster),
      }
    }),
  )
  const suspended = events.filter((event) => event._tag === "RunSuspended").at(-1)
  return {
    how,
    exitCode,
    exitAfterMs,
    recordedReason: suspended?._tag === "RunSuspended" ? suspended.reason : undefined,
    lockReleased: lock === undefined,
  }
}

/** The three ways, run side by side. */
export const stoppingFigures = (): Promise<ReadonlyArray<StopResult>> =>
  Promise.all((["SIGINT", "SIGHUP", "close-output"] as const).map(stopCli))
