/**
 * One test per planning defect of the Go tool listed in docs/seed-analysis.md. Defects that belong
 * to the adapters (API batching, pagination, nil filters, block devices, launch-template cleanup
 * arithmetic) are tested there, not here.
 */
import { type ClusterSnapshot, type Command } from "@ecs-ami-deploy/domain"
import { describe, expect, it } from "vitest"
import { decide, evolve, initialState } from "../src/index.ts"
import { buildCluster, image, newImage, policy, task } from "./fixtures.ts"
import {
  applyCommand,
  carryOut,
  commandsOf,
  decideNow,
  issues,
  newWorld,
  runRollout,
  runUntil,
  type Rollout,
} from "./model.ts"

const allCommands = (rollout: Rollout): ReadonlyArray<Command> =>
  rollout.steps.flatMap((s) => commandsOf(s.decision))

const lastStep = <T>(steps: ReadonlyArray<T>): T => {
  const last = steps.at(-1)
  if (last === undefined) throw new Error("no step was taken")
  return last
}

const outcome = (rollout: Rollout) => {
  const last = rollout.steps.at(-1)?.decision
  return last?._tag === "Finish" ? last.outcome : last?._tag
}

describe("defects of the Go tool, each prevented", () => {
  it("forced deregistration: instances are drained (DRAINING) and terminated only once their service tasks have moved", () => {
    const rollout = runRollout(
      buildCluster({ groups: [{ name: "a", old: 3 }], services: [{ name: "web", tasks: 3 }] }),
      policy(),
    )
    expect(outcome(rollout)).toBe("succeeded")
    for (const step of rollout.steps)
      for (const command of commandsOf(step.decision))
        if (command._tag === "TerminateInstances") {
          const arns = new Set(
            step.snapshot.containerInstances
              .filter((c) => command.instanceIds.includes(c.ec2InstanceId))
              .map((c) => c.containerInstanceArn),
          )
          expect(
            step.snapshot.tasks.filter(
              (t) => t.serviceName !== undefined && arns.has(t.containerInstanceArn ?? ""),
            ),
          ).toEqual([])
        }
    expect(allCommands(rollout).filter((c) => c._tag === "DrainInstances")).not.toEqual([])
  })

  it("broken resume: a run resumed from its log after detaching never detaches the new instances", () => {
    const p = policy({ capacityMode: "detach" })
    const start = buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] })
    const { world } = runUntil(newWorld(start, p), issues("DrainInstances"))
    // The process dies here; a new one folds the same log from scratch and observes the same cluster.
    const refolded = world.events.reduce(evolve, initialState)
    expect(refolded).toEqual(world.state)
    const replayed = runUntil({ ...world, state: refolded }, () => false)
    const oldIds = new Set(start.instances.map((i) => i.instanceId))
    const detached = allCommands(replayed).flatMap((c) => (c._tag === "DetachInstances" ? c.instanceIds : []))
    expect(detached.every((id) => oldIds.has(id))).toBe(true)
    expect(outcome(replayed)).toBe("succeeded")
    expect(replayed.world.snapshot.groups[0]?.instances).toHaveLength(2)
  })

  it("exact-count wait: an extra instance another actor adds is adopted, not waited for or overwritten", () => {
    const start = buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] })
    const { world } = runUntil(newWorld(start, policy()), issues("DrainInstances"))
    // Someone else scales the group up by one more new instance: more than the run asked for.
    const scaledUp = applyCommand(
      world.snapshot,
      {
        _tag: "SetCapacity",
        id: "someone-else",
        reason: "",
        asgName: "a",
        desiredCapacity: 4,
        minSize: 1,
        maxSize: 4,
      },
      [],
      world.now,
    )
    expect(scaledUp.groups[0]?.instances).toHaveLength(4)
    const adopting = decide(world.state, scaledUp, world.policy, world.now)
    // The run had set 3 (2 + a wave of 1); the actor's 4 becomes the group's capacity, kept at the end.
    expect(commandsOf(adopting)).toMatchObject([
      { _tag: "SetCapacity", desiredCapacity: 4, adoptsChangeBy: 2 },
    ])
    const adopted = carryOut({ ...world, snapshot: scaledUp }, adopting)
    expect(commandsOf(decideNow(adopted)).map((c) => c._tag)).toEqual(["DrainInstances"])
    const rollout = runUntil(adopted, () => false)
    expect(outcome(rollout)).toBe("succeeded")
    expect(rollout.world.snapshot.groups[0]?.desiredCapacity).toBe(4)
  })

  it("several ASGs per cluster: each group's commands name only its own instances, and instances outside any group are never touched", () => {
    const start = buildCluster({
      groups: [
        { name: "cp-a", old: 2 },
        { name: "cp-b", old: 3 },
      ],
      services: [{ name: "web", tasks: 4 }],
      outside: 1,
    })
    const rollout = runRollout(start, policy())
    expect(outcome(rollout)).toBe("succeeded")
    for (const command of allCommands(rollout))
      if ("asgName" in command && "instanceIds" in command)
        expect(command.instanceIds.every((id) => id.startsWith(`i-${command.asgName}-`))).toBe(true)
    expect(allCommands(rollout).flatMap((c) => ("instanceIds" in c ? c.instanceIds : []))).not.toContain(
      "i-outside-0",
    )
  })

  it("detaching Pending or Terminating instances: DetachInstances names InService old instances only", () => {
    const start = buildCluster({ groups: [{ name: "a", old: 4 }] })
    const states = ["Pending", "Terminating", "InService", "InService"] as const
    const mixed: ClusterSnapshot = {
      ...start,
      groups: start.groups.map((g) => ({
        ...g,
        instances: g.instances.map((m, k) => ({ ...m, lifecycleState: states[k] ?? "InService" })),
      })),
    }
    const rollout = runRollout(
      mixed,
      policy({ capacityMode: "detach", maxDraining: { unit: "instances", value: 4 } }),
    )
    // Each DetachInstances names only members InService in the snapshot it was decided on.
    const detachedWhile = rollout.steps.flatMap((step) =>
      commandsOf(step.decision).flatMap((c) =>
        c._tag === "DetachInstances"
          ? c.instanceIds.map(
              (id) => step.snapshot.groups[0]?.instances.find((m) => m.instanceId === id)?.lifecycleState,
            )
          : [],
      ),
    )
    expect(detachedWhile.length).toBeGreaterThanOrEqual(2)
    expect(new Set(detachedWhile)).toEqual(new Set(["InService"]))
    const detached = allCommands(rollout).flatMap((c) => (c._tag === "DetachInstances" ? c.instanceIds : []))
    expect(detached).not.toContain("i-a-o1")
  })

  it("cluster-wide stability gate: an unrelated broken service does not block the run", () => {
    const start = buildCluster({
      groups: [{ name: "a", old: 2 }],
      services: [
        { name: "web", tasks: 2 },
        { name: "broken", tasks: 0 },
      ],
    })
    const broken = {
      ...start,
      services: start.services.map((s) =>
        s.serviceName === "broken" ? { ...s, desiredCount: 2, runningCount: 0, pendingCount: 2 } : s,
      ),
    }
    expect(outcome(runRollout(broken, policy()))).toBe("succeeded")
  })

  it("standalone tasks killed: by default the run waits for them and never stops them", () => {
    const start = buildCluster({
      groups: [{ name: "a", old: 2 }],
      services: [{ name: "web", tasks: 2 }],
      standalone: ["i-a-o0"],
    })
    const rollout = runRollout(start, policy())
    expect(allCommands(rollout).some((c) => c._tag === "StopTasks")).toBe(false)
    const terminated = allCommands(rollout).flatMap((c) =>
      c._tag === "TerminateInstances" && !c.id.startsWith("rollback") ? c.instanceIds : [],
    )
    expect(terminated).not.toContain("i-a-o0")
    expect(outcome(rollout)).toBe("rolled-back")
  })

  it("standalone tasks with stop-after-timeout: stopped only after the drain-wave timeout, then the instance goes", () => {
    const p = policy({ standaloneTasks: "stop-after-timeout" })
    const start = buildCluster({
      groups: [{ name: "a", old: 2 }],
      services: [{ name: "web", tasks: 2 }],
      standalone: ["i-a-o0"],
    })
    const rollout = runRollout(start, p)
    const stopStep = rollout.steps.find((s) => issues("StopTasks")(s.decision))
    const drainAt =
      rollout.world.events.find((e) => e._tag === "CommandSucceeded" && e.commandId === "drain:a:w1")?.at ??
      Number.NaN
    expect(stopStep?.now).toBeGreaterThanOrEqual(drainAt + p.timeouts.drainWaveMs)
    expect(outcome(rollout)).toBe("succeeded")
  })

  it("standalone tasks with skip-instance: the instance is left running on the old image, and the finish reason names it", () => {
    const start = buildCluster({
      groups: [{ name: "a", old: 2 }],
      services: [{ name: "web", tasks: 2 }],
      standalone: ["i-a-o0"],
    })
    const rollout = runRollout(start, policy({ standaloneTasks: "skip-instance" }))
    const touched = allCommands(rollout).flatMap((c) =>
      c._tag === "DrainInstances" || c._tag === "TerminateInstances" ? c.instanceIds : [],
    )
    expect(touched).not.toContain("i-a-o0")
    expect(touched).toContain("i-a-o1")
    expect(outcome(rollout)).toBe("succeeded")
    expect(rollout.steps.at(-1)?.decision).toMatchObject({
      _tag: "Finish",
      reason: expect.stringContaining("a leaves i-a-o0 on its current image: standalone tasks run there"),
    })
  })

  it("daemon tasks ignored: a daemon task does not hold up a drained instance, and is not counted as displaced", () => {
    const start = buildCluster({
      groups: [{ name: "a", old: 2 }],
      services: [
        { name: "web", tasks: 2 },
        { name: "agent", tasks: 0, daemon: true },
      ],
    })
    const { steps } = runUntil(newWorld(start, policy()), issues("TerminateInstances"))
    const drain = steps.flatMap((s) => commandsOf(s.decision)).find((c) => c._tag === "DrainInstances")
    expect(drain?.reason).not.toContain("agent")
    // A daemon task left on a drained instance of the wave does not hold up its termination.
    const terminating = lastStep(steps)
    const withDaemon = {
      ...terminating.snapshot,
      tasks: [...terminating.snapshot.tasks, task("arn:task/agent/left", "i-a-o0", { serviceName: "agent" })],
    }
    expect(decide(terminating.state, withDaemon, policy(), terminating.now)).toEqual(terminating.decision)
    expect(issues("TerminateInstances")(terminating.decision)).toBe(true)
  })

  it("scale-in protection ignored: protected instances are skipped when the policy says so, and replaced explicitly otherwise", () => {
    const start = buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] })
    const protectedFirst = {
      ...start,
      groups: start.groups.map((g) => ({
        ...g,
        instances: g.instances.map((m, k) => ({ ...m, protectedFromScaleIn: k === 0 })),
      })),
    }
    const skipped = runRollout(protectedFirst, policy({ protectedInstances: "skip" }))
    const touched = allCommands(skipped).flatMap((c) =>
      "instanceIds" in c && c._tag !== "TagInstances" ? c.instanceIds : [],
    )
    expect(touched).not.toContain("i-a-o0")
    const replaced = runRollout(protectedFirst, policy({ protectedInstances: "replace" }))
    const terminated = allCommands(replaced).flatMap((c) =>
      c._tag === "TerminateInstances" ? c.instanceIds : [],
    )
    expect(terminated).toContain("i-a-o0")
  })

  it("AL2 → AL2023 family change: refused by default, allowed by policy", () => {
    const al2 = image("ami-al2", "amzn2-ami-ecs-hvm-2.0.2025-x86_64-ebs")
    const start = buildCluster({ groups: [{ name: "a", old: 1 }] })
    const onAl2: ClusterSnapshot = {
      ...start,
      images: [al2, newImage],
      instances: start.instances.map((i) => ({ ...i, imageId: al2.imageId })),
    }
    const refused = decide(initialState, onAl2, policy(), 0)
    expect(refused._tag === "Refuse" && refused.problems.map((p) => p.problem).join()).toContain("al2")
    const fixes = refused._tag === "Refuse" ? refused.problems.map((p) => p.fix).join() : ""
    expect(fixes).toContain("--ami-filter 'amzn2-ami-ecs-hvm-*-x86_64-ebs'")
    expect(fixes).toContain("--allow-image-family-change")
    expect(decide(initialState, onAl2, policy({ allowImageFamilyChange: true }), 0)._tag).toBe("Start")
  })

  it("no overall deadline: a run past its run timeout stops adding work and rolls back", () => {
    const p = policy()
    const { world } = runUntil(
      newWorld(buildCluster({ groups: [{ name: "a", old: 2 }] }), p),
      issues("SetCapacity"),
    )
    const late = { ...world, now: (world.events[0]?.at ?? 0) + p.timeouts.runMs }
    expect(decideNow(late)._tag).toBe("RollBack")
  })
})
