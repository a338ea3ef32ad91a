/**
 * The end of a run and the instances it removes: desired capacity is only ever lowered by removing
 * specific, drained instances (never by letting Auto Scaling pick), the zones stay balanced so that
 * resuming AZRebalance removes nothing, instances the Go tool detached are finished, and a failure
 * before rollback is reported as such. Runs on the tiny model (test/model.ts) and on snapshots built
 * by the fixtures.
 */
import { RunTagKeys, type ClusterSnapshot, type Command } from "@ecs-ami-deploy/domain"
import { describe, expect, it } from "vitest"
import { commandIds, decide, initialState } from "../src/index.ts"
import { buildCluster, newImage, policy, task, withAccounting, withMember } from "./fixtures.ts"
import {
  applyCommand,
  carryOut,
  commandsOf,
  decideNow,
  is,
  newWorld,
  record,
  runUntil,
  type Step,
  type World,
} from "./model.ts"

const capacityStates = new Set(["Pending", "Pending:Wait", "Pending:Proceed", "InService"])

/**
 * Every SetCapacity a run issued, with the members Auto Scaling counted when it took effect (after the
 * commands before it in the same decision, a terminate with decrement removing its instances).
 */
const setCapacities = (steps: ReadonlyArray<Step>) =>
  steps.flatMap((step) => {
    const live = new Map(
      step.snapshot.groups.map((g) => [
        g.name,
        new Set(g.instances.filter((m) => capacityStates.has(m.lifecycleState)).map((m) => m.instanceId)),
      ]),
    )
    return commandsOf(step.decision).flatMap((command) => {
      if (command._tag === "TerminateInstances")
        for (const id of command.instanceIds) live.get(command.asgName)?.delete(id)
      return command._tag === "SetCapacity" ? [{ command, live: live.get(command.asgName)?.size ?? 0 }] : []
    })
  })

const commandsIssued = (steps: ReadonlyArray<Step>): ReadonlyArray<Command> =>
  steps.flatMap((step) => commandsOf(step.decision))

/** Runs the world until the decision satisfies `stop`, then carries that decision out. */
const through = (world: World, stop: Parameters<typeof runUntil>[1]): World => {
  const rollout = runUntil(world, stop)
  const decision = rollout.steps.at(-1)?.decision
  if (decision === undefined || !stop(decision))
    throw new Error("the run never reached the expected decision")
  return carryOut(rollout.world, decision)
}

/** One more InService member of `asgName` on the target image, registered and idle. */
const withExtraNewMember = (
  snapshot: ClusterSnapshot,
  asgName: string,
  instanceId: string,
): ClusterSnapshot =>
  withMember(snapshot, asgName, {
    instanceId,
    imageId: newImage.imageId,
    lifecycleState: "InService",
    registered: true,
  })

/** Puts each listed instance of a group in a zone, and gives the group those zones. */
const inZones = (
  snapshot: ClusterSnapshot,
  asgName: string,
  zones: ReadonlyArray<string>,
  zoneOf: Readonly<Record<string, string>>,
): ClusterSnapshot => ({
  ...snapshot,
  groups: snapshot.groups.map((g) =>
    g.name !== asgName
      ? g
      : {
          ...g,
          availabilityZones: zones,
          instances: g.instances.map((m) => ({
            ...m,
            availabilityZone: zoneOf[m.instanceId] ?? m.availabilityZone,
          })),
        },
  ),
})

const zoneSpread = (snapshot: ClusterSnapshot, asgName: string): ReadonlyArray<number> => {
  const group = snapshot.groups.find((g) => g.name === asgName)
  return (group?.availabilityZones ?? []).map(
    (zone) => group?.instances.filter((m) => m.availabilityZone === zone).length ?? 0,
  )
}

describe("surplus capacity at the end of a run", () => {
  it("given a group ending its last wave with one instance more than at the start, when the run ends, then that instance is drained and terminated with decrement, and desired capacity is never set below the members", () => {
    const start = newWorld(
      buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] }),
      policy(),
    )
    const afterWaves = through(start, (d) => commandsOf(d).some((c) => c.id === commandIds.terminate("a", 2)))
    const world = { ...afterWaves, snapshot: withExtraNewMember(afterWaves.snapshot, "a", "i-a-extra") }

    const next = decideNow(world)
    expect(commandsOf(next)).toEqual([
      expect.objectContaining({
        _tag: "DrainInstances",
        id: commandIds.trimDrain("a", 1),
        instanceIds: ["i-a-extra"],
      }),
    ])

    const rest = runUntil(world, is("Finish"))
    expect(rest.steps.at(-1)?.decision).toMatchObject({ _tag: "Finish", outcome: "succeeded" })
    expect(commandsIssued(rest.steps)).toContainEqual(
      expect.objectContaining({
        _tag: "TerminateInstances",
        id: commandIds.trimTerminate("a", 1),
        instanceIds: ["i-a-extra"],
        decrementDesiredCapacity: true,
      }),
    )
    for (const { command, live } of setCapacities(rest.steps))
      expect(command.desiredCapacity, command.id).toBeGreaterThanOrEqual(live)
    expect(rest.world.snapshot.groups[0]).toMatchObject({ desiredCapacity: 2, minSize: 1, maxSize: 2 })
    expect(rest.world.snapshot.instances.find((i) => i.instanceId === "i-a-extra")?.state).toBe("terminated")
  })

  it("given surplus instances whose tasks fit nowhere else, when the run ends, then they are kept and desired capacity stays at the members", () => {
    const start = newWorld(
      buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] }),
      policy(),
    )
    const afterWaves = through(start, (d) => commandsOf(d).some((c) => c.id === commandIds.terminate("a", 2)))
    const withExtra = withExtraNewMember(afterWaves.snapshot, "a", "i-a-extra")
    // Every member runs a task that fills it: nothing a drain displaces could be placed.
    const world = {
      ...afterWaves,
      snapshot: withAccounting({
        ...withExtra,
        tasks: [
          ...withExtra.tasks,
          ...(withExtra.groups[0]?.instances ?? []).map((m) =>
            task(`arn:task/big/${m.instanceId}`, m.instanceId, { serviceName: "web", memory: 4096 }),
          ),
        ],
      }),
    }
    const rest = runUntil(world, is("Finish"))
    const finish = rest.steps.at(-1)?.decision
    expect(finish).toMatchObject({ _tag: "Finish", outcome: "succeeded" })
    expect(finish?._tag === "Finish" && finish.reason).toContain(
      "a keeps 1 instance(s) above its start capacity",
    )
    expect(commandsIssued(rest.steps).map((c) => c._tag)).not.toContain("DrainInstances")
    for (const { command, live } of setCapacities(rest.steps))
      expect(command.desiredCapacity, command.id).toBeGreaterThanOrEqual(live)
    expect(rest.world.snapshot.groups[0]).toMatchObject({ desiredCapacity: 3, minSize: 1 })
    expect(rest.world.snapshot.groups[0]?.instances).toHaveLength(3)
  })
})

describe("surplus removal and zones", () => {
  it("given a large zone whose surplus cannot move and an empty instance in the small zone, when the run ends, then the empty one stays and receives a task of the large zone, whose instance is removed", () => {
    const start = newWorld(
      buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] }),
      policy(),
    )
    const afterWaves = through(start, (d) => commandsOf(d).some((c) => c.id === commandIds.terminate("a", 2)))
    const members = (afterWaves.snapshot.groups[0]?.instances ?? []).map((m) => m.instanceId)
    const [first, second] = members
    if (first === undefined || second === undefined) throw new Error("expected two members after the waves")
    const extras = ["i-a-x1", "i-a-x2", "i-a-x3"].reduce(
      (snapshot, id) => withExtraNewMember(snapshot, "a", id),
      afterWaves.snapshot,
    )
    const zoned = inZones(extras, "a", ["eu-west-1a", "eu-west-1b"], {
      [first]: "eu-west-1a",
      "i-a-x1": "eu-west-1a",
      "i-a-x2": "eu-west-1a",
      [second]: "eu-west-1b",
      "i-a-x3": "eu-west-1b",
    })
    // Every member but i-a-x3 runs a task that fills it: only the empty i-a-x3 has room for one.
    const world = {
      ...afterWaves,
      snapshot: withAccounting({
        ...zoned,
        tasks: [first, second, "i-a-x1", "i-a-x2"].map((id) =>
          task(`arn:task/big/${id}`, id, { serviceName: "web", memory: 4096 }),
        ),
      }),
    }
    const rest = runUntil(world, is("Finish"))
    const drained = commandsIssued(rest.steps).flatMap((c) =>
      c._tag === "DrainInstances" ? c.instanceIds : [],
    )
    expect(drained).not.toContain("i-a-x3")
    expect(drained.length).toBeGreaterThan(0)
    for (const { command, live } of setCapacities(rest.steps))
      expect(command.desiredCapacity, command.id).toBeGreaterThanOrEqual(live)
    expect(zoneSpread(rest.world.snapshot, "a")).toEqual([2, 2])
  })
})

describe("members Auto Scaling counts", () => {
  it("given a member EC2 already reports terminated but Auto Scaling still counts, when the run ends, then desired capacity is never set below what Auto Scaling counts and that member is left to its health check", () => {
    const start = newWorld(
      buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] }),
      policy(),
    )
    const afterWaves = through(start, (d) => commandsOf(d).some((c) => c.id === commandIds.terminate("a", 2)))
    const withDead = withExtraNewMember(afterWaves.snapshot, "a", "i-a-dead")
    const world = {
      ...afterWaves,
      snapshot: {
        ...withDead,
        instances: withDead.instances.map((i) =>
          i.instanceId === "i-a-dead" ? { ...i, state: "terminated" as const } : i,
        ),
      },
    }
    const rest = runUntil(world, is("Finish"))
    expect(rest.steps.at(-1)?.decision).toMatchObject({ _tag: "Finish", outcome: "succeeded" })
    for (const { command, live } of setCapacities(rest.steps))
      expect(command.desiredCapacity, command.id).toBeGreaterThanOrEqual(live)
    const touched = commandsIssued(rest.steps).flatMap((c) =>
      c._tag === "DrainInstances" || c._tag === "TerminateInstances" ? c.instanceIds : [],
    )
    expect(touched).not.toContain("i-a-dead")
  })
})

describe("Auto Scaling still moving", () => {
  it("given Auto Scaling about to launch a replacement (desired capacity above its members), when the run ends, then it waits for the launch before setting any capacity", () => {
    const start = newWorld(
      buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "web", tasks: 2 }] }),
      policy(),
    )
    const afterWaves = through(start, (d) => commandsOf(d).some((c) => c.id === commandIds.terminate("a", 2)))
    // An instance was lost and its replacement is not launched yet: one member fewer than desired.
    const world = {
      ...afterWaves,
      snapshot: {
        ...afterWaves.snapshot,
        groups: afterWaves.snapshot.groups.map((g) => ({ ...g, desiredCapacity: g.desiredCapacity + 1 })),
      },
    }
    const decision = decideNow(world)
    expect(decision).toMatchObject({
      _tag: "Wait",
      reason: "Auto Scaling is bringing a from 2 to 3 instance(s)",
    })
  })
})

describe("zone balance", () => {
  it("given three old instances in one zone and one in the other, when a wave of one drains, then it is taken from the zone with the most instances", () => {
    const snapshot = inZones(
      buildCluster({ groups: [{ name: "a", old: 4 }], services: [{ name: "web", tasks: 4 }] }),
      "a",
      ["eu-west-1a", "eu-west-1b"],
      { "i-a-o0": "eu-west-1b", "i-a-o1": "eu-west-1a", "i-a-o2": "eu-west-1a", "i-a-o3": "eu-west-1a" },
    )
    const world = newWorld(snapshot, policy({ maxSurge: { unit: "instances", value: 1 } }))
    const rollout = runUntil(world, (d) => commandsOf(d).some((c) => c._tag === "DrainInstances"))
    const drain = commandsOf(
      rollout.steps.at(-1)?.decision ?? { _tag: "Finish", outcome: "failed", reason: "" },
    )
    // The new instance went to 1b (1 instance): 1a has 3, so one of them leaves.
    expect(drain).toEqual([expect.objectContaining({ _tag: "DrainInstances", instanceIds: ["i-a-o1"] })])
  })

  it("given a run that leaves the zones three to one, when it ends, then it launches into the small zone, removes a drained instance from the large one, and resumes AZRebalance only on a balanced group", () => {
    const snapshot = inZones(
      buildCluster({ groups: [{ name: "a", old: 2, fresh: 2 }], services: [{ name: "web", tasks: 2 }] }),
      "a",
      ["eu-west-1a", "eu-west-1b"],
      { "i-a-n0": "eu-west-1a", "i-a-n1": "eu-west-1a", "i-a-o0": "eu-west-1b", "i-a-o1": "eu-west-1b" },
    )
    // The surge of two lands one in each zone (3/3); both old instances are in 1b, leaving 3/1.
    const rollout = runUntil(newWorld(snapshot, policy()), is("Finish"))
    expect(rollout.steps.at(-1)?.decision).toMatchObject({ _tag: "Finish", outcome: "succeeded" })
    const commands = commandsIssued(rollout.steps)
    expect(commands).toContainEqual(
      expect.objectContaining({ _tag: "SetCapacity", id: commandIds.balance("a", 1), desiredCapacity: 5 }),
    )
    const trim = commands.find((c) => c.id === commandIds.trimTerminate("a", 1))
    expect(trim).toMatchObject({ _tag: "TerminateInstances", decrementDesiredCapacity: true })
    const trimmedZone = rollout.steps
      .at(0)
      ?.snapshot.groups[0]?.instances.find(
        (m) => trim?._tag === "TerminateInstances" && m.instanceId === trim.instanceIds[0],
      )
    expect(trimmedZone?.availabilityZone ?? "eu-west-1a").toBe("eu-west-1a")
    const resumedAt = rollout.steps.find((step) =>
      commandsOf(step.decision).some((c) => c._tag === "ResumeProcesses"),
    )
    expect(resumedAt === undefined ? [] : zoneSpread(resumedAt.snapshot, "a")).toEqual([2, 2])
    for (const { command, live } of setCapacities(rollout.steps))
      expect(command.desiredCapacity, command.id).toBeGreaterThanOrEqual(live)
    expect(rollout.world.snapshot.groups[0]).toMatchObject({ desiredCapacity: 4, suspendedProcesses: [] })
  })
  it("given a run whose waves left the zones three to one, when it rolls back then, then the rollback launches into the small zone on the restored launch spec, removes a drained instance from the large one, resumes AZRebalance, and halts naming the new-image instance that stays", () => {
    const snapshot = inZones(
      buildCluster({ groups: [{ name: "a", old: 2, fresh: 2 }], services: [{ name: "web", tasks: 2 }] }),
      "a",
      ["eu-west-1a", "eu-west-1b"],
      { "i-a-n0": "eu-west-1a", "i-a-n1": "eu-west-1a", "i-a-o0": "eu-west-1b", "i-a-o1": "eu-west-1b" },
    )
    // The waves are done and the end game is about to balance when the run fails.
    const beforeBalancing = runUntil(newWorld(snapshot, policy()), (d) =>
      commandsOf(d).some((c) => c.id === commandIds.balance("a", 1)),
    ).world
    expect(zoneSpread(beforeBalancing.snapshot, "a")).toEqual([3, 1])
    const rollout = runUntil(
      carryOut(beforeBalancing, { _tag: "RollBack", reason: "the new image looks broken" }),
      is("Finish"),
    )
    // Both old instances were already replaced: the rollback cannot give the cluster back as it was
    // found, and says so, naming the instance it launched on the new image that stays.
    const final = rollout.world
    const startedAt = final.state._tag === "NoRun" ? Number.NaN : final.state.run.startedAt
    const members = new Set(final.snapshot.groups.flatMap((g) => g.instances.map((m) => m.instanceId)))
    const launchedOnNewImage = final.snapshot.instances
      .filter(
        (i) =>
          members.has(i.instanceId) &&
          i.imageId === final.snapshot.targetImage.imageId &&
          i.launchTime >= startedAt,
      )
      .map((i) => i.instanceId)
    expect(launchedOnNewImage.length).toBeGreaterThan(0)
    const finish = rollout.steps.at(-1)?.decision
    expect(finish).toMatchObject({ _tag: "Finish", outcome: "halted" })
    for (const instanceId of launchedOnNewImage)
      expect(finish?._tag === "Finish" ? finish.reason : "").toContain(instanceId)
    const commands = commandsIssued(rollout.steps)
    expect(commands).toContainEqual(
      expect.objectContaining({ _tag: "SetCapacity", id: commandIds.rollbackBalance("a", 1) }),
    )
    expect(commands).toContainEqual(
      expect.objectContaining({
        _tag: "TerminateInstances",
        id: commandIds.rollbackTrimTerminate("a", 1),
        decrementDesiredCapacity: true,
      }),
    )
    for (const { command, live } of setCapacities(rollout.steps))
      expect(command.desiredCapacity, command.id).toBeGreaterThanOrEqual(live)
    expect(zoneSpread(rollout.world.snapshot, "a")).toEqual([2, 2])
    expect(rollout.world.snapshot.groups[0]).toMatchObject({ desiredCapacity: 4, suspendedProcesses: [] })
  })
})

describe("a cluster the Go tool left half-done", () => {
  /** The Go tool tagged both old instances, updated the launch spec and detached them with replacement. */
  const halfDone = (): ClusterSnapshot => {
    const snapshot = buildCluster({
      groups: [{ name: "a", old: 2, fresh: 2 }],
      services: [{ name: "web", tasks: 2 }],
    })
    const detached = new Set(["i-a-o0", "i-a-o1"])
    return {
      ...snapshot,
      instances: snapshot.instances.map((i) =>
        detached.has(i.instanceId) ? { ...i, tags: { ...i.tags, [RunTagKeys.legacyAsg]: "a" } } : i,
      ),
      groups: snapshot.groups.map((g) => ({
        ...g,
        desiredCapacity: 2,
        maxSize: 2,
        launchSpecImageId: newImage.imageId,
        instances: g.instances.map((m) =>
          detached.has(m.instanceId) ? { ...m, lifecycleState: "Detached" as const } : m,
        ),
      })),
    }
  }

  it("when a run is asked for, then the detached instances are its old set", () => {
    const decision = decide(initialState, halfDone(), policy(), 0)
    expect(decision._tag === "Start" && decision.groups.map((g) => [g.asgName, g.oldInstanceIds])).toEqual([
      ["a", ["i-a-o0", "i-a-o1"]],
    ])
  })

  it("when rolled out, then they are drained onto the replacements and terminated, with no capacity added and nothing decremented", () => {
    const rollout = runUntil(newWorld(halfDone(), policy()), is("Finish"))
    expect(rollout.steps.at(-1)?.decision).toMatchObject({ _tag: "Finish", outcome: "succeeded" })
    const commands = commandsIssued(rollout.steps)
    expect(
      commands
        .filter((c) => c._tag === "DrainInstances")
        .flatMap((c) => c.instanceIds)
        .sort(),
    ).toEqual(["i-a-o0", "i-a-o1"])
    const terminations = commands.filter((c) => c._tag === "TerminateInstances")
    expect(terminations.flatMap((c) => c.instanceIds).sort()).toEqual(["i-a-o0", "i-a-o1"])
    expect(terminations.every((c) => !c.decrementDesiredCapacity)).toBe(true)
    expect(commands.filter((c) => c._tag === "SetCapacity" && c.desiredCapacity !== 2)).toEqual([])
    expect(
      rollout.world.snapshot.instances.filter((i) => i.state === "terminated").map((i) => i.instanceId),
    ).toEqual(["i-a-o0", "i-a-o1"])
    expect(rollout.world.snapshot.groups[0]).toMatchObject({ desiredCapacity: 2 })
  })
})

describe("a command failing before rollback", () => {
  it("given the launch spec update fails for good, when the run rolls back, then the reason names that command and says it came before rollback", () => {
    let world = newWorld(buildCluster({ groups: [{ name: "a", old: 2 }] }), policy())
    world = carryOut(world, decideNow(world))
    const groups = world.state._tag === "Running" ? world.state.run.groups : []
    for (const command of commandsOf(decideNow(world))) {
      world = record(world, { _tag: "CommandIssued", command, attempt: 1 })
      world =
        command._tag === "UpdateLaunchSpec"
          ? record(world, {
              _tag: "CommandFailed",
              commandId: command.id,
              errorTag: "AwsCallError",
              message: "InvalidParameterValue: the image cannot be used",
              retryable: false,
            })
          : record(
              { ...world, snapshot: applyCommand(world.snapshot, command, groups, world.now) },
              { _tag: "CommandSucceeded", commandId: command.id },
            )
    }
    const failure = decideNow(world)
    expect(failure._tag).toBe("RollBack")
    const rollout = runUntil(carryOut(world, failure), is("Finish"))
    const finish = rollout.steps.at(-1)?.decision
    expect(finish).toMatchObject({ _tag: "Finish", outcome: "rolled-back" })
    const reason = finish?._tag === "Finish" ? finish.reason : ""
    expect(reason).toContain(
      `command ${commandIds.launchSpec("a")} (UpdateLaunchSpec) failed before rollback`,
    )
    expect(reason).toContain("InvalidParameterValue")
    expect(reason).not.toContain("rollback command")
  })
})

describe("rollback removing the instances it launched", () => {
  it("given detach mode and new instances that never register, when rolled back, then the detached old instances are attached back (max size raised first) before the new ones are removed with decrement, and the group ends as it started", () => {
    const world = newWorld(
      buildCluster({ groups: [{ name: "a", old: 2 }] }),
      policy({ capacityMode: "detach", maxDraining: { unit: "percent", value: 100 } }),
      { newInstancesNeverRegister: true },
    )
    const before = world.snapshot.groups[0]
    const rollout = runUntil(world, is("Finish"))
    expect(rollout.steps.at(-1)?.decision).toMatchObject({ _tag: "Finish", outcome: "rolled-back" })
    const commands = commandsIssued(rollout.steps)
    const position = (id: string) => commands.findIndex((c) => c.id === id)
    const detached = commands.flatMap((c) => (c._tag === "DetachInstances" ? c.instanceIds : []))
    expect(detached).toHaveLength(2)
    const raise = position(commandIds.rollbackAttachMaxSize("a"))
    const attach = position(commandIds.rollbackAttach("a"))
    const remove = position(commandIds.removeNew("a"))
    expect(commands[raise]).toMatchObject({ _tag: "SetCapacity", desiredCapacity: 2, maxSize: 4 })
    expect(commands[attach]).toMatchObject({ _tag: "AttachInstances", instanceIds: [...detached].sort() })
    expect(commands[remove]).toMatchObject({
      instanceIds: ["i-a-l0", "i-a-l1"],
      decrementDesiredCapacity: true,
    })
    expect(raise).toBeLessThan(attach)
    expect(attach).toBeLessThan(remove)
    // Attached back, the group is above min size when the new instances leave: min size never moves.
    expect(position(commandIds.rollbackMinSize("a"))).toBe(-1)
    const after = rollout.world.snapshot.groups[0]
    expect(after).toMatchObject({
      desiredCapacity: before?.desiredCapacity,
      minSize: before?.minSize,
      maxSize: before?.maxSize,
    })
    expect(after?.instances.map((m) => `${m.instanceId} ${m.lifecycleState}`).sort()).toEqual(
      before?.instances.map((m) => `${m.instanceId} ${m.lifecycleState}`).sort(),
    )
  })
})
