/**
 * The report's phase spans: what the charts and the phase table show of the run's decisions.
 */
import { describe, expect, it } from "vitest"
import { lastingPhases } from "../src/report-html.ts"

describe("lastingPhases", () => {
  it("drops phases left within one instant and joins the spans of one phase they separated", () => {
    const minute = 60_000
    expect(
      lastingPhases([
        { phase: "preparing", from: 0, to: 0 },
        { phase: "proving", from: 0, to: 2 * minute },
        { phase: "draining", from: 2 * minute, to: 8 * minute },
        { phase: "terminating", from: 8 * minute, to: 8 * minute },
        { phase: "launching", from: 8 * minute, to: 8 * minute },
        { phase: "proving", from: 8 * minute, to: 9 * minute },
        { phase: "proving", from: 9 * minute, to: 10 * minute },
        { phase: "draining", from: 10 * minute, to: 15 * minute },
        { phase: "finished", from: 15 * minute, to: 15 * minute },
      ]),
    ).toEqual([
      { phase: "proving", from: 0, to: 2 * minute },
      { phase: "draining", from: 2 * minute, to: 8 * minute },
      { phase: "proving", from: 8 * minute, to: 10 * minute },
      { phase: "draining", from: 10 * minute, to: 15 * minute },
    ])
  })

  it("keeps the spans of one phase apart when they worked on different groups (waves)", () => {
    const minute = 60_000
    expect(
      lastingPhases([
        { phase: "draining", group: "asg-a", from: 0, to: minute },
        { phase: "draining", group: "asg-b", from: minute, to: 2 * minute },
        { phase: "draining", group: "asg-b", from: 2 * minute, to: 3 * minute },
      ]),
    ).toEqual([
      { phase: "draining", group: "asg-a", from: 0, to: minute },
      { phase: "draining", group: "asg-b", from: minute, to: 3 * minute },
    ])
  })
})
