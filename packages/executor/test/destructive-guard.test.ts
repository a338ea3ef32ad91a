/**
 * The executor's last line against a planner defect: a destructive command (terminate, detach, drain,
 * stop tasks) whose earlier issue succeeded is refused with a typed error before any AWS call; other
 * commands, and destructive ones not yet known to have succeeded, go through.
 */
import { describe, expect, it } from "vitest"
import type { Command } from "@ecs-ami-deploy/domain"
import type { CommandRecord } from "@ecs-ami-deploy/planner"
import { repeatedDestructive } from "../src/run-loop.ts"

const terminate: Command = {
  _tag: "TerminateInstances",
  id: "terminate:web:w1",
  reason: "wave 1 drained",
  asgName: "web",
  instanceIds: ["i-1"],
  decrementDesiredCapacity: true,
}
const resume: Command = {
  _tag: "ResumeProcesses",
  id: "resume:web",
  reason: "end of run",
  asgName: "web",
  processes: ["AZRebalance"],
}
const recordOf = (command: Command, outcome: CommandRecord["outcome"]): CommandRecord => ({
  command,
  issuedAt: 1,
  firstIssuedAt: 1,
  issuedSeq: 1,
  attempts: 1,
  outcome,
  outcomeAt: 2,
  failures: 0,
})

describe("the destructive-command guard", () => {
  it("given a termination the log records as succeeded, when the planner asks for it again, then it is refused naming the command", () => {
    const refusal = repeatedDestructive("prod", recordOf(terminate, "succeeded"), terminate)
    expect(refusal?._tag).toBe("DestructiveCommandRepeated")
    expect(refusal?.message).toContain("TerminateInstances terminate:web:w1")
  })

  it("given a termination whose outcome is unknown or failed, or never issued, then it may be issued (the planner re-observed first)", () => {
    expect(repeatedDestructive("prod", recordOf(terminate, "unknown"), terminate)).toBeUndefined()
    expect(repeatedDestructive("prod", recordOf(terminate, "failed"), terminate)).toBeUndefined()
    expect(repeatedDestructive("prod", undefined, terminate)).toBeUndefined()
  })

  it("given a non-destructive command that succeeded, then issuing it again is allowed (it is harmless)", () => {
    expect(repeatedDestructive("prod", recordOf(resume, "succeeded"), resume)).toBeUndefined()
  })
})
