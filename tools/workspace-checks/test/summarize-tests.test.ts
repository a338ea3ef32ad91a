/** The CI closing line must count every test of every project, and never turn a broken run into a pass. */
import { describe, expect, it } from "vitest"
import { countsOf, sum, summaryLine } from "../src/summarize-tests.ts"

const report = (over: Partial<Record<string, unknown>>) => ({
  numPassedTests: 3,
  numFailedTests: 1,
  numPendingTests: 2,
  numTodoTests: 1,
  numFailedTestSuites: 0,
  testResults: [{ assertionResults: [{}, {}, {}, {}] }],
  ...over,
})

describe("summarize-tests", () => {
  it("counts passed, failed, and skipped (pending + todo) tests of one report", () => {
    expect(countsOf(report({}))).toEqual({ passed: 3, failed: 1, skipped: 3 })
  })

  it("counts a test file that failed to load as a failure", () => {
    const broken = report({
      numFailedTestSuites: 1,
      testResults: [{ assertionResults: [] }, { assertionResults: [{}] }],
    })
    expect(countsOf(broken).failed).toBe(2)
  })

  it("counts an unreadable report as a failure", () => {
    expect(countsOf(undefined)).toEqual({ passed: 0, failed: 1, skipped: 0 })
    expect(countsOf({ numPassedTests: "3" })).toEqual({ passed: 0, failed: 1, skipped: 0 })
  })

  it("sums projects and prints the line CI machines read", () => {
    const total = sum([
      countsOf(report({})),
      countsOf(report({ numFailedTests: 0, numPendingTests: 0, numTodoTests: 0 })),
    ])
    expect(summaryLine(total)).toBe("6 passed, 1 failed, 3 skipped")
    expect(summaryLine({ passed: 5, failed: 0, skipped: 0 })).toBe("5 passed, 0 failed")
  })
})
