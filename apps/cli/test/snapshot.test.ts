/**
 * `snapshot` copies a cluster into a scenario that `simulate` accepts. Given the simulated `multi-asg`
 * cluster, the copy keeps its groups and services, and simulate rolls it to success.
 */
import { describe, expect, it } from "vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { type Scenario, scenarios } from "ecs-ami-deploy/simulator"
import { ExitCode } from "../src/failure.ts"
import { journaledCalls, jsonLines, runInProcess, tempDir } from "./support.ts"

describe("snapshot", () => {
  it("given a simulated cluster, when it is snapshotted, then the scenario keeps its shape, nothing changed, and simulate rehearses it", async () => {
    const cwd = tempDir("snapshot")
    const original = scenarios["multi-asg"]
    const clusterName = original.clusters[0]?.name ?? "multi-asg has a cluster"
    const taken = await runInProcess(
      [
        "snapshot",
        "--cluster",
        clusterName,
        "--out",
        "copy.json",
        "--simulator",
        "multi-asg",
        "--simulator-state",
        "world.jsonl",
      ],
      { cwd },
    )
    expect(taken.stderr).toBe("")
    expect(taken.code).toBe(ExitCode.success)
    expect(journaledCalls(join(cwd, "world.jsonl"))).toEqual([])

    const copy = JSON.parse(readFileSync(join(cwd, "copy.json"), "utf8")) as Scenario
    const shape = (scenario: Scenario) => ({
      groups: scenario.groups
        .map((g) => [g.name, g.desiredCapacity, g.minSize, g.maxSize, [...g.availabilityZones].sort()])
        .sort(),
      services: scenario.services
        .map((s) => [s.name, s.desiredCount, s.minimumHealthyPercent, s.maximumPercent, s.cpu, s.memory])
        .sort(),
    })
    expect(shape(copy)).toEqual(shape(original))

    const rehearsed = await runInProcess(
      ["simulate", "--scenario", "copy.json", "--output", "json", "--report", "copy.html"],
      { cwd },
    )
    expect(rehearsed.code).toBe(ExitCode.success)
    expect(jsonLines(rehearsed.stdout).find((l) => l["type"] === "result")).toMatchObject({
      result: { _tag: "Finished", outcome: "succeeded" },
    })
  })
})
