/**
 * Gates and checkpoints from the command line, on a simulated world kept in a state file: an alarm
 * that fires during a wave rolls the run back, named in the text, the JSON result and the summary;
 * a checkpoint suspends the run (exit 75), `status` says how to continue, `continue` finishes it.
 */
import { describe, expect, it } from "vitest"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { scenarios } from "ecs-ami-deploy/simulator"
import { ExitCode } from "../src/failure.ts"
import { journaledCalls, jsonLines, runInProcess, tempDir } from "./support.ts"

const cluster = ["--cluster", "small-cluster"]

describe("alarm gate", () => {
  it("given the new-image-alarm scenario and --alarm HighErrors, when simulated, then the run rolls back and names the alarm in the result and the summary", async () => {
    const cwd = tempDir("gate-alarm")
    const argv = ["simulate", "--scenario", "new-image-alarm", "--alarm", "HighErrors", "--report", "r.html"]
    const text = await runInProcess(argv, { cwd })
    expect(text.stdout).toMatch(/gate failed: alarm HighErrors: in ALARM since .* — rolling back/)
    expect(text.stdout).toMatch(/stopped by +alarm HighErrors: in ALARM since/)
    const json = await runInProcess([...argv, "-o", "json"], { cwd })
    const result = jsonLines(json.stdout).find((entry) => entry["type"] === "result")
    expect(result).toMatchObject({
      result: { outcome: "rolled-back", gate: { kind: "alarm", name: "HighErrors" } },
    })
    expect(json.code).toBe(text.code)
    expect(text.code).not.toBe(ExitCode.success)
  })
})

describe("target health gate", () => {
  it("given targets on the new image that fail their health checks, when simulated, then the run rolls back naming the service and target group; --no-target-health-gate lets it finish", async () => {
    const cwd = tempDir("gate-target-health")
    const argv = ["simulate", "--scenario", "new-image-unhealthy-targets", "--report", "r.html", "-o", "json"]
    const gated = await runInProcess(argv, { cwd })
    const result = jsonLines(gated.stdout).find((entry) => entry["type"] === "result")
    expect(result).toMatchObject({
      result: {
        outcome: "rolled-back",
        gate: {
          kind: "service",
          detail: expect.stringMatching(/^target group (web|api) has \d+ healthy target/),
        },
      },
    })
    expect(gated.code).not.toBe(ExitCode.success)
    const ungated = await runInProcess([...argv, "--no-target-health-gate"], { cwd })
    expect(jsonLines(ungated.stdout).find((entry) => entry["type"] === "result")).toMatchObject({
      result: { outcome: "succeeded" },
    })
  })
})

describe("a run that may not start under its alarms", () => {
  it.each([
    ["does not exist", "Nope", /alarm Nope: not found in this account and Region/],
    ["is in ALARM", "HighErrors", /alarm HighErrors: in ALARM since/],
  ])(
    "given an alarm that %s, when upgrade-cluster runs, then it refuses naming it and changes nothing",
    async (_, alarm, says) => {
      const cwd = tempDir("gate-refusal")
      writeFileSync(
        join(cwd, "alarmed.json"),
        JSON.stringify({ ...scenarios.small, alarms: [{ name: "HighErrors", triggers: [{ atMs: 0 }] }] }),
      )
      const world = ["--simulator", "alarmed.json", "--simulator-state", "world.jsonl"]
      const run = await runInProcess(["upgrade-cluster", ...cluster, ...world, "--alarm", alarm, "--yes"], {
        cwd,
      })
      expect(run.stdout).toMatch(says)
      expect(run.code).toBe(ExitCode.failed)
      expect(journaledCalls(join(cwd, "world.jsonl"))).toEqual([])
    },
  )
})

describe("checkpoints", () => {
  it("given --checkpoint 50%, when the run reaches it, then it suspends, status says how to continue, and continue finishes it", async () => {
    const cwd = tempDir("checkpoint")
    const world = ["--simulator", "small", "--simulator-state", "world.jsonl"]
    const upgrade = await runInProcess(
      ["upgrade-cluster", ...cluster, ...world, "--checkpoint", "50%", "--yes"],
      {
        cwd,
      },
    )
    expect(upgrade.code).toBe(ExitCode.suspended)
    expect(upgrade.stdout).toContain(
      "continue past the checkpoint with: ecs-ami-deploy continue --cluster small-cluster",
    )
    const status = await runInProcess(["status", ...cluster, "--simulator-state", "world.jsonl"], { cwd })
    expect(status.stdout).toMatch(
      /waiting at checkpoint 50% since .*; run `ecs-ami-deploy continue --cluster small-cluster`/,
    )
    const resumed = await runInProcess(["resume", ...cluster, "--simulator-state", "world.jsonl"], { cwd })
    expect(resumed.code).toBe(ExitCode.suspended)
    const continued = await runInProcess(
      ["continue", ...cluster, "--simulator-state", "world.jsonl", "--by", "alice"],
      { cwd },
    )
    expect(continued.code).toBe(ExitCode.success)
    expect(continued.stdout).toContain("replaced        4 of 4 old instance(s)")
    const history = await runInProcess(["history", ...cluster, "--simulator-state", "world.jsonl"], { cwd })
    expect(history.stdout).toContain("continued past checkpoint 50% (alice)")
  })
})
