/**
 * A wave that keeps one task of a floorless service running (waves.ts `keepOneRunning`, decider 3):
 * which old instance it keeps out, until when, and the room that tasks a drain displaced and ECS has
 * not placed yet take first (`unplaced`).
 */
import type { ClusterSnapshot, Task } from "@ecs-ami-deploy/domain"
import { describe, expect, it } from "vitest"
import { indexCluster } from "../src/cluster.ts"
import { selectWave } from "../src/waves.ts"
import { buildCluster, task } from "./fixtures.ts"

/** Group `a`: old instances o0, o1 and one new instance n0; `jobs` (min 0 %, max 100 %) runs one task on each old one. */
const cluster = (): ClusterSnapshot =>
  buildCluster({
    groups: [{ name: "a", old: 2, fresh: 1 }],
    services: [{ name: "jobs", tasks: 2, min: 0, max: 100 }],
  })

const old = ["i-a-o0", "i-a-o1"]
const choose = (snapshot: ClusterSnapshot, options: Parameters<typeof selectWave>[6]) =>
  selectWave(indexCluster(snapshot), old, new Set(old), 2, "wait", "refuse", options)

/** `jobs` with a third task on the new instance, in the state given. */
const withTaskOnNew = (fields: Partial<Task>): ClusterSnapshot => {
  const snapshot = cluster()
  return {
    ...snapshot,
    services: snapshot.services.map((s) => (s.serviceName === "jobs" ? { ...s, desiredCount: 3 } : s)),
    tasks: [...snapshot.tasks, task("arn:task/jobs/new", "i-a-n0", { serviceName: "jobs", ...fields })],
  }
}

describe("a wave keeping one task of a floorless service running", () => {
  it("given jobs on both old instances and nowhere else, then the wave takes one and keeps the other out until jobs runs elsewhere; without the option it takes both", () => {
    const kept = choose(cluster(), { keepOneRunning: true })
    expect(kept.instanceIds).toHaveLength(1)
    expect(kept.held).toEqual([
      expect.objectContaining({
        reason: expect.stringContaining("last serving task of service jobs"),
        untilMoved: true,
      }),
    ])
    expect(choose(cluster(), {}).instanceIds).toEqual(old)
  })

  it("given a task of jobs on new capacity that is still starting or not yet healthy, then the wave still keeps one old instance out", () => {
    for (const fields of [
      { lastStatus: "PENDING", healthStatus: "UNKNOWN" },
      { lastStatus: "RUNNING", healthStatus: "UNKNOWN" },
    ] as const)
      expect(choose(withTaskOnNew(fields), { keepOneRunning: true }).instanceIds).toHaveLength(1)
  })

  it("given a task of jobs serving healthy on new capacity, then the wave takes both old instances", () => {
    const serving = withTaskOnNew({ lastStatus: "RUNNING", healthStatus: "HEALTHY" })
    expect([...choose(serving, { keepOneRunning: true }).instanceIds].sort()).toEqual(old)
  })

  it("given a service none of whose tasks reports its health (no container health check), then RUNNING is serving", () => {
    const snapshot = withTaskOnNew({ lastStatus: "RUNNING", healthStatus: "UNKNOWN" })
    const unknown = {
      ...snapshot,
      tasks: snapshot.tasks.map((t) =>
        t.serviceName === "jobs" ? { ...t, healthStatus: "UNKNOWN" as const } : t,
      ),
    }
    expect([...choose(unknown, { keepOneRunning: true }).instanceIds].sort()).toEqual(old)
  })

  it("given every task jobs wants on one old instance, then that instance is taken: draining it stops them all whenever it drains", () => {
    const together = buildCluster({
      groups: [{ name: "a", old: 1, fresh: 1 }],
      services: [{ name: "jobs", tasks: 2, min: 0, max: 100 }],
    })
    const index = indexCluster(together)
    expect(
      selectWave(index, ["i-a-o0"], new Set(["i-a-o0"]), 1, "wait", "refuse", { keepOneRunning: true })
        .instanceIds,
    ).toEqual(["i-a-o0"])
  })

  it("given tasks a drain displaced that do not fit on new capacity yet, then nothing more drains until ECS has placed them", () => {
    const big = { cpu: 4096, memory: 8192 }
    const unplaced = [task("arn:task/web/moving", "i-a-o0", { serviceName: "jobs", ...big })]
    const choice = choose(cluster(), { unplaced })
    expect(choice.instanceIds).toEqual([])
    expect(choice.held.every((h) => h.untilMoved === true)).toBe(true)
    expect(choose(cluster(), { unplaced: [] }).instanceIds).toEqual(old)
  })
})
