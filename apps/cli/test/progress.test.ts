/**
 * The progress model folds a run's events into what the views show. Given the events of a real
 * simulated run, the model ends with every old instance drained and terminated and nothing left to
 * estimate; in the middle of a run, the estimate applies the pace so far to what remains.
 */
import { describe, expect, it } from "vitest"
import type { RunEvent } from "ecs-ami-deploy"
import { eventLineFormatter } from "ecs-ami-deploy"
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
    const model = events.reduce(applyEvent, emptyProgress)
    expect(oldInstances.length).toBeGreaterThan(0)
    expect([...model.terminated].sort()).toEqual([...oldInstances].sort())
    expect([...model.drained].sort()).toEqual([...oldInstances].sort())
    expect(model.phase).toBe("finished")
    expect(estimateRemaining(model)).toBe(0)
    expect(renderLiveBlock(model, 0, false).join("\n")).toContain(
      `terminated ${oldInstances.length}/${oldInstances.length}`,
    )
    const lineOf = eventLineFormatter()
    expect(events.map((event) => lineOf(event)).at(-1)).toMatch(/^\[\+\d+m\d*s?\] run finished succeeded/)
  })

  it("estimates the time left from the pace of terminations so far", () => {
    const tenMinutes = 600_000
    const model = {
      ...emptyProgress,
      startedAt: 0,
      now: tenMinutes,
      oldInstances: 4,
      terminated: new Set(["i-1"]),
    }
    // One instance in ten minutes, three to go.
    expect(estimateRemaining(model)).toBe(3 * tenMinutes)
    expect(estimateRemaining({ ...model, terminated: new Set<string>() })).toBeUndefined()
  })
})
