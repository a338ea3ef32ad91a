/**
 * The lifecycle facts: the states Auto Scaling counts toward capacity and the ones a member leaves
 * its group in never overlap, and a terminating member is leaving.
 */
import { describe, expect, it } from "vitest"
import {
  countsTowardCapacity,
  isDetachable,
  isInstanceGone,
  isLeavingGroup,
  isTaskLive,
  isTerminating,
} from "./lifecycle.ts"
import { AsgLifecycleState, InstanceState, TaskStatus } from "./snapshot.ts"

const lifecycles = AsgLifecycleState.literals

describe("lifecycle", () => {
  it("given every lifecycle state, then none both counts toward capacity and is leaving the group", () => {
    expect(lifecycles.filter((s) => countsTowardCapacity(s) && isLeavingGroup(s))).toEqual([])
    expect(lifecycles.filter(countsTowardCapacity)).toEqual([
      "Pending",
      "Pending:Wait",
      "Pending:Proceed",
      "InService",
    ])
  })

  it("given a terminating member, then it is leaving its group; a detaching one is leaving but not terminating", () => {
    expect(lifecycles.filter(isTerminating).every(isLeavingGroup)).toBe(true)
    expect(isTerminating("Detaching")).toBe(false)
    expect(isLeavingGroup("Detaching")).toBe(true)
    expect(lifecycles.filter(isDetachable)).toEqual(["InService", "Standby"])
  })

  it("given EC2 and ECS states, then only shutting-down/terminated instances are gone and only STOPPED tasks are not live", () => {
    expect(InstanceState.literals.filter(isInstanceGone)).toEqual(["shutting-down", "terminated"])
    expect(TaskStatus.literals.filter((lastStatus) => !isTaskLive({ lastStatus }))).toEqual(["STOPPED"])
  })
})
