import { describe, expect, it } from "vitest"
import { parseLambdaOutput, parsePlannerOutput } from "../src/micro.ts"

describe("reading the owners' benchmark scripts", () => {
  it("given the planner script's output, then each case's median is read by its name", () => {
    const output = [
      "1000 instances, 500 services, 5000 tasks; median of 15 runs (Node 24.21.0)",
      "decide, no run (plan + Start)                    25.56 ms",
      "fold of 10,000 events                            21.13 ms",
    ].join("\n")
    expect(parsePlannerOutput(output)).toEqual({
      setup: "1000 instances, 500 services, 5000 tasks; median of 15 runs (Node 24.21.0)",
      medianMs: { "decide, no run (plan + Start)": 25.56, "fold of 10,000 events": 21.13 },
    })
  })

  it("given output without a figure, then reading it fails instead of reporting nothing", () => {
    expect(() => parsePlannerOutput("something else")).toThrow(/no figure/)
  })

  it("given the Lambda script's output, then size, import medians and the baseline are read", () => {
    const output = [
      "node v24.21.0, 2 CPUs, load average 13.0 16.3 12.5",
      "bundle size: 1823038 bytes (1.74 MiB)",
      "bundle import over 5 fresh processes: median 1098 ms wall (min 665, max 1358), median 248 ms CPU",
      "empty module import (baseline): median 21.3 ms wall",
    ].join("\n")
    expect(parseLambdaOutput(output)).toEqual({
      bundleBytes: 1823038,
      importRuns: 5,
      importMedianWallMs: 1098,
      importMedianCpuMs: 248,
      emptyModuleMedianWallMs: 21.3,
      machine: "node v24.21.0, 2 CPUs, load average 13.0 16.3 12.5",
    })
  })
})
