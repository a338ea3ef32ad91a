import { describe, expect, it } from "vitest"
import { idempotencyKey } from "../src/idempotency.ts"

describe("idempotencyKey", () => {
  it("given the same run and command, when derived twice, then both keys are equal", () => {
    expect(idempotencyKey("run-1", "update-launch-spec:web")).toBe(
      idempotencyKey("run-1", "update-launch-spec:web"),
    )
  })

  it("given long ids, when derived, then the key fits the 64 characters a ClientToken allows", () => {
    const key = idempotencyKey("r".repeat(500), "c".repeat(500))
    expect(key.length).toBeLessThanOrEqual(64)
    expect(key).toMatch(/^[0-9a-f]+$/)
  })

  it("given two commands or two runs, when derived, then the keys differ", () => {
    const keys = new Set([
      idempotencyKey("run-1", "a"),
      idempotencyKey("run-1", "b"),
      idempotencyKey("run-2", "a"),
    ])
    expect(keys.size).toBe(3)
  })
})
