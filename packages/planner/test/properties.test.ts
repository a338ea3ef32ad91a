/**
 * Property tests over generated clusters and policies, run to the end in the tiny world model:
 * the safety invariants of docs/architecture.md that belong to the planner (1, 2, 3, 6), determinism,
 * that no destructive command is ever emitted twice, and that a run resumed after a crash (intent
 * logged, outcome lost, call applied or not) never applies a destructive change twice.
 */
import {
  isDestructive,
  type ClusterSnapshot,
  type Command,
  type GroupAtStart,
  type RolloutPolicy,
} from "@ecs-ami-deploy/domain"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decide, evolve, initialState } from "../src/index.ts"
import { buildCluster, policy, type ClusterSpec } from "./fixtures.ts"
import {
  carryOut,
  commandsOf,
  crashDuring,
  decideNow,
  newWorld,
  runUntil,
  type ModelOptions,
  type Rollout,
  type Step,
} from "./model.ts"

const clusterSpec: fc.Arbitrary<ClusterSpec> = fc
  .record({
    groups: fc.array(
      fc.record({ old: fc.integer({ min: 1, max: 5 }), fresh: fc.integer({ min: 0, max: 2 }) }),
      {
        minLength: 1,
        maxLength: 3,
      },
    ),
    services: fc.array(
      fc.record({
        tasks: fc.integer({ min: 0, max: 6 }),
        min: fc.constantFrom(50, 100),
        max: fc.constantFrom(150, 200),
        memory: fc.constantFrom(256, 512, 1024),
        distinct: fc.boolean(),
      }),
      { maxLength: 4 },
    ),
    daemon: fc.boolean(),
    standalone: fc.boolean(),
  })
  .map(({ groups, services, daemon, standalone }) => ({
    groups: groups.map((g, k) => ({ name: `g${k}`, ...g })),
    services: [
      ...services.map((s, k) => ({ name: `s${k}`, ...s })),
      ...(daemon ? [{ name: "agent", tasks: 0, daemon: true }] : []),
    ],
    standalone: standalone ? ["i-g0-o0"] : [],
  }))

const amount = fc.oneof(
  fc.record({ unit: fc.constant("instances" as const), value: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ unit: fc.constant("percent" as const), value: fc.constantFrom(25, 50, 100) }),
)

const policyArb: fc.Arbitrary<RolloutPolicy> = fc
  .record({
    capacityMode: fc.constantFrom("surge" as const, "detach" as const),
    maxSurge: amount,
    maxDraining: amount,
    standaloneTasks: fc.constantFrom(
      "wait" as const,
      "stop-after-timeout" as const,
      "skip-instance" as const,
    ),
  })
  // A coarse poll keeps generated runs short; deadlines are unchanged.
  .map((p) => policy({ ...p, pollIntervalMs: 60_000 }))

const faults: fc.Arbitrary<ModelOptions> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.constant({ newInstancesNeverRegister: true }) },
  { weight: 1, arbitrary: fc.constant({ newImageBroken: true }) },
  { weight: 1, arbitrary: fc.constant({ newInstancesInvisible: true }) },
)

const rollout = (spec: ClusterSpec, p: RolloutPolicy, options: ModelOptions): Rollout =>
  runUntil(newWorld(buildCluster(spec), p, options), () => false, 5_000)

const startGroups = (r: Rollout): ReadonlyArray<GroupAtStart> => {
  const started = r.world.events.find((e) => e._tag === "RunStarted")
  return started?._tag === "RunStarted" ? started.groups : []
}

const everyCommand = (r: Rollout, check: (command: Command, step: Step, index: number) => void): void =>
  r.steps.forEach((step, index) =>
    commandsOf(step.decision).forEach((command) => check(command, step, index)),
  )

const liveNonDaemonTasks = (snapshot: ClusterSnapshot, instanceId: string) => {
  const arn = snapshot.containerInstances.find((c) => c.ec2InstanceId === instanceId)?.containerInstanceArn
  const daemons = new Set(
    snapshot.services.filter((s) => s.schedulingStrategy === "DAEMON").map((s) => s.serviceName),
  )
  return snapshot.tasks.filter(
    (t) =>
      arn !== undefined &&
      t.containerInstanceArn === arn &&
      t.lastStatus !== "STOPPED" &&
      !daemons.has(t.serviceName ?? ""),
  )
}

const provenNewIn = (snapshot: ClusterSnapshot, asgName: string, oldIds: ReadonlySet<string>): number => {
  const group = snapshot.groups.find((g) => g.name === asgName)
  return (group?.instances ?? []).filter((m) => {
    const instance = snapshot.instances.find((i) => i.instanceId === m.instanceId)
    const container = snapshot.containerInstances.find((c) => c.ec2InstanceId === m.instanceId)
    return (
      !oldIds.has(m.instanceId) &&
      m.lifecycleState === "InService" &&
      instance?.imageId === snapshot.targetImage.imageId &&
      container?.status === "ACTIVE" &&
      container.agentConnected
    )
  }).length
}

const settings = { numRuns: 150 }

describe("planner properties over generated clusters", () => {
  it("every run ends, and a successful one leaves only target-image instances (or those the policy keeps)", () => {
    fc.assert(
      fc.property(clusterSpec, policyArb, faults, (spec, p, options) => {
        const r = rollout(spec, p, options)
        const last = r.steps.at(-1)?.decision
        expect(["Finish", "Refuse", "NothingToDo"]).toContain(last?._tag)
        if (last?._tag !== "Finish" || last.outcome !== "succeeded") return
        const { snapshot } = r.world
        for (const member of snapshot.groups.flatMap((g) => g.instances)) {
          const onTarget =
            snapshot.instances.find((i) => i.instanceId === member.instanceId)?.imageId ===
            snapshot.targetImage.imageId
          const keptForStandalone =
            p.standaloneTasks === "skip-instance" &&
            liveNonDaemonTasks(snapshot, member.instanceId).some((t) => t.serviceName === undefined)
          expect(onTarget || keptForStandalone).toBe(true)
        }
      }),
      settings,
    )
  })

  it("invariant 1: only old-set instances that are drained or never registered are terminated; rollback removes only new ones", () => {
    fc.assert(
      fc.property(clusterSpec, policyArb, faults, (spec, p, options) => {
        const r = rollout(spec, p, options)
        const oldIds = new Set(startGroups(r).flatMap((g) => g.oldInstanceIds))
        everyCommand(r, (command, step) => {
          if (command._tag !== "TerminateInstances") return
          for (const id of command.instanceIds) {
            if (command.id.startsWith("rollback-")) {
              expect(oldIds.has(id)).toBe(false)
              continue
            }
            expect(oldIds.has(id)).toBe(true)
            expect(
              step.snapshot.instances.find((i) => i.instanceId === id)?.tags["ecs-ami-deploy:run-id"],
            ).toBe("run-1")
            expect(liveNonDaemonTasks(step.snapshot, id)).toEqual([])
          }
        })
      }),
      settings,
    )
  })

  it("invariant 2: a drain wave starts only when its displaced tasks fit and each service stays within its deployment bounds", () => {
    fc.assert(
      fc.property(clusterSpec, policyArb, faults, (spec, p, options) => {
        const r = rollout(spec, p, options)
        const oldIds = new Set(startGroups(r).flatMap((g) => g.oldInstanceIds))
        everyCommand(r, (command, step) => {
          if (command._tag !== "DrainInstances") return
          const { snapshot } = step
          const displaced = command.instanceIds
            .flatMap((id) => liveNonDaemonTasks(snapshot, id))
            .filter((t) => t.serviceName !== undefined)
          for (const service of snapshot.services) {
            const moved = displaced.filter((t) => t.serviceName === service.serviceName).length
            const minHealthy = Math.ceil((service.minimumHealthyPercent * service.desiredCount) / 100)
            const maxRunning = Math.floor((service.maximumPercent * service.desiredCount) / 100)
            if (moved > 0) expect(maxRunning - minHealthy).toBeGreaterThan(0)
            // More than one ECS batch only when a single instance forces it.
            if (command.instanceIds.length > 1) expect(moved).toBeLessThanOrEqual(maxRunning - minHealthy)
          }
          // Receivers: ACTIVE instances outside the drain; old ones only once rollback returned them to service.
          const rollingBack = step.state._tag === "Running" && step.state.rollback !== undefined
          const receivers = snapshot.containerInstances.filter(
            (c) =>
              c.status === "ACTIVE" &&
              c.agentConnected &&
              !command.instanceIds.includes(c.ec2InstanceId) &&
              (rollingBack || !oldIds.has(c.ec2InstanceId)),
          )
          // An overcommitted receiver (negative room, as the fixtures can build) takes nothing.
          expect(displaced.reduce((n, t) => n + t.memory, 0)).toBeLessThanOrEqual(
            receivers.reduce((n, c) => n + Math.max(0, c.remaining.memory), 0),
          )
          expect(displaced.reduce((n, t) => n + t.cpu, 0)).toBeLessThanOrEqual(
            receivers.reduce((n, c) => n + Math.max(0, c.remaining.cpu), 0),
          )
          // Placement constraints a packing must meet, checked independently of the planner's first-fit:
          // a distinctInstance service needs a receiver without its task for each displaced one, and so
          // does each host port.
          for (const service of snapshot.services.filter((s) =>
            s.placementConstraints.some((c) => c.type === "distinctInstance"),
          )) {
            const moved = displaced.filter((t) => t.serviceName === service.serviceName).length
            const free = receivers.filter(
              (c) =>
                !snapshot.tasks.some(
                  (t) =>
                    t.serviceName === service.serviceName &&
                    t.containerInstanceArn === c.containerInstanceArn,
                ),
            )
            expect(moved).toBeLessThanOrEqual(free.length)
          }
          for (const port of new Set(displaced.flatMap((t) => t.hostPorts)))
            expect(displaced.filter((t) => t.hostPorts.includes(port)).length).toBeLessThanOrEqual(
              receivers.filter((c) => !c.remaining.ports.includes(port)).length,
            )
        })
      }),
      settings,
    )
  })

  it("invariant 3: no drain or terminate of old capacity before as many new instances are proven in the group", () => {
    fc.assert(
      fc.property(clusterSpec, policyArb, faults, (spec, p, options) => {
        const r = rollout(spec, p, options)
        const groups = startGroups(r)
        const oldIds = new Set(groups.flatMap((g) => g.oldInstanceIds))
        everyCommand(r, (command, step) => {
          if (command._tag !== "DrainInstances") return
          // A drain takes either old instances (a wave) or new ones (surplus removed by id), never both.
          const old = command.instanceIds.filter((id) => oldIds.has(id))
          expect(old.length === 0 || old.length === command.instanceIds.length).toBe(true)
          if (old.length === 0) return
          const asgName =
            groups.find((g) => command.instanceIds.every((id) => g.oldInstanceIds.includes(id)))?.asgName ??
            ""
          expect(provenNewIn(step.snapshot, asgName, oldIds)).toBeGreaterThanOrEqual(
            command.instanceIds.length,
          )
        })
        const drained = new Set<string>()
        everyCommand(r, (command) => {
          if (command._tag === "DrainInstances") command.instanceIds.forEach((id) => drained.add(id))
          if (command._tag === "TerminateInstances" && !command.id.startsWith("rollback-"))
            expect(command.instanceIds.filter((id) => !drained.has(id))).toEqual([])
        })
      }),
      settings,
    )
  })

  it("invariant 6: a rollback restores launch spec, capacity (never below the members left) and processes, and leaves no old instance draining", () => {
    fc.assert(
      fc.property(
        clusterSpec,
        policyArb,
        fc.constantFrom<ModelOptions>(
          { newInstancesNeverRegister: true },
          { newInstancesInvisible: true },
          { newImageBroken: true },
        ),
        (spec, p, options) => {
          const r = rollout(spec, p, options)
          const last = r.steps.at(-1)?.decision
          if (last?._tag !== "Finish" || last.outcome !== "rolled-back") return
          for (const g of startGroups(r)) {
            const group = r.world.snapshot.groups.find((candidate) => candidate.name === g.asgName)
            // New instances still running tasks are kept: desired capacity never drops below the members.
            const members = group?.instances.length ?? 0
            const desiredCapacity = Math.max(g.desiredCapacity, members)
            expect(group).toMatchObject({
              desiredCapacity,
              minSize: g.minSize,
              maxSize: Math.max(g.maxSize, desiredCapacity),
              launchSpecImageId: g.launchSpecImageId,
              suspendedProcesses: g.suspendedProcesses,
            })
            const draining = r.world.snapshot.containerInstances.filter(
              (c) => g.oldInstanceIds.includes(c.ec2InstanceId) && c.status === "DRAINING",
            )
            expect(draining).toEqual([])
          }
        },
      ),
      settings,
    )
  })

  it("determinism: the same state, snapshot, policy and time give the same decision, even after a JSON round trip", () => {
    fc.assert(
      fc.property(clusterSpec, policyArb, faults, (spec, p, options) => {
        for (const step of rollout(spec, p, options).steps) {
          const again = decide(
            step.state,
            JSON.parse(JSON.stringify(step.snapshot)) as ClusterSnapshot,
            p,
            step.now,
          )
          expect(again).toEqual(step.decision)
        }
      }),
      settings,
    )
  })

  it("no destructive command is emitted twice, even when the same snapshot is decided again after its success", () => {
    fc.assert(
      fc.property(clusterSpec, policyArb, faults, (spec, p, options) => {
        const r = rollout(spec, p, options)
        const seen = new Set<string>()
        everyCommand(r, (command) => {
          if (!isDestructive(command)) return
          expect(seen.has(command.id)).toBe(false)
          seen.add(command.id)
        })
        r.steps.forEach((step, index) => {
          const destructive = commandsOf(step.decision)
            .filter(isDestructive)
            .map((c) => c.id)
          const after = r.steps[index + 1]
          if (destructive.length === 0 || after === undefined) return
          const stale = decide(after.state, step.snapshot, p, after.now)
          expect(commandsOf(stale).filter((c) => destructive.includes(c.id))).toEqual([])
        })
      }),
      settings,
    )
  })
})

describe("resuming after a crash", () => {
  /** Runs to the end, crashing during the first Acts (per `crashes`), and reports every command the cluster received. */
  const runWithCrashes = (
    spec: ClusterSpec,
    p: RolloutPolicy,
    crashes: ReadonlyArray<"none" | "lost" | "applied">,
  ) => {
    let world = newWorld(buildCluster(spec), p)
    const received: Array<{ command: Command; snapshot: ClusterSnapshot }> = []
    let acts = 0
    for (let k = 0; k < 5_000; k++) {
      const decision = decideNow(world)
      if (decision._tag === "Finish" || decision._tag === "Refuse" || decision._tag === "NothingToDo")
        return { received, last: decision, world }
      // Crashes happen during the first Acts only: an executor that dies on every attempt never finishes anything.
      const crash = decision._tag === "Act" ? (crashes[acts++] ?? "none") : "none"
      const reaching =
        crash === "none" ? commandsOf(decision) : crash === "applied" ? commandsOf(decision).slice(0, 1) : []
      for (const command of reaching) received.push({ command, snapshot: world.snapshot })
      world = crash === "none" ? carryOut(world, decision) : crashDuring(world, decision, crash === "applied")
      // A resumed executor folds the log from scratch.
      world = { ...world, state: world.events.reduce(evolve, initialState) }
    }
    throw new Error("the run did not end")
  }

  it("never detaches, drains or terminates an instance twice, and still ends", () => {
    fc.assert(
      fc.property(
        clusterSpec,
        policyArb,
        fc.array(fc.constantFrom("none" as const, "lost" as const, "applied" as const), {
          minLength: 1,
          maxLength: 12,
        }),
        (spec, p, crashes) => {
          const { received, last } = runWithCrashes(spec, p, crashes)
          expect(["Finish", "Refuse", "NothingToDo"]).toContain(last._tag)
          for (const { command, snapshot } of received) {
            if (command._tag === "TerminateInstances")
              for (const id of command.instanceIds)
                expect(snapshot.instances.find((i) => i.instanceId === id)?.state).toBe("running")
            if (command._tag === "DetachInstances")
              for (const id of command.instanceIds)
                expect(snapshot.groups.some((g) => g.instances.some((m) => m.instanceId === id))).toBe(true)
            if (command._tag === "DrainInstances")
              for (const arn of command.containerInstanceArns)
                expect(snapshot.containerInstances.find((c) => c.containerInstanceArn === arn)?.status).toBe(
                  "ACTIVE",
                )
          }
        },
      ),
      settings,
    )
  })
})
