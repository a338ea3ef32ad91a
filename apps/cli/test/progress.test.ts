/**
 * The progress model keeps a run's folded state for the views. Given the events of a real simulated
 * run, its progress ends with every old instance drained and terminated and nothing left to estimate;
 * in the middle of a run, the estimate applies the pace so far to what remains.
 */
import { describe, expect, it } from "vitest"
import type { RunEvent } from "ecs-ami-deploy"
import { eventLineFormatter, evolve, initialState, progressOf } from "ecs-ami-deploy"
import { applyEvent, emptyProgress, estimateRemaining, renderLiveBlock } from "../src/progress.ts"
import { jsonLines, runInProcess, tempDir } from "./support.ts"

describe("progress model", () => {
  it("given every event of a finished run, counts each old instance drained and terminated once, and nothing else", async () => {
    // standard-20 ends by removing a surplus instance that is not one of the run's old instances.
    const run = await runInProcess(
      [
        "simulate",
        "--scenario",
        "standard-20",
        "--unsafe-services",
        "proceed",
        "--output",
        "json",
        "--report",
        "report.html",
      ],
      {
        cwd: tempDir("progress"),
      },
    )
    const events = jsonLines(run.stdout)
      .filter((line) => line["type"] === "event")
      .map((line) => line["event"] as RunEvent)
    const started = events.find(
      (event): event is Extract<RunEvent, { _tag: "RunStarted" }> => event._tag === "RunStarted",
    )
    const oldInstances = started?.groups.flatMap((group) => group.oldInstanceIds) ?? []
    let state = initialState
    let model = emptyProgress
    for (const event of events) {
      state = evolve(state, event)
      model = applyEvent(model, event, state)
    }
    const progress = progressOf(model.state)
    expect(oldInstances.length).toBeGreaterThan(0)
    expect(
      progress.groups.flatMap((group) => group.instances.map((instance) => instance.instanceId)).sort(),
    ).toEqual([...oldInstances].sort())
    expect(progress.groups.flatMap((group) => group.instances.map((instance) => instance.step))).toEqual(
      oldInstances.map(() => "replaced"),
    )
    expect(progress.groups.reduce((sum, group) => sum + group.drained, 0)).toBe(oldInstances.length)
    expect(model.phase).toBe("finished")
    expect(estimateRemaining(60_000, oldInstances.length, oldInstances.length)).toBe(0)
    expect(renderLiveBlock(model, 0, false).join("\n")).toContain(
      `terminated ${oldInstances.length}/${oldInstances.length}`,
    )
    const lineOf = eventLineFormatter()
    expect(events.map((event) => lineOf(event)).at(-1)).toMatch(/^\[\+\d+m\d*s?\] run finished succeeded/)
  })

  it("estimates the time left from the pace of terminations so far", () => {
    const tenMinutes = 600_000
    // One instance in ten minutes, three to go.
    expect(estimateRemaining(tenMinutes, 1, 4)).toBe(3 * tenMinutes)
    expect(estimateRemaining(tenMinutes, 0, 4)).toBeUndefined()
  })
})
