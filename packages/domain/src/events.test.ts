/**
 * Reading stored run events: a record of another schema version is refused with its own message,
 * a malformed one names the field, and a well-formed one survives an encode/decode round trip.
 */
import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import { decodeRunEvent, encodeRunEvent, EVENT_SCHEMA_VERSION, type RunEvent } from "./events.ts"

const finished: RunEvent = {
  _tag: "RunFinished",
  schemaVersion: EVENT_SCHEMA_VERSION,
  runId: "run-1",
  seq: 7,
  at: 1_000,
  outcome: "rolled-back",
  reason: "new capacity not proven in time",
}

const decode = (record: unknown) => Effect.runSync(Effect.result(decodeRunEvent(record, "log.jsonl:8")))

describe("decodeRunEvent", () => {
  it("given an encoded event, then decoding gives it back", () => {
    const result = decode(JSON.parse(JSON.stringify(encodeRunEvent(finished))))
    expect(Result.isSuccess(result) && result.success).toEqual(finished)
  })

  it("given a record of another schema version, then it is refused naming the version and the location", () => {
    const result = decode({ ...finished, schemaVersion: 2 })
    expect(Result.isFailure(result) && result.failure.message).toMatch(
      /log\.jsonl:8.*schemaVersion 2.*version 1/,
    )
  })

  it("given an unknown outcome, then the failure names the field", () => {
    const result = decode({ ...finished, outcome: "half-done" })
    expect(Result.isFailure(result) && result.failure.message).toContain("outcome")
  })
})
