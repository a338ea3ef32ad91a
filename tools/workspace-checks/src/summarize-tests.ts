/**
 * Sums the JSON reports that every project's vitest run writes under `reports/vitest/` into the one
 * closing line CI machines read: `N passed, N failed, N skipped`. A report that cannot be read, or
 * a test file that failed to load (a suite error with no tests), counts as a failure, never as nothing.
 */
import { readdirSync, readFileSync } from "node:fs"
import path from "node:path"

export interface TestCounts {
  readonly passed: number
  readonly failed: number
  readonly skipped: number
}

interface VitestJsonReport {
  readonly numPassedTests: number
  readonly numFailedTests: number
  readonly numPendingTests: number
  readonly numTodoTests: number
  readonly numFailedTestSuites: number
  readonly testResults: ReadonlyArray<{ readonly assertionResults: ReadonlyArray<unknown> }>
}

const isReport = (value: unknown): value is VitestJsonReport =>
  typeof value === "object" &&
  value !== null &&
  ["numPassedTests", "numFailedTests", "numPendingTests", "numTodoTests", "numFailedTestSuites"].every(
    (key) => typeof (value as Record<string, unknown>)[key] === "number",
  ) &&
  Array.isArray((value as Record<string, unknown>)["testResults"])

/** Counts of one parsed report; suites that failed without running any test count as one failure each. */
export const countsOf = (report: unknown): TestCounts => {
  if (!isReport(report)) return { passed: 0, failed: 1, skipped: 0 }
  const brokenFiles = report.testResults.filter((file) => file.assertionResults.length === 0).length
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + Math.min(brokenFiles, report.numFailedTestSuites),
    skipped: report.numPendingTests + report.numTodoTests,
  }
}

export const sum = (all: ReadonlyArray<TestCounts>): TestCounts =>
  all.reduce(
    (a, b) => ({ passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped }),
    {
      passed: 0,
      failed: 0,
      skipped: 0,
    },
  )

export const summaryLine = ({ passed, failed, skipped }: TestCounts): string =>
  `${passed} passed, ${failed} failed` + (skipped > 0 ? `, ${skipped} skipped` : "")

const readReport = (file: string): unknown => {
  try {
    return JSON.parse(readFileSync(file, "utf8"))
  } catch {
    return undefined
  }
}

if (import.meta.main) {
  const dir = process.argv[2] ?? "reports/vitest"
  const files = readdirSync(dir).filter((f) => f.endsWith(".json"))
  const total = sum(files.map((f) => countsOf(readReport(path.join(dir, f)))))
  console.log(summaryLine(total))
  process.exitCode = total.failed > 0 || total.passed === 0 ? 1 : 0
}
