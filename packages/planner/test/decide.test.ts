/**
 * Given/when/then tests of `decide`, phase by phase, on snapshots built by the fixtures and moved
 * forward by the tiny model (test/model.ts).
 */
import { isDestructive, RunTagKeys, type Command, type Decision } from "@ecs-ami-deploy/domain"
import { describe, expect, it } from "vitest"
import { commandIds, decide, initialState, MAX_COMMAND_FAILURES } from "../src/index.ts"
import { buildCluster, newImage, oldImage, policy, task } from "./fixtures.ts"
import {
  carryOut,
  commandsOf,
  crashDuring,
  decideNow,
  is,
  issues,
  newWorld,
  record,
  runRollout,
  runUntil,
  withContainer,
  type World,
} from "./model.ts"

const twoGroups = () =>
  buildCluster({
    groups: [
      { name: "a", old: 4 },
      { name: "b", old: 2, fresh: 1 },
    ],
    services: [{ name: "web", tasks: 4 }],
  })

const commandTagged = <T extends Command["_tag"]>(
  decision: Decision,
  tag: T,
): Extract<Command, { _tag: T }> => {
  const found = commandsOf(decision).find((c) => c._tag === tag)
  if (found === undefined) throw new Error(`expected a ${tag} in ${JSON.stringify(decision)}`)
  return found as Extract<Command, { _tag: T }>
}

/** Runs until the decision satisfies `stop`, returning the world before that decision and the decision. */
const reach = (world: World, stop: (d: Decision) => boolean) => {
  const rollout = runUntil(world, stop)
  const decision = rollout.steps.at(-1)?.decision
  if (decision === undefined || !stop(decision))
    throw new Error("the run never reached the expected decision")
  return { world: rollout.world, decision }
}

describe("given no open run", () => {
  it("when instances run another image, then decide starts a run recording each group's start state", () => {
    const snapshot = twoGroups()
    const decision = decide(initialState, snapshot, policy(), 0)
    expect(decision._tag).toBe("Start")
    if (decision._tag !== "Start") return
    expect(decision.targetImage.imageId).toBe(newImage.imageId)
    expect(decision.groups.map((g) => [g.asgName, g.desiredCapacity, g.oldInstanceIds.length])).toEqual([
      ["a", 4, 4],
      ["b", 3, 2],
    ])
  })

  it("when every instance and launch spec already use the target, then there is nothing to do", () => {
    const snapshot = buildCluster({ groups: [{ name: "a", old: 0, fresh: 2 }] })
    const current = {
      ...snapshot,
      groups: snapshot.groups.map((g) => ({ ...g, launchSpecImageId: newImage.imageId })),
    }
    expect(decide(initialState, current, policy(), 0)._tag).toBe("NothingToDo")
  })

  it("when only the launch spec is outdated, then a run starts that replaces no instance", () => {
    const decision = decide(
      initialState,
      buildCluster({ groups: [{ name: "a", old: 0, fresh: 2 }] }),
      policy(),
      0,
    )
    expect(decision._tag === "Start" && decision.groups.map((g) => g.oldInstanceIds.length)).toEqual([0])
  })

  it("when the previous run finished without replacing everything, then decide plans afresh", () => {
    const { world } = reach(newWorld(twoGroups(), policy()), issues("SetCapacity"))
    const finished = record(world, { _tag: "RunFinished", outcome: "failed", reason: "stopped by operator" })
    expect(finished.state._tag).toBe("Finished")
    expect(decideNow(finished)._tag).toBe("Start")
  })

  it("when the policy is impossible, then decide refuses and says what to change", () => {
    const decision = decide(
      initialState,
      twoGroups(),
      policy({ maxDraining: { unit: "instances", value: 0 } }),
      0,
    )
    expect(decision._tag).toBe("Refuse")
    if (decision._tag === "Refuse") expect(decision.problems[0]?.problem).toContain("maxDraining")
  })
})

describe("given a run that just started", () => {
  const started = () =>
    carryOut(
      newWorld(twoGroups(), policy()),
      decide(initialState, twoGroups(), policy(), twoGroups().observedAt),
    )

  it("when deciding, then it tags the old set, suspends AZRebalance and updates each launch spec before any capacity change", () => {
    const decision = decideNow(started())
    expect(decision._tag === "Act" && decision.phase).toBe("preparing")
    expect(commandsOf(decision).map((c) => c.id)).toEqual([
      "tag-old:a",
      "suspend:a",
      "launch-spec:a",
      "tag-old:b",
      "suspend:b",
      "launch-spec:b",
    ])
    const tag = commandTagged(decision, "TagInstances")
    expect(tag.tags[RunTagKeys.runId]).toBe("run-1")
    expect(tag.tags[RunTagKeys.role]).toBe("old")
    expect(commandTagged(decision, "UpdateLaunchSpec").imageId).toBe(newImage.imageId)
  })

  it("when the policy keeps AZRebalance running, then only AlarmNotification (the group's scaling policies) is suspended and resumed", () => {
    const rollout = runRollout(twoGroups(), policy({ suspendAzRebalance: false }))
    const processes = (tag: string) =>
      rollout.steps.flatMap((s) =>
        commandsOf(s.decision).flatMap((c) =>
          c._tag === tag && (c._tag === "SuspendProcesses" || c._tag === "ResumeProcesses")
            ? [c.processes]
            : [],
        ),
      )
    expect(processes("SuspendProcesses")).toEqual([["AlarmNotification"], ["AlarmNotification"]])
    expect(processes("ResumeProcesses")).toEqual([["AlarmNotification"], ["AlarmNotification"]])
    expect(rollout.world.snapshot.groups.every((g) => g.suspendedProcesses.length === 0)).toBe(true)
  })

  it("when AZRebalance and AlarmNotification were already suspended at start, then the run neither suspends nor resumes them", () => {
    const snapshot = twoGroups()
    const suspended = {
      ...snapshot,
      groups: snapshot.groups.map((g) => ({
        ...g,
        suspendedProcesses: ["AZRebalance", "AlarmNotification"],
      })),
    }
    const rollout = runRollout(suspended, policy())
    const tags = rollout.steps.flatMap((s) => commandsOf(s.decision).map((c) => c._tag))
    expect(tags).not.toContain("SuspendProcesses")
    expect(tags).not.toContain("ResumeProcesses")
    expect(
      rollout.world.snapshot.groups.every(
        (g) =>
          g.suspendedProcesses.includes("AZRebalance") && g.suspendedProcesses.includes("AlarmNotification"),
      ),
    ).toBe(true)
  })
})

describe("given surge mode", () => {
  it("when preparation is done, then it raises desired capacity by the wave size and max with it, and says so", () => {
    const { decision } = reach(newWorld(twoGroups(), policy()), issues("SetCapacity"))
    const capacity = commandTagged(decision, "SetCapacity")
    // Group a: 4 instances, 50% surge and 50% draining → waves of 2.
    expect(capacity).toMatchObject({
      id: "capacity:a:w1",
      asgName: "a",
      desiredCapacity: 6,
      maxSize: 6,
      minSize: 1,
    })
    expect(capacity.reason).toContain("raises max size from 4 to 6 until the run ends")
  })

  it("when the new instances never register with ECS, then it waits until the new-capacity deadline and then rolls back", () => {
    const p = policy()
    const { world, decision } = reach(
      newWorld(twoGroups(), p, { newInstancesNeverRegister: true }),
      is("Wait"),
    )
    const capacityAt = world.events.find(
      (e) => e._tag === "CommandSucceeded" && e.commandId === "capacity:a:w1",
    )?.at
    expect(decision._tag === "Wait" && decision.deadline).toBe(
      (capacityAt ?? Number.NaN) + p.timeouts.newCapacityMs,
    )
    const after = reach(world, (d) => d._tag !== "Wait").decision
    expect(after._tag).toBe("RollBack")
  })

  it("when new capacity is not proven and rollback is off, then the run finishes failed and leaves the cluster as it is", () => {
    const rollout = runRollout(twoGroups(), policy({ rollbackOnFailure: false }), {
      newInstancesNeverRegister: true,
    })
    const last = rollout.steps.at(-1)?.decision
    expect(last?._tag === "Finish" && last.outcome).toBe("failed")
    expect(rollout.steps.some((s) => s.decision._tag === "RollBack")).toBe(false)
  })

  it("when launched instances are in the group but EC2 does not describe them yet, then it waits for them", () => {
    const { decision } = reach(newWorld(twoGroups(), policy(), { newInstancesInvisible: true }), is("Wait"))
    expect(decision).toMatchObject({
      _tag: "Wait",
      phase: "proving",
      reason: "0 of 2 new instance(s) of a proven",
    })
  })

  it("when launched instances never appear, then rollback removes them and restores the start size", () => {
    const start = twoGroups()
    const rollout = runRollout(start, policy(), { newInstancesInvisible: true })
    const last = rollout.steps.at(-1)?.decision
    expect(last?._tag === "Finish" && last.outcome).toBe("rolled-back")
    const group = rollout.world.snapshot.groups.find((g) => g.name === "a")
    expect(group?.instances.map((m) => m.instanceId)).toEqual(
      start.groups[0]?.instances.map((m) => m.instanceId),
    )
  })

  it("when a new instance's agent is disconnected, then it is not proven capacity", () => {
    const { world } = reach(newWorld(twoGroups(), policy()), issues("DrainInstances"))
    const fresh = world.snapshot.instances.filter((i) => i.launchTime > 0).map((i) => i.instanceId)
    const snapshot = fresh.reduce((s, id) => withContainer(s, id, { agentConnected: false }), world.snapshot)
    expect(decide(world.state, snapshot, world.policy, world.now)._tag).toBe("Wait")
  })

  it("when capacity is proven but younger than the bake time, then it waits until the bake time has passed", () => {
    const p = policy({ bakeTimeMs: 600_000 })
    const { world, decision } = reach(
      newWorld(twoGroups(), p),
      (d) => d._tag === "Wait" || issues("DrainInstances")(d),
    )
    const capacityAt =
      world.events.find((e) => e._tag === "CommandSucceeded" && e.commandId === "capacity:a:w1")?.at ??
      Number.NaN
    expect(decision).toMatchObject({ _tag: "Wait", phase: "proving", deadline: capacityAt + 600_000 })
    expect(issues("DrainInstances")(decide(world.state, world.snapshot, p, capacityAt + 600_000))).toBe(true)
  })

  it("when capacity is proven, then the whole wave drains in one command with a stable id", () => {
    const { world, decision } = reach(newWorld(twoGroups(), policy()), issues("DrainInstances"))
    const drain = commandTagged(decision, "DrainInstances")
    expect(drain).toMatchObject({ id: "drain:a:w1", wave: 1, instanceIds: ["i-a-o0", "i-a-o1"] })
    expect(drain.containerInstanceArns).toHaveLength(2)
    expect(decide(world.state, world.snapshot, world.policy, world.now)).toEqual(decision)
  })

  it("when new capacity has room for one displaced task only, then the wave shrinks to the instance whose task fits", () => {
    const { world } = reach(newWorld(twoGroups(), policy()), issues("DrainInstances"))
    // Each old instance of the wave runs one web task (256 CPU, 512 MiB); one new instance has room for one,
    // every other instance on the target image (group b's fresh one included) is full.
    const [roomy, ...full] = world.snapshot.instances
      .filter((i) => i.imageId === newImage.imageId)
      .map((i) => i.instanceId)
    const filled = full.reduce(
      (s, id) => withContainer(s, id, { remaining: { cpu: 0, memory: 0, ports: [] } }),
      world.snapshot,
    )
    const snapshot = withContainer(filled, roomy ?? "", { remaining: { cpu: 300, memory: 600, ports: [] } })
    const drain = commandTagged(decide(world.state, snapshot, world.policy, world.now), "DrainInstances")
    expect(drain.instanceIds).toEqual(["i-a-o0"])
  })

  it("when the wave still runs service tasks, then it waits until the drain-wave deadline and then rolls back", () => {
    const p = policy()
    const { world } = reach(newWorld(twoGroups(), p), issues("TerminateInstances"))
    const drainAt =
      world.events.find((e) => e._tag === "CommandSucceeded" && e.commandId === "drain:a:w1")?.at ??
      Number.NaN
    const stuck = {
      ...world.snapshot,
      tasks: [...world.snapshot.tasks, task("arn:task/web/stuck", "i-a-o0", { serviceName: "web" })],
    }
    const waiting = decide(world.state, stuck, p, world.now)
    expect(waiting._tag === "Wait" && waiting.deadline).toBe(drainAt + p.timeouts.drainWaveMs)
    expect(decide(world.state, stuck, p, drainAt + p.timeouts.drainWaveMs)._tag).toBe("RollBack")
  })

  it("when the wave is drained, then it terminates exactly the wave, decrementing desired capacity", () => {
    const { decision } = reach(newWorld(twoGroups(), policy()), issues("TerminateInstances"))
    expect(commandTagged(decision, "TerminateInstances")).toMatchObject({
      id: "terminate:a:w1",
      instanceIds: ["i-a-o0", "i-a-o1"],
      decrementDesiredCapacity: true,
    })
  })

  it("when every wave is done, then it restores capacity, resumes only what it suspended, cleans up launch specs, and finishes", () => {
    const p = policy({ keepLaunchSpecs: 3 })
    const rollout = runRollout(twoGroups(), p)
    const final = rollout.steps.at(-1)?.decision
    expect(final?._tag === "Finish" && final.outcome).toBe("succeeded")
    const cleanups = rollout.steps
      .flatMap((s) => commandsOf(s.decision))
      .filter((c) => c._tag === "CleanupLaunchSpecs")
    expect(cleanups.map((c) => [c.id, c._tag === "CleanupLaunchSpecs" && c.keep])).toEqual([
      ["cleanup:a", 3],
      ["cleanup:b", 3],
    ])
    const start = twoGroups()
    for (const group of rollout.world.snapshot.groups) {
      const before = start.groups.find((g) => g.name === group.name)
      expect([group.desiredCapacity, group.minSize, group.maxSize]).toEqual([
        before?.desiredCapacity,
        before?.minSize,
        before?.maxSize,
      ])
      expect(group.suspendedProcesses).toEqual([])
      const images = group.instances.map(
        (m) => rollout.world.snapshot.instances.find((i) => i.instanceId === m.instanceId)?.imageId,
      )
      expect(new Set(images)).toEqual(new Set([newImage.imageId]))
    }
  })
})

describe("given an old instance that never registered with ECS", () => {
  it("when its wave comes, then it is drained with no container instance and terminated", () => {
    const start = buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 1 }] })
    const unregistered = {
      ...start,
      containerInstances: start.containerInstances.filter((c) => c.ec2InstanceId !== "i-a-o1"),
    }
    const rollout = runRollout(unregistered, policy())
    const commands = rollout.steps.flatMap((s) => commandsOf(s.decision))
    const drain = commands.find((c) => c._tag === "DrainInstances" && c.instanceIds.includes("i-a-o1"))
    expect(drain?._tag === "DrainInstances" && drain.containerInstanceArns).toEqual([])
    expect(commands.some((c) => c._tag === "TerminateInstances" && c.instanceIds.includes("i-a-o1"))).toBe(
      true,
    )
    const last = rollout.steps.at(-1)?.decision
    expect(last?._tag === "Finish" && last.outcome).toBe("succeeded")
  })
})

describe("given detach mode", () => {
  it("when adding capacity, then it detaches a wave without decrementing and later terminates it without decrementing", () => {
    const rollout = runRollout(twoGroups(), policy({ capacityMode: "detach" }))
    const commands = rollout.steps.flatMap((s) => commandsOf(s.decision))
    const detach = commands.find((c) => c.id === "detach:a:w1")
    expect(
      detach?._tag === "DetachInstances" && [detach.instanceIds, detach.decrementDesiredCapacity],
    ).toEqual([["i-a-o0", "i-a-o1"], false])
    const terminate = commands.find((c) => c.id === "terminate:a:w1")
    expect(terminate?._tag === "TerminateInstances" && terminate.decrementDesiredCapacity).toBe(false)
    const last = rollout.steps.at(-1)?.decision
    expect(last?._tag === "Finish" && last.outcome).toBe("succeeded")
  })

  it("when a service can move only two tasks at once, then a wave detaches no more instances running its tasks than that, and every wave drains", () => {
    // web: 4 tasks, one per instance; 100%..150% lets ECS replace ⌊1.5 × 4⌋ − 4 = 2 at a time.
    const cluster = buildCluster({
      groups: [{ name: "a", old: 4 }],
      services: [{ name: "web", tasks: 4, min: 100, max: 150, distinct: true }],
    })
    const limits = { unit: "instances", value: 4 } as const
    const rollout = runRollout(
      cluster,
      policy({ capacityMode: "detach", maxSurge: limits, maxDraining: limits }),
    )
    const detaches = rollout.steps
      .flatMap((s) => commandsOf(s.decision))
      .flatMap((c) => (c._tag === "DetachInstances" ? [c.instanceIds.length] : []))
    expect(detaches).toEqual([2, 2])
    const last = rollout.steps.at(-1)?.decision
    expect(last?._tag === "Finish" && last.outcome).toBe("succeeded")
  })
})

describe("given a command whose outcome is unknown", () => {
  const issuedOnly = (world: World, decision: Decision): World =>
    commandsOf(decision).reduce(
      (w, command) => record(w, { _tag: "CommandIssued", command, attempt: 1 }),
      world,
    )

  it("when its effect is not visible, then the same command (same id, same content) is emitted again", () => {
    const { world, decision } = reach(newWorld(twoGroups(), policy()), issues("DrainInstances"))
    const crashed = issuedOnly(world, decision)
    expect(decideNow(crashed)).toEqual(decision)
  })

  it("when its effect is visible, then the run moves on without re-issuing it", () => {
    const { world, decision } = reach(newWorld(twoGroups(), policy()), issues("DrainInstances"))
    const drain = commandTagged(decision, "DrainInstances")
    const crashed = issuedOnly(world, decision)
    const drained = drain.instanceIds.reduce(
      (s, id) => withContainer(s, id, { status: "DRAINING" }),
      crashed.snapshot,
    )
    const next = decide(crashed.state, drained, crashed.policy, crashed.now)
    expect(commandsOf(next).some((c) => c.id === drain.id)).toBe(false)
  })

  it("when SuspendProcesses took effect but its outcome was lost, then the end game's ResumeProcesses is final: preparation is not re-issued after it and AZRebalance ends resumed", () => {
    const { world, decision } = reach(newWorld(twoGroups(), policy()), issues("SuspendProcesses"))
    const suspend = commandTagged(decision, "SuspendProcesses")
    // The suspension reaches AWS, then the process dies before recording its success; every other
    // preparation step of the decision completes normally.
    const others = commandsOf(decision).filter((c) => c.id !== suspend.id)
    const preparing = (commands: ReadonlyArray<Command>): Decision => ({
      _tag: "Act",
      phase: "preparing",
      commands,
    })
    const crashed = crashDuring(carryOut(world, preparing(others)), preparing([suspend]), true)
    const rest = runUntil(crashed, is("Finish"))
    const issued = rest.steps.flatMap((step) => commandsOf(step.decision))
    const resumedAt = issued.findIndex((c) => c._tag === "ResumeProcesses" && c.asgName === suspend.asgName)
    expect(resumedAt).toBeGreaterThanOrEqual(0)
    expect(issued.slice(resumedAt).filter((c) => c._tag === "SuspendProcesses")).toEqual([])
    expect(rest.world.snapshot.groups.find((g) => g.name === suspend.asgName)?.suspendedProcesses).toEqual([])
  })

  it("when a destructive command succeeded, then deciding again on the old snapshot never emits it again", () => {
    const { world, decision } = reach(newWorld(twoGroups(), policy()), issues("TerminateInstances"))
    const after = carryOut(world, decision)
    const again = decide(after.state, world.snapshot, world.policy, after.now)
    const repeated = commandsOf(again).filter(
      (c) => isDestructive(c) && commandsOf(decision).some((d) => d.id === c.id),
    )
    expect(repeated).toEqual([])
  })
})

describe("given failures", () => {
  const failing = (retryable: boolean, times: number) => {
    const { world, decision } = reach(newWorld(twoGroups(), policy()), issues("SetCapacity"))
    let failed = world
    for (let k = 0; k < times; k++)
      failed = commandsOf(decision).reduce(
        (w, command) =>
          record(record(w, { _tag: "CommandIssued", command, attempt: k + 1 }), {
            _tag: "CommandFailed",
            commandId: command.id,
            errorTag: "AwsCallError",
            message: "denied",
            retryable,
          }),
        failed,
      )
    return { failed, decision }
  }

  it("when a command failed with a retryable error, then it is emitted again", () => {
    const { failed, decision } = failing(true, 1)
    expect(decideNow(failed)).toEqual(decision)
  })

  it(`when a retryable command failed ${MAX_COMMAND_FAILURES} times, then the run rolls back`, () => {
    expect(decideNow(failing(true, MAX_COMMAND_FAILURES).failed)._tag).toBe("RollBack")
  })

  it("when a command failed with a non-retryable error, then the run rolls back", () => {
    const decision = decideNow(failing(false, 1).failed)
    expect(decision._tag === "RollBack" && decision.reason).toContain("capacity:a:w1")
  })

  it("when the run timeout passes, then the run rolls back", () => {
    const p = policy()
    const { world } = reach(newWorld(twoGroups(), p), issues("DrainInstances"))
    const started = world.events[0]?.at ?? Number.NaN
    const decision = decide(world.state, world.snapshot, p, started + p.timeouts.runMs)
    expect(decision._tag === "RollBack" && decision.reason).toContain("run timeout")
  })

  it("when tasks on new-image instances keep failing health checks, then the run rolls back", () => {
    const rollout = runRollout(twoGroups(), policy(), { newImageBroken: true })
    const rollback = rollout.steps.find((s) => s.decision._tag === "RollBack")?.decision
    expect(rollback?._tag === "RollBack" && rollback.reason).toContain("new image looks broken")
  })
})

describe("given a rollback", () => {
  it("when new capacity never registered, then it restores launch spec, capacity and processes, removes only new instances, and finishes rolled back", () => {
    const start = twoGroups()
    const rollout = runRollout(start, policy(), { newInstancesNeverRegister: true })
    const last = rollout.steps.at(-1)?.decision
    expect(last?._tag === "Finish" && last.outcome).toBe("rolled-back")
    const rollbackCommands = rollout.steps
      .slice(rollout.steps.findIndex((s) => s.decision._tag === "RollBack"))
      .flatMap((s) => commandsOf(s.decision))
    expect(
      commandTagged({ _tag: "Act", phase: "rolling-back", commands: rollbackCommands }, "RestoreLaunchSpec")
        .launchSpec,
    ).toEqual(start.groups[0]?.launchSpec)
    const removed = rollbackCommands.flatMap((c) => (c._tag === "TerminateInstances" ? c.instanceIds : []))
    expect(removed.length).toBeGreaterThan(0)
    expect(removed.every((id) => !id.includes("-o"))).toBe(true)
    for (const group of rollout.world.snapshot.groups) {
      const before = start.groups.find((g) => g.name === group.name)
      expect(group).toMatchObject({
        desiredCapacity: before?.desiredCapacity,
        minSize: before?.minSize,
        maxSize: before?.maxSize,
        launchSpecImageId: oldImage.imageId,
        suspendedProcesses: [],
      })
    }
  })

  it("when old instances were draining, then they are activated again", () => {
    const p = policy()
    const { world } = reach(newWorld(twoGroups(), p), issues("TerminateInstances"))
    const rolling = record(world, { _tag: "RollbackStarted", reason: "operator asked" })
    const activate = commandTagged(decideNow(rolling), "ActivateInstances")
    expect(activate.id).toBe(commandIds.activate("a"))
    expect(activate.containerInstanceArns).toHaveLength(2)
  })
})
