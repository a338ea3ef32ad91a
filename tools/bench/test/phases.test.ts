import { describe, expect, it } from "vitest"
import { EVENT_SCHEMA_VERSION, type Command, type RunEvent } from "@ecs-ami-deploy/domain"
import { phasesOf } from "../src/phases.ts"

const issued = (at: number, id: string): RunEvent => ({
  _tag: "CommandIssued",
  schemaVersion: EVENT_SCHEMA_VERSION,
  runId: "r",
  seq: 0,
  at,
  attempt: 1,
  command: { _tag: "TagInstances", id, reason: "test", instanceIds: [], tags: {} } satisfies Command,
})
const noted = (at: number): RunEvent => ({
  _tag: "Noted",
  schemaVersion: EVENT_SCHEMA_VERSION,
  runId: "r",
  seq: 0,
  at,
  level: "info",
  message: "",
})

describe("where a run's time went", () => {
  it("given two waves, then capacity runs from each capacity command to its drain, draining from drain to terminate, the rest is other", () => {
    const events = [
      noted(0),
      issued(5, "tag-old:asg"),
      issued(10, "capacity:asg:w1"),
      issued(110, "drain:asg:w1"),
      issued(480, "terminate:asg:w1"),
      issued(480, "capacity:asg:w2"),
      issued(580, "drain:asg:w2"),
      issued(580, "drain:asg:w2"),
      issued(950, "terminate:asg:w2"),
      noted(960),
    ]
    expect(phasesOf(events)).toEqual({
      newCapacityMs: 100 + 100,
      drainingMs: 370 + 370,
      rebalancingMs: 0,
      otherMs: 960 - 200 - 740,
      drainedWaves: 2,
    })
  })

  it("given a drain that never reached its terminate command, then it drains until the last event", () => {
    expect(phasesOf([issued(0, "detach:asg:w1"), issued(50, "drain:asg:w1"), noted(200)])).toEqual({
      newCapacityMs: 50,
      drainingMs: 150,
      rebalancingMs: 0,
      otherMs: 0,
      drainedWaves: 1,
    })
  })

  it("given no event, then nothing was spent", () => {
    expect(phasesOf([])).toEqual({
      newCapacityMs: 0,
      drainingMs: 0,
      rebalancingMs: 0,
      otherMs: 0,
      drainedWaves: 0,
    })
  })

  it("given a zone-balancing round after the last wave, then it counts from the balance command to the surplus's termination", () => {
    const events = [
      issued(0, "capacity:asg:w1"),
      issued(100, "drain:asg:w1"),
      issued(470, "terminate:asg:w1"),
      issued(470, "balance-capacity:asg:r1"),
      issued(570, "trim-drain:asg:r1"),
      issued(940, "trim-terminate:asg:r1"),
      issued(940, "resume:asg"),
    ]
    expect(phasesOf(events)).toEqual({
      newCapacityMs: 100,
      drainingMs: 370,
      rebalancingMs: 470,
      otherMs: 0,
      drainedWaves: 1,
    })
  })
})
