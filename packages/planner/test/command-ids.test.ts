/**
 * Command ids: every id a run issues reads back to its structured form and writes back to the same
 * string (event logs record the string), including group names with `:` and counter-like suffixes,
 * and every id recorded in the replay fixtures (real logs) is one the planner reads.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { commandIds, formatCommandId, isRollbackCommand, parseCommandId } from "../src/command-ids.ts"

const groupNames = ["a", "web-asg", "odd:name", "tricky:w3", "x:r2:n1"]

const everyId = (asg: string): ReadonlyArray<readonly [string, string]> =>
  Object.entries(commandIds).map(
    ([builder, build]) => [builder, (build as (asg: string, n: number) => string)(asg, 7)] as const,
  )

describe("command ids", () => {
  it("read back to their group and number, and write back to the same string", () => {
    for (const asg of groupNames)
      for (const [builder, id] of everyId(asg)) {
        const parsed = parseCommandId(id)
        expect(parsed, `${builder}(${asg})`).toBeDefined()
        if (parsed === undefined) continue
        expect(parsed.asg).toBe(asg)
        expect(formatCommandId(parsed)).toBe(id)
        // A builder numbered by wave or round keeps its number; one that is not ignores it.
        expect(parsed.n === undefined || parsed.n === 7).toBe(true)
        expect(isRollbackCommand(id)).toBe(parsed.scope === "rollback")
      }
  })

  it("give every builder its own id", () => {
    const ids = everyId("a").map(([, id]) => id)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("do not read strings no run issues", () => {
    for (const text of ["", "drain", "drain:a", "drain:a:r1", "unknown:a", "rollback-drain:a:w1", "tag-old"])
      expect(parseCommandId(text), text).toBeUndefined()
  })

  it("read every id recorded in the replay fixtures", () => {
    const directory = join(import.meta.dirname, "replay")
    const recorded = readdirSync(directory)
      .filter((file) => file.endsWith(".events.jsonl"))
      .flatMap((file) =>
        readFileSync(join(directory, file), "utf8")
          .split("\n")
          .filter((line) => line.length > 0)
          .flatMap((line) => {
            const event = JSON.parse(line) as { readonly command?: { readonly id?: unknown } }
            return typeof event.command?.id === "string" ? [event.command.id] : []
          }),
      )
    expect(recorded.length).toBeGreaterThan(0)
    for (const id of recorded) {
      const parsed = parseCommandId(id)
      expect(parsed, id).toBeDefined()
      if (parsed !== undefined) expect(formatCommandId(parsed)).toBe(id)
    }
  })
})
