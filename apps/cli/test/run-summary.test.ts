/**
 * How a rollout invocation looks on a terminal and how it ends: every step stays in the scrollback
 * (the figures block is redrawn under it, never over it), and the run's summary closes the output —
 * duration, instances replaced, skipped with reasons, extra capacity, AWS requests — folded from the
 * whole event log, so a resumed run is summarised from its start.
 */
import { describe, expect, it } from "vitest"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { scenarios } from "ecs-ami-deploy/simulator"
import { ExitCode } from "../src/failure.ts"
import { journaledCalls, jsonLines, runInProcess, tempDir } from "./support.ts"

const world = ["--simulator", "small", "--simulator-state", "world.jsonl"]
const cluster = ["--cluster", "small-cluster"]

/**
 * What stays on a terminal after the output: each "cursor up n lines, clear to the end" removes the
 * last n lines written, as a terminal does.
 */
const escape = String.fromCharCode(27)
const eraseLines = new RegExp(`(${escape}\\[\\d+A${escape}\\[0J)`)
const scrollback = (output: string): ReadonlyArray<string> => {
  const lines: Array<string> = []
  let pending = ""
  for (const part of output.split(eraseLines)) {
    const erase = new RegExp(`^${escape}\\[(\\d+)A${escape}\\[0J$`).exec(part)
    if (erase !== null) {
      lines.splice(lines.length - Number(erase[1]))
      continue
    }
    const pieces = (pending + part).split("\n")
    pending = pieces.pop() ?? ""
    lines.push(...pieces)
  }
  return lines
}

interface Summary {
  readonly runId: string
  readonly durationMs: number
  readonly oldInstances: number
  readonly replaced: number
  readonly skipped: ReadonlyArray<{ readonly instanceId: string; readonly reason: string }>
  readonly peakExtraInstances: number
  readonly awsRequests: number
}
const summaryIn = (stdout: string) =>
  jsonLines(stdout).find((line) => line["type"] === "summary")?.["summary"] as Summary

describe("progress on a terminal", () => {
  it("keeps every drain and terminate step in the scrollback and ends with the run's summary", async () => {
    const cwd = tempDir("scrollback")
    const run = await runInProcess(["upgrade-cluster", ...cluster, ...world], {
      cwd,
      interactive: true,
      answer: true,
    })
    expect(run.code).toBe(ExitCode.success)
    const screen = scrollback(run.stdout)
    const drains = journaledCalls(join(cwd, "world.jsonl")).filter(
      (call) => call.method === "updateContainerInstancesState",
    )
    expect(drains.length).toBeGreaterThan(0)
    // Each wave's drain and terminate line is on screen once the run is over.
    expect(screen.filter((row) => /^\[\+\S+\] DrainInstances: /.test(row))).toHaveLength(drains.length)
    expect(screen.filter((row) => /^\[\+\S+\] TerminateInstances: /.test(row)).length).toBeGreaterThan(0)
    const summaryAt = screen.findIndex((row) => row.startsWith("summary of run "))
    expect(summaryAt).toBeGreaterThan(0)
    expect(screen.slice(summaryAt)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}duration {8}\d/),
        "  replaced        4 of 4 old instance(s)",
        "  skipped         none",
        expect.stringMatching(/^ {2}extra capacity {2}up to \+\d+ instance/),
        expect.stringMatching(/^ {2}AWS requests {4}\d+ \(this invocation\)$/),
      ]),
    )
  })
})

/** The small scenario with one instance protected from scale-in, as protected.json in `cwd`. */
const writeProtectedScenario = (cwd: string) =>
  writeFileSync(
    join(cwd, "protected.json"),
    JSON.stringify({
      ...scenarios.small,
      name: "protected",
      groups: scenarios.small.groups.map((group) => ({ ...group, initialProtected: 1 })),
    }),
  )

/** Continues the world protected.json started (the state file holds it now: no --simulator again), skipping protected instances. */
const upgradeProtected = [
  "upgrade-cluster",
  ...cluster,
  "--simulator-state",
  "world.jsonl",
  "--protected-instances",
  "skip",
  "--yes",
]

describe("the summary a run ends with", () => {
  it("names what the policy skipped with the CLI's flags, in the plan and in the summary", async () => {
    const cwd = tempDir("summary-words")
    writeProtectedScenario(cwd)
    const plan = await runInProcess(
      [
        "plan",
        ...cluster,
        "--simulator",
        "protected.json",
        "--simulator-state",
        "world.jsonl",
        "--protected-instances",
        "skip",
      ],
      { cwd },
    )
    const run = await runInProcess(upgradeProtected, { cwd })
    for (const output of [plan.stdout, run.stdout.slice(run.stdout.indexOf("summary of run"))]) {
      expect(output).toMatch(/i-\S+: scale-in protected \(--protected-instances skip\)/)
      expect(output).not.toContain("protectedInstances")
    }
  })

  it("counts the outdated instances replaced, names the skipped ones with their reason, and the AWS requests sent", async () => {
    const cwd = tempDir("summary")
    writeProtectedScenario(cwd)
    const sim = ["--simulator", "protected.json", "--simulator-state", "world.jsonl"]
    const plan = await runInProcess(
      ["plan", ...cluster, ...sim, "--protected-instances", "skip", "-o", "json"],
      { cwd },
    )
    const planned = jsonLines(plan.stdout)[0]?.["plan"] as {
      groups: ReadonlyArray<{
        outdatedInstanceIds: ReadonlyArray<string>
        skippedInstances: ReadonlyArray<{ instanceId: string; reason: string }>
      }>
    }
    const skippedByPlan = planned.groups.flatMap((group) => group.skippedInstances)
    expect(skippedByPlan).toHaveLength(1)
    const run = await runInProcess([...upgradeProtected, "-o", "json"], { cwd })
    // How the fleet audit rates a run that leaves a protected instance is not this test's subject.
    expect([ExitCode.success, ExitCode.mixedFleet]).toContain(run.code)
    const summary = summaryIn(run.stdout)
    // Every instance the plan called outdated was replaced; the protected one was left, with its reason.
    const outdated = planned.groups.flatMap((group) => group.outdatedInstanceIds)
    expect(outdated.length).toBeGreaterThan(0)
    expect(summary.oldInstances).toBe(outdated.length)
    expect(summary.replaced).toBe(outdated.length)
    expect(summary.skipped).toEqual(skippedByPlan)
    expect(summary.awsRequests).toBeGreaterThan(0)
    expect(summary.peakExtraInstances).toBeGreaterThan(0)
  })

  it("after a resume, covers the whole run from its start, not only the resumed part", async () => {
    const cwd = tempDir("summary-resume")
    const first = await runInProcess(
      ["upgrade-cluster", ...cluster, ...world, "--yes", "--max-run-time", "3m", "-o", "json"],
      { cwd },
    )
    expect(first.code).toBe(ExitCode.suspended)
    const suspended = summaryIn(first.stdout)
    expect(suspended.replaced).toBeLessThan(suspended.oldInstances)
    const resumed = await runInProcess(["resume", ...cluster, ...world, "-o", "json"], { cwd })
    expect(resumed.code).toBe(ExitCode.success)
    const whole = summaryIn(resumed.stdout)
    expect(whole.runId).toBe(suspended.runId)
    expect(whole.replaced).toBe(whole.oldInstances)
    expect(whole.durationMs).toBeGreaterThan(suspended.durationMs)
    const events = jsonLines(resumed.stdout).filter((line) => line["type"] === "event")
    const firstResumedAt = (events[0]?.["event"] as { at: number }).at
    const lastAt = (events.at(-1)?.["event"] as { at: number }).at
    // Longer than the resumed part alone: it counts from the run's start.
    expect(whole.durationMs).toBeGreaterThan(lastAt - firstResumedAt)
  })
})

describe("the summary of a run another actor scaled in", () => {
  it("names old instances Auto Scaling terminated for the other actor as gone by other hands, not as skipped by a policy", async () => {
    const cwd = tempDir("actor-summary")
    const file = join(cwd, "actor.json")
    writeFileSync(
      file,
      JSON.stringify({
        ...scenarios.small,
        faults: { desiredCapacityChanges: [{ atMs: 60_000, groupName: "small-asg", desiredCapacity: 3 }] },
      }),
    )
    const run = await runInProcess(["simulate", "--scenario", file, "-o", "json"], { cwd })
    // simulate's summary line carries the run's own summary under `run`.
    const summary = jsonLines(run.stdout).find((line) => line["type"] === "summary")?.["run"] as Summary
    expect(summary.replaced).toBeLessThan(summary.oldInstances)
    expect(summary.skipped.length).toBe(summary.oldInstances - summary.replaced)
    for (const skip of summary.skipped) {
      expect(skip.reason).toContain("terminated by other hands")
      expect(skip.reason).not.toContain("skip-instance")
    }
  })
})
