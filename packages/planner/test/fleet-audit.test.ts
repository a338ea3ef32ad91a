/**
 * The outcome of a finished run agrees with the fleet the snapshot shows: "succeeded" only over a fleet
 * on the target image (or old instances the policy let the run skip), "rolled-back" only with no
 * instance the run launched on the target image left, and otherwise "incomplete" or "halted" with
 * every group's instances by image in the reason.
 */
import type { ClusterSnapshot } from "@ecs-ami-deploy/domain"
import { describe, expect, it } from "vitest"
import { buildCluster, oldImage, policy, withMember } from "./fixtures.ts"
import { carryOut, is, issues, newWorld, runUntil } from "./model.ts"
import { decide } from "../src/index.ts"
import { indexCluster } from "../src/cluster.ts"
import { truthfulFinish } from "../src/fleet-audit.ts"

const finishOf = (snapshot: ClusterSnapshot, overrides: Parameters<typeof policy>[0] = {}) => {
  const rollout = runUntil(newWorld(snapshot, policy(overrides)), is("Finish"))
  const decision = rollout.steps.at(-1)?.decision
  if (decision?._tag !== "Finish") throw new Error(`the run did not finish: ${JSON.stringify(decision)}`)
  return { decision, world: rollout.world }
}

/** A member launched from the old spec just before the run, still Pending when the run starts. */
const withPendingOldMember = (
  snapshot: ClusterSnapshot,
  asgName: string,
  instanceId: string,
): ClusterSnapshot =>
  withMember(snapshot, asgName, {
    instanceId,
    imageId: oldImage.imageId,
    lifecycleState: "Pending",
    registered: false,
    launchTime: snapshot.observedAt - 1,
  })

describe("the outcome of a finished run says what the fleet is", () => {
  it("given a clean rollout, when it finishes, then it succeeded and the reason lists the fleet on the target image", () => {
    const { decision } = finishOf(
      buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] }),
    )
    expect(decision.outcome).toBe("succeeded")
    expect(decision.reason).toMatch(/fleet: a: 2 on ami-new \(.+\); launch spec on ami-new$/)
  })

  it("given a member still launching at the start (Pending, old image), when the run finishes, then it was replaced like the others", () => {
    const snapshot = withPendingOldMember(
      buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] }),
      "a",
      "i-a-pending",
    )
    const { decision, world } = finishOf(snapshot)
    expect(world.snapshot.groups[0]?.instances.some((m) => m.instanceId === "i-a-pending")).toBe(false)
    expect(decision.outcome).toBe("succeeded")
  })

  it("given a member on the old image that the run never replaced (it joined the group mid-run), when the run finishes, then it is incomplete and names that member, not succeeded", () => {
    const start = buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] })
    const mid = runUntil(newWorld(start, policy()), issues("DrainInstances")).world
    const joined = { ...mid, snapshot: withPendingOldMember(mid.snapshot, "a", "i-a-joined") }
    const rollout = runUntil(joined, is("Finish"))
    const decision = rollout.steps.at(-1)?.decision
    if (decision?._tag !== "Finish") throw new Error("the run did not finish")
    expect(rollout.world.snapshot.groups[0]?.instances.some((m) => m.instanceId === "i-a-joined")).toBe(true)
    expect(decision.outcome).toBe("incomplete")
    expect(decision.reason).toContain("incomplete: 1 instance(s) not on ami-new")
    expect(decision.reason).toContain("i-a-joined")
  })

  it("given a rollback before any replacement, when it finishes, then it is rolled-back: the cluster as it was found", () => {
    const snapshot = buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] })
    const started = runUntil(
      newWorld(snapshot, policy()),
      (d) => d._tag === "Act" && d.phase === "launching",
    ).world
    const rollout = runUntil(
      carryOut(started, { _tag: "RollBack", reason: "stopped by the operator" }),
      is("Finish"),
    )
    expect(rollout.steps.at(-1)?.decision).toMatchObject({ _tag: "Finish", outcome: "rolled-back" })
  })
})

describe("a run never says succeeded with a service below its healthy floor", () => {
  const finished = () => {
    const { decision, world } = finishOf(
      buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] }),
    )
    if (world.state._tag === "NoRun") throw new Error("no run")
    return { decision, run: world.state.run, snapshot: world.snapshot }
  }
  const webBelowFloor = (snapshot: ClusterSnapshot): ClusterSnapshot => ({
    ...snapshot,
    services: snapshot.services.map((s) => (s.serviceName === "web" ? { ...s, runningCount: 1 } : s)),
  })

  it("given every instance replaced but a service below its floor at the end, then the finish is incomplete and names the service", () => {
    const { decision, run, snapshot } = finished()
    const audited = truthfulFinish(run, indexCluster(webBelowFloor(snapshot)), {
      _tag: "Finish",
      outcome: "succeeded",
      reason: decision.reason,
    })
    expect(audited.outcome).toBe("incomplete")
    expect(audited.reason).toContain("web (1 running, floor 2)")
  })

  it("given a service that was already below its floor when the run started, then it is not the run's doing and the run succeeds", () => {
    const { decision, run, snapshot } = finished()
    const audited = truthfulFinish(
      { ...run, servicesBelowFloorAtStart: ["web"] },
      indexCluster(webBelowFloor(snapshot)),
      { _tag: "Finish", outcome: "succeeded", reason: decision.reason },
    )
    expect(audited.outcome).toBe("succeeded")
  })

  it("given a service below its floor when the run ends, then the run waits for it to recover before it finishes", () => {
    const snapshot = buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] })
    const rollout = runUntil(newWorld(snapshot, policy()), is("Finish"))
    const beforeFinish = rollout.steps.at(-1)
    if (beforeFinish === undefined || beforeFinish.state._tag !== "Running") throw new Error("no finish step")
    const waiting = decide(
      beforeFinish.state,
      webBelowFloor(beforeFinish.snapshot),
      policy(),
      beforeFinish.now,
    )
    expect(waiting).toMatchObject({ _tag: "Wait", phase: "restoring" })
    expect(waiting._tag === "Wait" ? waiting.reason : "").toContain("web (1 running, floor 2)")
  })
})

describe("a success that leaves members on their image by policy names each one", () => {
  it("given a Standby member on the old image and standbyInstances=skip, then the success names the member kept and why", () => {
    const { decision, world } = finishOf(
      buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] }),
      { standbyInstances: "skip" },
    )
    if (world.state._tag === "NoRun") throw new Error("no run")
    const withStandby = withMember(world.snapshot, "a", {
      instanceId: "i-a-standby",
      imageId: oldImage.imageId,
      lifecycleState: "Standby",
      registered: true,
      launchTime: 0,
    })
    const audited = truthfulFinish(world.state.run, indexCluster(withStandby), {
      _tag: "Finish",
      outcome: "succeeded",
      reason: decision.reason,
    })
    expect(audited.outcome).toBe("succeeded")
    expect(audited.reason).toContain(
      "kept on their image by policy: i-a-standby on ami-old (Standby, policy standbyInstances=skip)",
    )
  })
})
