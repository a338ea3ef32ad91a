/**
 * The decider's two questions: `decideStart` answers for a cluster with no open run and `decideNext`
 * for the open run it started, each with its own kind of answer. (A wait on a drain held up by a
 * standalone task carries the note naming it: executor/test/faults.test.ts sees it recorded.)
 */
import { describe, expect, it } from "vitest"
import { decideNext, decideStart, evolve, initialState } from "../src/index.ts"
import { buildCluster, events, policy } from "./fixtures.ts"

describe("decideStart and decideNext", () => {
  it("given an outdated cluster, decideStart starts a run, and decideNext on that run acts on its first step", () => {
    const snapshot = buildCluster({ groups: [{ name: "web", old: 2 }] })
    const start = decideStart(snapshot, policy(), 0)
    if (start._tag !== "Start") throw new Error(`expected Start, got ${start._tag}`)
    const state = events("run-1", 0, [
      {
        _tag: "RunStarted",
        clusterName: snapshot.clusterName,
        policy: policy(),
        targetImage: start.targetImage,
        groups: start.groups,
        reason: start.reason,
      },
    ]).reduce(evolve, initialState)
    if (state._tag !== "Running") throw new Error(`expected a running state, got ${state._tag}`)

    const next = decideNext(state, snapshot, 1)

    expect(next).toMatchObject({ _tag: "Act", phase: "preparing" })
  })
})
