/** Durations as the flags read them: one unit or several together (`1h30m`), and one clear error otherwise. */
import { describe, expect, it } from "vitest"
import { Effect, Exit } from "effect"
import { parseDuration } from "../src/flags.ts"

const parse = (text: string) => Effect.runSyncExit(parseDuration("drain-timeout", text))
const millis = (text: string) => {
  const exit = parse(text)
  return Exit.isSuccess(exit) ? exit.value : undefined
}
const problem = (text: string) => {
  const exit = parse(text)
  return Exit.isFailure(exit) && exit.cause.reasons[0]?._tag === "Fail"
    ? exit.cause.reasons[0].error.problem
    : undefined
}

describe("parseDuration", () => {
  it("given one unit or several together, then it adds them up", () => {
    expect([
      millis("500ms"),
      millis("90s"),
      millis("15m"),
      millis("1.5h"),
      millis("1h30m"),
      millis("2m30s"),
      millis("1h0m5s"),
    ]).toEqual([500, 90_000, 900_000, 5_400_000, 5_400_000, 150_000, 3_605_000])
  })

  it("given a negative, unitless or malformed duration, then one clear error names the flag and the value", () => {
    expect(problem("-5m")).toBe("--drain-timeout -5m is negative")
    for (const text of ["10", "h", "1h-5m", "5 minutes", "1h30"])
      expect(problem(text)).toBe(`--drain-timeout ${text} is not a duration`)
  })
})
