/**
 * The rollout policy's own checks: impossible values are refused with the field and what to change.
 */
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { defaultPolicy, resolveAmount, validatePolicy, type RolloutPolicy } from "./policy.ts"

const problemsOf = (policy: RolloutPolicy) => {
  const result = validatePolicy(policy)
  return Result.isFailure(result) ? result.failure.problems : []
}

describe("validatePolicy", () => {
  it("given the default policy, then it is accepted unchanged", () => {
    const result = validatePolicy(defaultPolicy)
    expect(Result.isSuccess(result) && result.success).toEqual(defaultPolicy)
  })

  it.each<[string, Partial<RolloutPolicy>, string]>([
    ["surge with no surge", { maxSurge: { unit: "instances", value: 0 } }, "maxSurge"],
    ["no draining", { maxDraining: { unit: "percent", value: 0 } }, "maxDraining"],
    ["more than the whole group", { maxDraining: { unit: "percent", value: 150 } }, "maxDraining"],
    ["a zero timeout", { timeouts: { ...defaultPolicy.timeouts, drainWaveMs: 0 } }, "timeouts.drainWaveMs"],
    ["a busy poll", { pollIntervalMs: 0 }, "pollIntervalMs"],
    [
      "a run shorter than a phase",
      { timeouts: { ...defaultPolicy.timeouts, runMs: 60_000 } },
      "timeouts.runMs",
    ],
  ])("given %s, then it is refused naming %s with a fix", (_name, change, field) => {
    const problems = problemsOf({ ...defaultPolicy, ...change })
    const problem = problems.find((p) => p.field === field)
    expect(problem?.fix).toMatch(/\w/)
  })

  it("given detach mode, then a zero surge is not a problem", () => {
    expect(
      problemsOf({ ...defaultPolicy, capacityMode: "detach", maxSurge: { unit: "instances", value: 0 } }),
    ).toEqual([])
  })

  it("given several problems, then every one is reported and the message lists each field with its fix", () => {
    const result = validatePolicy({
      ...defaultPolicy,
      pollIntervalMs: 0,
      maxDraining: { unit: "instances", value: 0 },
    })
    expect(Result.isFailure(result)).toBe(true)
    if (Result.isFailure(result)) {
      expect(result.failure.problems.map((p) => p.field)).toEqual(["maxDraining", "pollIntervalMs"])
      expect(result.failure.message.split("\n")).toHaveLength(2)
      expect(result.failure.message).toContain("pollIntervalMs: ")
    }
  })
})

describe("resolveAmount", () => {
  it("given a percentage, then it rounds up so a small group still gets one instance", () => {
    expect(resolveAmount({ unit: "percent", value: 10 }, 3)).toBe(1)
    expect(resolveAmount({ unit: "percent", value: 50 }, 5)).toBe(3)
  })

  it("given an absolute amount, then it is used as is", () => {
    expect(resolveAmount({ unit: "instances", value: 4 }, 100)).toBe(4)
  })
})
