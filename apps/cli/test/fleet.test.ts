/**
 * `fleet plan|apply|status` and `simulate --fleet`, in process: the README's example rehearsed, a
 * failing cluster that stops the fleet with the exit code of its outcome, bad fleet files refused
 * before anything runs, and status read back from the event log the rehearsal wrote.
 */
import { describe, expect, it } from "vitest"
import { writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { newImageId, scenarios } from "ecs-ami-deploy/simulator"
import { ExitCode } from "../src/failure.ts"
import { runInProcess, tempDir } from "./support.ts"

const example = resolve(import.meta.dirname, "../../../docs/examples/fleet.json")

const jsonLines = (text: string): ReadonlyArray<Record<string, unknown>> =>
  text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)

const failingFleet = JSON.stringify({
  fleet: "two-stages",
  defaults: { region: "eu-west-1" },
  stages: [
    {
      name: "first",
      clusters: [
        {
          cluster: "bad",
          simulate: {
            scenario: "small",
            faults: { agentNeverRegisters: { imageIds: ["ami-0a1b2c3d4e5f60002"] } },
          },
        },
      ],
    },
    { name: "second", clusters: [{ cluster: "never", simulate: { scenario: "small" } }] },
  ],
})

describe("fleet commands", () => {
  it("simulate --fleet on the committed example rolls its 6 clusters in 3 stages and succeeds", async () => {
    const cwd = tempDir("fleet-example")
    const run = await runInProcess(["simulate", "--fleet", example, "-o", "json"], { cwd })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const lines = jsonLines(run.stdout)
    const result = lines.find((line) => line["type"] === "fleet-result")
    expect(result).toMatchObject({
      result: { _tag: "Finished", outcome: "succeeded" },
      summary: { clusters: 6, assumeRoleCalls: expect.any(Number) },
    })
    const stages = lines.flatMap((line) => {
      const event = line["event"] as { _tag?: string; stage?: string } | undefined
      return event?._tag === "FleetStageStarted" ? [event.stage] : []
    })
    expect(stages).toEqual(["canary", "staging", "production"])
  })

  it("given a first-stage cluster whose new instances never register, then the fleet stops there with exit 4 and status says where", async () => {
    const cwd = tempDir("fleet-failing")
    writeFileSync(join(cwd, "fleet.json"), failingFleet)
    const run = await runInProcess(["simulate", "--fleet", "fleet.json", "--event-log", "log"], { cwd })
    expect(run.code).toBe(4)
    expect(run.stdout).toContain("caller/eu-west-1/bad of stage first ended rolled-back")
    expect(run.stdout).toContain("stage(s) second not started")
    expect(run.stdout).not.toContain("stage second started")

    const status = await runInProcess(["fleet", "status", "fleet.json", "--event-log", "log", "-o", "json"], {
      cwd,
    })
    expect(status.code).toBe(0)
    expect(jsonLines(status.stdout)[0]).toMatchObject({
      status: {
        status: "stopped",
        stoppedAt: { stage: "first", cluster: "caller/eu-west-1/bad", outcome: "rolled-back" },
        stages: [
          { name: "first", state: "rolling", clusters: [{ state: "rolled-back" }] },
          { name: "second", state: "not started", clusters: [{ state: "waiting" }] },
        ],
      },
    })
    const text = await runInProcess(["fleet", "status", "fleet.json", "--event-log", "log"], { cwd })
    expect(text.stdout).toMatch(/stage second: not started/)
  })

  it("given the canary's alarm goes into ALARM during its stage's bake, then the fleet stops there with exit 1 and status names stage, cluster and alarm", async () => {
    const cwd = tempDir("fleet-alarm")
    const small = scenarios["small"]
    writeFileSync(
      join(cwd, "alarming.json"),
      JSON.stringify({
        ...small,
        name: "alarming",
        // In ALARM once an instance on the new image has run 45 minutes: after the canary's run, in its bake.
        alarms: [
          {
            name: "CanaryErrors",
            triggers: [{ instanceOnImage: { imageId: newImageId, forMs: 2_700_000 } }],
          },
        ],
      }),
    )
    writeFileSync(
      join(cwd, "fleet.json"),
      JSON.stringify({
        fleet: "alarmed",
        defaults: { region: "eu-west-1" },
        stages: [
          {
            name: "canary",
            bakeMs: 3_600_000,
            clusters: [
              {
                cluster: "canary",
                policy: { alarms: ["CanaryErrors"] },
                simulate: { scenario: "alarming.json" },
              },
            ],
          },
          { name: "rest", clusters: [{ cluster: "rest", simulate: { scenario: "small" } }] },
        ],
      }),
    )
    const run = await runInProcess(["simulate", "--fleet", "fleet.json", "--event-log", "log"], { cwd })
    expect(run.code).toBe(ExitCode.failed)
    expect(run.stdout).toContain(
      "stage canary did not bake: caller/eu-west-1/canary: alarm CanaryErrors in ALARM since",
    )
    expect(run.stdout).toContain(
      "stage(s) rest not started; nothing was rolled back: caller/eu-west-1/canary keep",
    )
    expect(run.stdout).not.toContain("stage rest started")

    const status = await runInProcess(["fleet", "status", "fleet.json", "--event-log", "log", "-o", "json"], {
      cwd,
    })
    expect(jsonLines(status.stdout)[0]).toMatchObject({
      status: {
        status: "stopped",
        stoppedAt: { stage: "canary", cluster: "caller/eu-west-1/canary", alarm: "CanaryErrors" },
        stages: [
          { name: "canary", state: "alarm", clusters: [{ state: "succeeded" }] },
          { name: "rest", state: "not started" },
        ],
      },
    })
    const text = await runInProcess(["fleet", "status", "fleet.json", "--event-log", "log"], { cwd })
    expect(text.stdout).toMatch(
      /stage canary: alarm \(caller\/eu-west-1\/canary: alarm CanaryErrors in ALARM since/,
    )
  })

  it("fleet plan lists stages, batches, bakes and roles, and changes nothing", async () => {
    const cwd = tempDir("fleet-plan")
    const run = await runInProcess(["fleet", "plan", example, "--event-log", "log"], { cwd })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain("fleet platform")
    expect(run.stdout).toContain("stage 3 production: 3 cluster(s), 2 at a time")
    expect(run.stdout).toContain(
      "then bake 1h00m reading the clusters' 1 alarm(s) every 1m00s and at its end",
    )
    expect(run.stdout).toContain("333333333333/us-west-2/prod-web")
    expect(run.stdout).toContain("role arn:aws:iam::333333333333:role/ecs-ami-deploy-rollout")
  })

  it("given a bad fleet file, then every command refuses it with each problem and exit 2 before anything runs", async () => {
    const cwd = tempDir("fleet-bad")
    writeFileSync(
      join(cwd, "bad.json"),
      JSON.stringify({
        fleet: "f",
        stages: [
          { name: "s", clusters: [{ cluster: "a", region: "eu-west-1", role: "arn:aws:iam::12:role/x" }] },
        ],
        colour: "blue",
      }),
    )
    for (const argv of [
      ["simulate", "--fleet", "bad.json"],
      ["fleet", "plan", "bad.json"],
      ["fleet", "apply", "bad.json", "--yes"],
      ["fleet", "status", "bad.json"],
    ]) {
      const run = await runInProcess(argv, { cwd })
      expect(run.code, argv.join(" ")).toBe(2)
      expect(run.stderr).toContain("stages.0.clusters.0.role")
      expect(run.stderr).toContain("colour: unknown key")
      expect(run.stdout).toBe("")
    }
  })

  it("fleet apply refuses --simulator and points to simulate --fleet", async () => {
    const cwd = tempDir("fleet-apply-sim")
    const run = await runInProcess(["fleet", "apply", example, "--yes", "--simulator", "small"], { cwd })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("simulate --fleet")
  })
})
