/**
 * A single-task service's task moves once: its instance drains after the other old instances of its
 * zone, the plan's waves and promise follow the same order, and where a second move cannot be ruled
 * out the plan names the old instances that may receive the task.
 */
import { describe, expect, it } from "vitest"
import type { Decision } from "@ecs-ami-deploy/domain"
import { indexCluster } from "../src/cluster.ts"
import { decide, planRollout } from "../src/index.ts"
import { movingOnceOrder, selectWaveMovingOnce } from "../src/single-task-moves.ts"
import { selectWave } from "../src/waves.ts"
import { buildCluster, policy } from "./fixtures.ts"
import { issues, newWorld, runUntil } from "./model.ts"

const oldOf = (group: string, n: number) => Array.from({ length: n }, (_, k) => `i-${group}-o${k}`)
const singleTaskPromises = (warnings: ReadonlyArray<string>) =>
  warnings.filter((w) => w.includes("runs a single task"))

describe("single-task moves", () => {
  it("given a single task at min 0 / max 100 on the first old instance, then the next wave leaves that instance out though it comes first", () => {
    const snapshot = buildCluster({
      groups: [{ name: "a", old: 4, fresh: 2 }],
      services: [{ name: "solo", tasks: 1, min: 0, max: 100 }],
    })
    const index = indexCluster(snapshot)
    const old = oldOf("a", 4)
    const args = [new Set(old), 2, "wait", "proceed"] as const
    // Without the ordering the wave would take it, and ECS could put its task on i-a-o2 or i-a-o3.
    expect(selectWave(index, old, ...args).instanceIds).toEqual(["i-a-o0", "i-a-o1"])
    expect(selectWaveMovingOnce(index, old, ...args).instanceIds).toEqual(["i-a-o1", "i-a-o2"])
  })

  it("given several single tasks in one zone, then their instances go last, the one whose move is an outage (min 0) last of all", () => {
    const snapshot = buildCluster({
      groups: [{ name: "a", old: 4 }],
      services: [
        { name: "solo", tasks: 1, min: 0, max: 100 },
        { name: "one", tasks: 1, min: 100, max: 200 },
      ],
    })
    expect(movingOnceOrder(indexCluster(snapshot), oldOf("a", 4))).toEqual([
      "i-a-o2",
      "i-a-o3",
      "i-a-o1",
      "i-a-o0",
    ])
  })

  it("given a single task on the first old instance, then the plan drains it in the last wave and promises one move", () => {
    const snapshot = buildCluster({
      groups: [{ name: "a", old: 4 }],
      services: [{ name: "solo", tasks: 1, min: 0, max: 100 }],
    })
    const plan = planRollout(snapshot, policy({ unsafeServices: "proceed" }), 0)
    expect(plan.waves.map((w) => w.instanceIds)).toEqual([
      ["i-a-o1", "i-a-o2"],
      ["i-a-o3", "i-a-o0"],
    ])
    expect(singleTaskPromises(plan.warnings)).toEqual([
      "service solo runs a single task: it moves once, within its deployment configuration (wave 2 of a drains its instance i-a-o0 when no old instance draining later has room for it)",
    ])
  })

  it("given more single tasks than the last wave holds, then the plan says which may move twice and onto which old instances", () => {
    const snapshot = buildCluster({
      groups: [{ name: "a", old: 3 }],
      services: [
        { name: "solo", tasks: 1, min: 0, max: 100 },
        { name: "one", tasks: 1 },
        { name: "other", tasks: 1 },
      ],
    })
    const plan = planRollout(
      snapshot,
      policy({ unsafeServices: "proceed", maxSurge: { unit: "instances", value: 1 } }),
      0,
    )
    expect(plan.waves.map((w) => w.instanceIds)).toEqual([["i-a-o1"], ["i-a-o2"], ["i-a-o0"]])
    expect(singleTaskPromises(plan.warnings)).toEqual([
      "service one runs a single task: it may move twice: when wave 1 of a drains its instance i-a-o1, ECS may place it on old instance(s) i-a-o2, i-a-o0, which drain later",
      "service other runs a single task: it may move twice: when wave 2 of a drains its instance i-a-o2, ECS may place it on old instance(s) i-a-o0, which drain later",
      "service solo runs a single task: it moves once, within its deployment configuration (wave 3 of a drains its instance i-a-o0 when no old instance draining later has room for it)",
    ])
  })

  it("given a single task in a group replaced before another, then the plan does not promise one move: the other group's old instances may receive it", () => {
    const snapshot = buildCluster({
      groups: [
        { name: "a", old: 2 },
        { name: "b", old: 2 },
      ],
      services: [{ name: "solo", tasks: 1, min: 0, max: 100 }],
    })
    const plan = planRollout(snapshot, policy({ unsafeServices: "proceed" }), 0)
    expect(singleTaskPromises(plan.warnings)).toEqual([
      "service solo runs a single task: it may move twice: when wave 2 of a drains its instance i-a-o0, ECS may place it on old instance(s) i-b-o0, i-b-o1, which drain later",
    ])
  })

  it("given an old instance of a later wave without room for the task, then it is no place for a second move and the plan promises one", () => {
    const snapshot = buildCluster({
      groups: [{ name: "a", old: 3 }],
      services: [
        { name: "solo", tasks: 1, min: 0, max: 100, memory: 2048 },
        { name: "one", tasks: 1, min: 0, max: 100, memory: 3584 },
      ],
    })
    // solo on o0 and one on o1 (round robin): o1 keeps 512 MiB, too little for solo's 2048.
    const plan = planRollout(
      snapshot,
      policy({ unsafeServices: "proceed", maxSurge: { unit: "instances", value: 1 } }),
      0,
    )
    expect(plan.waves.map((w) => w.instanceIds)).toEqual([["i-a-o2"], ["i-a-o0"], ["i-a-o1"]])
    expect(singleTaskPromises(plan.warnings).map((w) => w.split(" (")[0])).toEqual([
      "service solo runs a single task: it moves once, within its deployment configuration",
      "service one runs a single task: it moves once, within its deployment configuration",
    ])
  })

  it("given a run that started before single-task moves (decider version 1), then its next wave is chosen as it was; a run started now leaves the single task's instance for later", () => {
    const snapshot = buildCluster({
      groups: [{ name: "a", old: 4 }],
      services: [{ name: "solo", tasks: 1, min: 0, max: 100 }],
    })
    const { world } = runUntil(
      newWorld(snapshot, policy({ unsafeServices: "proceed" })),
      issues("DrainInstances"),
    )
    const drained = (decision: Decision) =>
      decision._tag === "Act"
        ? decision.commands.flatMap((c) => (c._tag === "DrainInstances" ? c.instanceIds : []))
        : []
    if (world.state._tag !== "Running") throw new Error("expected an open run")
    expect(drained(decide(world.state, world.snapshot, world.policy, world.now))).toEqual([
      "i-a-o1",
      "i-a-o2",
    ])
    const startedBefore = { ...world.state, run: { ...world.state.run, deciderVersion: 1 } }
    expect(drained(decide(startedBefore, world.snapshot, world.policy, world.now))).toEqual([
      "i-a-o0",
      "i-a-o1",
    ])
  })
})
