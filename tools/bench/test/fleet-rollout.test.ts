/**
 * The fleet benchmark's fleet: its file decodes into the three stages it describes, and a small
 * fleet rolls to success with the bakes inside its simulated duration.
 */
import { describe, expect, it } from "vitest"
import { fleetBench, fleetFileOf } from "../src/fleet-rollout.ts"

describe("fleet benchmark", () => {
  it("rolls a 6-cluster fleet of three stages to success, bakes included in its simulated duration", async () => {
    const file = JSON.parse(fleetFileOf(6)) as { stages: ReadonlyArray<{ clusters: ReadonlyArray<unknown> }> }
    expect(file.stages.map((stage) => stage.clusters.length)).toEqual([1, 4, 1])
    const run = await fleetBench(6)
    expect(run.result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    expect(run.clusters).toBe(6)
    expect(run.simulatedMs).toBeGreaterThan(3_600_000 + 1_800_000)
    expect(run.assumeRoleCalls).toBeGreaterThanOrEqual(6)
  })
})
