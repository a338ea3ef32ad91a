import { describe, expect, it } from "vitest"
import { EVENT_SCHEMA_VERSION, type RunEvent } from "@ecs-ami-deploy/domain"
import { boundariesOf } from "../src/kill-harness.ts"

const envelope = { schemaVersion: EVENT_SCHEMA_VERSION, runId: "run-1", at: 0 } as const
const noted = (seq: number): RunEvent => ({
  ...envelope,
  _tag: "Noted",
  seq,
  level: "info",
  message: `note ${seq}`,
})

describe("event boundaries", () => {
  it("given a log, then every event but the last is a boundary after it, and every outcome event one before it", () => {
    const events: Array<RunEvent> = [
      noted(0),
      { ...envelope, _tag: "CommandSucceeded", seq: 1, commandId: "tag-old:asg" },
      noted(2),
    ]
    expect(boundariesOf(events)).toEqual([
      { killAt: 1, when: "after", event: "Noted" },
      { killAt: 2, when: "after", event: "CommandSucceeded" },
      { killAt: 2, when: "before", event: "CommandSucceeded" },
    ])
  })
})
