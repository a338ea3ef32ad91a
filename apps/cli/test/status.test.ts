/**
 * `status` and `plan` on a cluster with an open run, against the simulator with a file event log in a
 * temporary directory: suspended vs running vs holder gone (the lock holder and when its lease
 * expires), end time and duration, each old instance, `plan` showing the open run's remaining steps
 * instead of a fresh plan, and `status --watch` following a run another invocation drives to its end
 * and exiting with the run's exit code.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { join } from "node:path"
import { makeFileEventLog } from "@ecs-ami-deploy/event-log"
import { ExitCode } from "../src/failure.ts"
import { journaledCalls, jsonLines, runInProcess, tempDir } from "./support.ts"

const cluster = ["--cluster", "small-cluster"]
const world = ["--simulator-state", "world.jsonl", "--event-log", "runs"]

/** A run of the small scenario stopped by its time limit: open, suspended, the lock released. */
const suspendedRun = async (cwd: string) => {
  const run = await runInProcess(
    [
      "upgrade-cluster",
      ...cluster,
      "--simulator",
      "small",
      ...world,
      "--yes",
      "--max-run-time",
      "3m",
      "-o",
      "json",
    ],
    { cwd },
  )
  expect(run.code).toBe(ExitCode.suspended)
  const started = jsonLines(run.stdout).find(
    (line) => line["type"] === "event" && (line["event"] as { _tag: string })._tag === "RunStarted",
  )?.["event"] as {
    runId: string
    at: number
    groups: ReadonlyArray<{ oldInstanceIds: ReadonlyArray<string> }>
  }
  return {
    runId: started.runId,
    startedAt: started.at,
    old: started.groups.flatMap((g) => [...g.oldInstanceIds]),
  }
}

/** Takes the cluster's lock in the file event log as another executor would. */
const takeLock = (cwd: string, holder: string, now: number, leaseMs: number) =>
  Effect.runPromise(
    makeFileEventLog({ directory: join(cwd, "runs") }).acquire({
      // The simulated world's account and Region (the scenario names none).
      accountId: "123456789012",
      region: "us-east-1",
      clusterName: "small-cluster",
      holder,
      leaseMs,
      now,
    }),
  )

describe("status of an open run", () => {
  it("says suspended when nobody holds the lock, running with the holder and its lease's expiry while one does, holder gone once the lease lapsed; lists every old instance", async () => {
    const cwd = tempDir("status-open")
    const { runId, old, startedAt } = await suspendedRun(cwd)

    const suspended = await runInProcess(["status", ...cluster, ...world], { cwd })
    expect(suspended.code).toBe(ExitCode.success)
    expect(suspended.stdout).toContain(`run ${runId} on small-cluster`)
    expect(suspended.stdout).toMatch(
      /state +suspended since \S+Z: stopped before the deadline .*`resume` continues it/,
    )
    for (const id of old) expect(suspended.stdout).toContain(id)

    // Another executor holds the lock: a lease far in the future is running, one in the past is a holder gone.
    const hour = 3_600_000
    const lease = await takeLock(cwd, "operator@laptop:4242", startedAt, hour)
    const running = await runInProcess(["status", ...cluster, ...world], { cwd })
    expect(running.stdout).toMatch(/state +running: locked by operator@laptop:4242, lease expires in \d/)
    const runningJson = jsonLines(
      (await runInProcess(["status", ...cluster, ...world, "-o", "json"], { cwd })).stdout,
    )[0]
    expect(runningJson?.["condition"]).toEqual({
      _tag: "Running",
      holder: "operator@laptop:4242",
      leaseExpiresAt: lease.expiresAt,
    })
    await Effect.runPromise(makeFileEventLog({ directory: join(cwd, "runs") }).release(lease))
    await takeLock(cwd, "crashed@host:1", startedAt, 1)
    const gone = await runInProcess(["status", ...cluster, ...world], { cwd })
    expect(gone.stdout).toMatch(
      /state +holder gone: crashed@host:1 stopped renewing its lease \S+ ago; `resume` takes the run over/,
    )
  })

  it("of a finished run, shows when it ended and how long it took", async () => {
    const cwd = tempDir("status-finished")
    const { startedAt } = await suspendedRun(cwd)
    const resumed = await runInProcess(["resume", ...cluster, ...world, "-o", "json"], { cwd })
    expect(resumed.code).toBe(ExitCode.success)
    const finished = jsonLines(resumed.stdout)
      .filter((line) => line["type"] === "event")
      .map((line) => line["event"] as { _tag: string; at: number })
      .find((event) => event._tag === "RunFinished")
    expect(finished).toBeDefined()
    const status = jsonLines(
      (await runInProcess(["status", ...cluster, ...world, "-o", "json"], { cwd })).stdout,
    )[0]
    expect(status?.["condition"]).toEqual({
      _tag: "Finished",
      outcome: "succeeded",
      endedAt: finished?.at,
      durationMs: (finished?.at ?? 0) - startedAt,
    })
    const text = await runInProcess(["status", ...cluster, ...world], { cwd })
    expect(text.stdout).toMatch(/state +finished succeeded at \S+Z, after \d+m/)
    expect(text.stdout).toMatch(/small-asg: 4 of 4 replaced/)
  })
})

describe("plan on a cluster with an open run", () => {
  it("says so and shows that run's remaining steps, not a fresh plan, and changes nothing", async () => {
    const cwd = tempDir("plan-open")
    const { runId, old } = await suspendedRun(cwd)
    const callsBefore = journaledCalls(join(cwd, "world.jsonl")).length
    const plan = await runInProcess(["plan", ...cluster, ...world], { cwd })
    expect(plan.code).toBe(ExitCode.success)
    expect(plan.stdout).toContain(`cluster small-cluster has an open run, ${runId}`)
    expect(plan.stdout).not.toContain("Cluster small-cluster: ready")
    expect(plan.stdout).toMatch(/remaining steps\n +small-asg: 0 of 4 replaced — /)
    for (const id of old) expect(plan.stdout).toContain(id)
    expect(plan.stdout).toContain("ecs-ami-deploy resume --cluster small-cluster")
    const json = jsonLines(
      (await runInProcess(["plan", ...cluster, ...world, "-o", "json"], { cwd })).stdout,
    )[0]
    expect(json).toMatchObject({ type: "open-run", runId, condition: { _tag: "Suspended" } })
    expect(journaledCalls(join(cwd, "world.jsonl"))).toHaveLength(callsBefore)
  })
})

describe("status --watch", () => {
  it("follows the run another invocation drives, prints its steps as they are recorded, and exits with the run's exit code once it ends", async () => {
    const cwd = tempDir("status-watch")
    await suspendedRun(cwd)
    // The watcher reads the event log the resume writes; its own fresh simulated world only answers who
    // and where it is (STS: the simulator's default account and Region, which key the runs).
    const watching = runInProcess(
      [
        "status",
        ...cluster,
        "--simulator",
        "small",
        "--event-log",
        "runs",
        "--watch",
        "--watch-interval",
        "20ms",
      ],
      { cwd },
    )
    const resumed = await runInProcess(["resume", ...cluster, ...world], { cwd })
    const watched = await watching
    expect(resumed.code).toBe(ExitCode.success)
    expect(watched.code).toBe(ExitCode.success)
    expect(watched.stdout).toMatch(/TerminateInstances: /)
    expect(watched.stdout).toMatch(/\nstate: finished succeeded at \S+Z, after \d+m\S*\n$/)
  })

  it("of a run that already ended, exits at once with its exit code", async () => {
    const cwd = tempDir("status-watch-ended")
    await suspendedRun(cwd)
    const rolledBack = await runInProcess(["rollback", ...cluster, ...world, "--yes"], { cwd })
    expect(rolledBack.code).toBe(ExitCode.rolledBack)
    const watched = await runInProcess(["status", ...cluster, ...world, "--watch"], { cwd })
    expect(watched.code).toBe(ExitCode.rolledBack)
    expect(watched.stdout).toMatch(/state: finished rolled-back at /)
  })
})
