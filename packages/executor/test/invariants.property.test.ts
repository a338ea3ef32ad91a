/**
 * The six safety invariants of docs/architecture.md as properties of the whole engine — executor,
 * planner, strategies and memory event log — run to the end on the simulator over generated
 * clusters, policies, faults and kill points (test/generated-clusters.ts).
 *
 * What the simulator's call log cannot tell (which tasks ran on an instance at the moment it was
 * terminated, how much new capacity was proven when a wave was drained), a witness tells: the port
 * layer is wrapped so that every successful termination, detach and drain call is recorded together
 * with a snapshot of the world taken just before it.
 *
 * By default fast-check runs from one fixed seed, so a CI run is reproducible and a red run is a change's
 * doing. `INVARIANT_SEED=random` explores from a fresh seed (with `INVARIANT_RUNS=200`, far more cases than
 * the default budget, which keeps the file quick on two cores); on failure fast-check prints the seed and
 * the path of the shrunk counterexample, and `INVARIANT_SEED=<seed> INVARIANT_PATH=<path>` with
 * `-t <property>` replays it. Open counterexamples found that way are listed in packages/executor/README.md.
 */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { Cause, Effect, Exit, Layer } from "effect"
import {
  defaultPolicy,
  isDestructive,
  RunTagKeys,
  type LockHeld,
  type RolloutPolicy,
  type RunEvent,
} from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { planRollout } from "@ecs-ami-deploy/planner"
import { AutoScaling, Ec2, Ecs } from "@ecs-ami-deploy/ports"
import {
  makeSimulation,
  newImageId,
  oldImageId,
  type Faults,
  type Scenario,
  type Simulation,
  type WorldSnapshot,
} from "@ecs-ami-deploy/simulator"
import { idempotencyKey, observeCluster, runRollout, type RunResult } from "../src/index.ts"
import { endState, isKilled, killable, makeWorldOf, testSettings, type World } from "./harness.ts"
import {
  clusterName,
  clusterSpec,
  faultsFor,
  killAtFor,
  killPoint,
  propertyReplay,
  rolloutPolicy,
  scenarioOf,
  unsafeServiceNames,
  type ClusterSpec,
  type KillPoint,
} from "./generated-clusters.ts"

/** A capacity-removing call that succeeded, with the world as it was just before the call. */
interface Witnessed {
  readonly operation: "terminate" | "detach" | "drain"
  readonly instanceIds: ReadonlyArray<string>
  readonly before: WorldSnapshot
}

/** The simulated ports, wrapped so that every successful termination, detach and drain is witnessed. */
const witnessing = (simulation: Simulation, witnessed: Array<Witnessed>) => {
  const witness = <A, E>(
    operation: Witnessed["operation"],
    instanceIds: (before: WorldSnapshot) => ReadonlyArray<string>,
    call: Effect.Effect<A, E>,
  ): Effect.Effect<A, E> =>
    Effect.suspend(() => {
      const before = simulation.snapshotState()
      return Effect.tap(call, () =>
        Effect.sync(() => void witnessed.push({ operation, instanceIds: instanceIds(before), before })),
      )
    })
  return Layer.mergeAll(
    Layer.effect(
      AutoScaling,
      Effect.gen(function* () {
        const inner = yield* AutoScaling
        return AutoScaling.of({
          ...inner,
          terminateInstanceInGroup: (instanceId, decrement) =>
            witness("terminate", () => [instanceId], inner.terminateInstanceInGroup(instanceId, decrement)),
          // The planner's own detaches keep desired capacity (a detach-mode wave); one that lowers it is
          // the first half of a termination (execute.ts batches them) and is checked as one.
          detachInstances: (asgName, instanceIds, decrement) =>
            witness(
              decrement ? "terminate" : "detach",
              () => instanceIds,
              inner.detachInstances(asgName, instanceIds, decrement),
            ),
        })
      }),
    ),
    Layer.effect(
      Ec2,
      Effect.gen(function* () {
        const inner = yield* Ec2
        return Ec2.of({
          ...inner,
          terminateInstances: (instanceIds) =>
            witness("terminate", () => instanceIds, inner.terminateInstances(instanceIds)),
        })
      }),
    ),
    Layer.effect(
      Ecs,
      Effect.gen(function* () {
        const inner = yield* Ecs
        return Ecs.of({
          ...inner,
          updateContainerInstancesState: (cluster, containerInstanceArns, status) => {
            const call = inner.updateContainerInstancesState(cluster, containerInstanceArns, status)
            if (status !== "DRAINING") return call
            return witness(
              "drain",
              (before) =>
                before.containerInstances
                  .filter((container) => containerInstanceArns.includes(container.containerInstanceArn))
                  .map((container) => container.ec2InstanceId),
              call,
            )
          },
        })
      }),
    ),
  )
}

/** One generated case run to its end: the world, what the run returned, its log and the witnessed calls. */
interface CaseRun {
  readonly world: World
  readonly before: WorldSnapshot
  readonly result: RunResult
  readonly events: ReadonlyArray<RunEvent>
  readonly witnessed: ReadonlyArray<Witnessed>
}

interface Case {
  readonly spec: ClusterSpec
  readonly scenario: Scenario
  readonly policy: RolloutPolicy
  readonly faults: Faults
  readonly seed: number
}

/**
 * How long the world runs on after the run has finished before it is checked: what the run set in
 * motion last (a capacity restore that makes Auto Scaling scale in, the AZRebalance it resumed) has
 * played out by then, and counts as the run's doing.
 */
const SETTLE_MS = 15 * 60_000

/** Invocations a case may take: a kill, then a few that give up under heavy throttling. */
const MAX_INVOCATIONS = 5

/** An invocation that stopped on an AWS error worth retrying (the run stays open for the next one). */
const gaveUp = (exit: Exit.Exit<unknown, unknown>): boolean => {
  if (!Exit.isFailure(exit)) return false
  const reason = exit.cause.reasons[0]
  const error =
    reason?._tag === "Fail"
      ? (reason.error as { readonly _tag?: string; readonly retryable?: boolean })
      : undefined
  return error?._tag === "AwsCallError" && error.retryable === true
}

/**
 * Runs a case to its end, then lets the world settle. With `kill`, the first executor dies at that
 * append; once its lease has run out, a fresh executor over the same log resumes the run.
 */
const runCase = async (
  testCase: Case,
  kill?: { readonly killAt: number; readonly when: KillPoint["when"] },
): Promise<CaseRun> => {
  const world = makeWorldOf(testCase.scenario, { seed: testCase.seed, faults: testCase.faults })
  const before = world.simulation.snapshotState()
  const witnessed: Array<Witnessed> = []
  const storage = emptyMemoryStorage()
  const rollout = (holder: string) =>
    runRollout({ clusterName, policy: testCase.policy, holder, settings: testSettings }).pipe(
      Effect.provide(witnessing(world.simulation, witnessed)),
    )
  const firstLog =
    kill === undefined
      ? makeMemoryEventLog(storage)
      : killable(makeMemoryEventLog(storage), kill.killAt, kill.when)
  let exit = await world.run(rollout("executor-1"), firstLog)
  // A killed executor leaves its lease to run out; one that gave up on a throttling storm released it.
  // Either way the next invocation (the Lambda's next schedule) resumes the run.
  for (let invocation = 2; invocation <= MAX_INVOCATIONS && (isKilled(exit) || gaveUp(exit)); invocation++) {
    world.simulation.advance(testSettings.leaseMs)
    exit = await world.run(rollout(`executor-${invocation}`), makeMemoryEventLog(storage))
  }
  if (Exit.isFailure(exit)) throw new Error(`the run did not end: ${Cause.pretty(exit.cause)}`)
  const result = exit.value
  const eventLog = makeMemoryEventLog(storage)
  const loaded =
    result._tag === "Finished" ? await world.run(eventLog.load(result.runId), eventLog) : undefined
  const events = loaded !== undefined && Exit.isSuccess(loaded) ? loaded.value : []
  world.simulation.advance(SETTLE_MS)
  return { world, before, result, events, witnessed }
}

/** Whether the generated cluster is fully placed at the start (placement depends on the seed): every replica and standalone task running. */
const placedAtStart = (scenario: Scenario, seed: number): boolean => {
  const start = makeSimulation(scenario, { seed }).snapshotState()
  return (
    start.services.every(
      (service) => service.schedulingStrategy === "DAEMON" || service.healthyCount === service.desiredCount,
    ) &&
    start.tasks.filter((task) => task.serviceName === undefined && task.lastStatus === "RUNNING").length ===
      scenario.standaloneTasks.length
  )
}

const runStartedOf = (events: ReadonlyArray<RunEvent>) => {
  const started = events.find((event) => event._tag === "RunStarted")
  if (started?._tag !== "RunStarted") throw new Error("the run's log has no RunStarted")
  return started
}

const isLive = (state: string) => state === "pending" || state === "running"

/** What the run says about how it ended: its Finish reason and the messages it noted. */
const statementsOf = (run: CaseRun): ReadonlyArray<string> => [
  ...(run.result._tag === "Finished" ? [run.result.reason] : []),
  ...run.events.flatMap((event) => (event._tag === "Noted" ? [event.message] : [])),
]

const capacityStates: ReadonlySet<string> = new Set([
  "Pending",
  "Pending:Wait",
  "Pending:Proceed",
  "InService",
])

/**
 * The desired capacity a group must end at: the one it started with. The planner keeps a surplus
 * instance whose tasks can move nowhere (a service with maximumPercent 100, say) rather than let Auto
 * Scaling terminate one undrained; then — and only when the run says so — the instances it left, if
 * more. That nothing undrained was terminated is checked for every run (checkTerminations).
 */
const expectedDesiredCapacity = (run: CaseRun, groupName: string, atStart: number): number => {
  const kept = statementsOf(run).some((statement) => statement.includes(`${groupName} keeps `))
  if (!kept) return atStart
  const left =
    run.world.simulation
      .snapshotState()
      .groups.find((group) => group.name === groupName)
      ?.instances.filter((member) => capacityStates.has(member.lifecycleState)).length ?? 0
  return Math.max(atStart, left)
}

/**
 * Old instances a succeeded run left in their group: the ones standaloneTasks=skip-instance skipped.
 * Each must be named in the run's Finish reason with that reason.
 */
const skippedBy = (run: CaseRun): ReadonlyArray<string> => {
  const started = runStartedOf(run.events)
  const end = run.world.simulation.snapshotState()
  const skipped = started.groups.flatMap((group) =>
    group.oldInstanceIds.filter((instanceId) =>
      end.groups
        .find((candidate) => candidate.name === group.asgName)
        ?.instances.some(
          (member) => member.instanceId === instanceId && capacityStates.has(member.lifecycleState),
        ),
    ),
  )
  const reason = run.result._tag === "Finished" ? run.result.reason : ""
  expect(
    skipped.filter(
      (instanceId) =>
        !(reason.includes(instanceId) && reason.includes("policy standaloneTasks=skip-instance")),
    ),
  ).toEqual([])
  return skipped
}

const daemonServiceNames = (snapshot: WorldSnapshot): ReadonlySet<string> =>
  new Set(
    snapshot.services
      .filter((service) => service.schedulingStrategy === "DAEMON")
      .map((service) => service.serviceName),
  )

/** Non-daemon tasks RUNNING on an instance in a snapshot (none when it never registered). */
const runningTasksOn = (snapshot: WorldSnapshot, instanceId: string): ReadonlyArray<string> => {
  const containers = new Set(
    snapshot.containerInstances
      .filter((container) => container.ec2InstanceId === instanceId)
      .map((container) => container.containerInstanceArn),
  )
  const daemons = daemonServiceNames(snapshot)
  return snapshot.tasks
    .filter(
      (task) =>
        task.containerInstanceArn !== undefined &&
        containers.has(task.containerInstanceArn) &&
        task.lastStatus === "RUNNING" &&
        !(task.serviceName !== undefined && daemons.has(task.serviceName)),
    )
    .map((task) => task.taskArn)
}

/** Standalone tasks not yet stopped on an instance in a snapshot. */
const standaloneTasksOn = (snapshot: WorldSnapshot, instanceId: string): ReadonlyArray<string> => {
  const containers = new Set(
    snapshot.containerInstances
      .filter((container) => container.ec2InstanceId === instanceId)
      .map((container) => container.containerInstanceArn),
  )
  return snapshot.tasks
    .filter(
      (task) =>
        task.containerInstanceArn !== undefined &&
        containers.has(task.containerInstanceArn) &&
        task.serviceName === undefined &&
        task.lastStatus !== "STOPPED",
    )
    .map((task) => task.taskArn)
}

/** Instances the run terminated itself, in call order. */
const terminatedByRun = (run: CaseRun): ReadonlyArray<string> =>
  run.witnessed.flatMap((call) => (call.operation === "terminate" ? call.instanceIds : []))

/**
 * Invariant 1: an instance is terminated only if it is in the run's old set and carries the run's
 * tag, or was launched during the run (a failed new instance removed by a rollback, a surplus one
 * trimmed); and it runs no RUNNING task but daemon tasks (or never registered) at that moment. When the run lowers desired capacity and Auto Scaling scales in
 * by itself, its victim is never an instance found at the start and runs no task but daemon tasks.
 */
const checkTerminations = (run: CaseRun) => {
  const started = runStartedOf(run.events)
  const oldIds = new Set(started.groups.flatMap((group) => group.oldInstanceIds))
  const atStart = new Set(run.before.instances.map((instance) => instance.instanceId))
  for (const call of run.witnessed.filter((witnessed) => witnessed.operation === "terminate"))
    for (const instanceId of call.instanceIds) {
      const instance = call.before.instances.find((candidate) => candidate.instanceId === instanceId)
      const role = oldIds.has(instanceId)
        ? "old"
        : atStart.has(instanceId)
          ? "found at the start outside the old set"
          : "launched during the run"
      expect({
        instanceId,
        role,
        carriesRunTag: role !== "old" || instance?.tags[RunTagKeys.runId] === started.runId,
        runningTasks: runningTasksOn(call.before, instanceId),
      }).toEqual({
        instanceId,
        role: expect.stringMatching(/^(old|launched during the run)$/),
        carriesRunTag: true,
        runningTasks: [],
      })
    }
  const end = run.world.simulation.snapshotState()
  const scaledIn = new Set(
    end.activities.flatMap((activity) =>
      activity.cause.includes("shrinking the capacity")
        ? [activity.description.replace("Terminating EC2 instance: ", "")]
        : [],
    ),
  )
  expect([...scaledIn].filter((instanceId) => atStart.has(instanceId))).toEqual([])
  const daemons = daemonServiceNames(end)
  const stoppedByScaleIn = end.tasks.filter((task) => {
    const victim = /^Host EC2 \(instance (i-[0-9a-f]+)\) terminated by Auto Scaling$/.exec(
      task.stopReason ?? "",
    )?.[1]
    return (
      victim !== undefined &&
      scaledIn.has(victim) &&
      !(task.serviceName !== undefined && daemons.has(task.serviceName))
    )
  })
  expect(stoppedByScaleIn.map((task) => `${task.group} ${task.taskArn}: ${task.stopReason}`)).toEqual([])
}

/** Instances lost to the Spot fault: their tasks stopped with the host, and no call of the run terminated them. */
const lostInstances = (run: CaseRun): ReadonlySet<string> => {
  const byRun = new Set(terminatedByRun(run))
  const lost = new Set<string>()
  for (const task of run.world.simulation.snapshotState().tasks) {
    const host = /^Host EC2 \(instance (i-[0-9a-f]+)\) stopped\/terminated$/.exec(task.stopReason ?? "")?.[1]
    if (host !== undefined && !byRun.has(host)) lost.add(host)
  }
  return lost
}

/**
 * Invariant 2: no service spends a second below its minimumHealthyPercent floor or without a healthy
 * task — except services the plan warned about (unsafeServices=proceed), and services that had a
 * task on an instance lost to the Spot fault (that loss is not the rollout's doing).
 */
const checkAvailability = (run: CaseRun, exempt: ReadonlyArray<string>) => {
  const lost = lostInstances(run)
  const end = run.world.simulation.snapshotState()
  const lostContainers = new Set(
    end.containerInstances
      .filter((container) => lost.has(container.ec2InstanceId))
      .map((container) => container.containerInstanceArn),
  )
  const hitByLoss = new Set(
    end.tasks.flatMap((task) =>
      task.containerInstanceArn !== undefined &&
      lostContainers.has(task.containerInstanceArn) &&
      task.serviceName !== undefined
        ? [task.serviceName]
        : [],
    ),
  )
  const violations = run.world.simulation
    .metrics()
    .services.filter((service) => {
      const name = service.service.slice(service.service.indexOf("/") + 1)
      return !exempt.includes(name) && !hitByLoss.has(name)
    })
    .filter((service) => service.secondsBelowFloor > 0 || service.secondsWithZeroHealthy > 0)
    .map(({ service, secondsBelowFloor, secondsWithZeroHealthy }) => ({
      service,
      secondsBelowFloor,
      secondsWithZeroHealthy,
    }))
  expect(violations).toEqual([])
}

/** A group member InService, running `imageId`, registered ACTIVE with a connected agent: proven capacity. */
const isProven = (snapshot: WorldSnapshot, instanceId: string, imageId: string): boolean => {
  const member = snapshot.groups
    .flatMap((group) => group.instances)
    .find((candidate) => candidate.instanceId === instanceId)
  const instance = snapshot.instances.find((candidate) => candidate.instanceId === instanceId)
  const container = snapshot.containerInstances.find(
    (candidate) => candidate.ec2InstanceId === instanceId && candidate.status === "ACTIVE",
  )
  return (
    member?.lifecycleState === "InService" &&
    instance?.state === "running" &&
    instance.imageId === imageId &&
    container?.agentConnected === true
  )
}

/** Proven new instances of a group: proven on the target image, outside the run's old set. */
const provenNew = (
  snapshot: WorldSnapshot,
  asgName: string,
  targetImageId: string,
  oldIds: ReadonlySet<string>,
): number =>
  (snapshot.groups.find((group) => group.name === asgName)?.instances ?? []).filter(
    (member) => !oldIds.has(member.instanceId) && isProven(snapshot, member.instanceId, targetImageId),
  ).length

/**
 * Invariant 3, measured at the first call that takes old instances out of service — their drain, or
 * their termination when they never registered: the group's proven new instances (InService, running
 * the target image, ACTIVE with a connected agent) are at least as many as the old instances the run
 * has displaced so far, this call's included. A detach removes no capacity from ECS: the detached
 * instances keep serving, ACTIVE, until their drain.
 */
const checkNewCapacityFirst = (run: CaseRun) => {
  const started = runStartedOf(run.events)
  const oldIds = new Set(started.groups.flatMap((group) => group.oldInstanceIds))
  const displaced = new Set<string>()
  for (const call of run.witnessed) {
    if (call.operation === "detach") {
      const serving = call.instanceIds.filter((instanceId) =>
        call.before.containerInstances.some(
          (container) =>
            container.ec2InstanceId === instanceId &&
            container.status === "ACTIVE" &&
            container.agentConnected,
        ),
      )
      expect({ detached: call.instanceIds, stillServing: serving }).toEqual({
        detached: call.instanceIds,
        stillServing: call.instanceIds,
      })
      continue
    }
    const newlyDisplaced = call.instanceIds.filter(
      (instanceId) => oldIds.has(instanceId) && !displaced.has(instanceId),
    )
    for (const instanceId of newlyDisplaced) displaced.add(instanceId)
    for (const group of started.groups) {
      if (!newlyDisplaced.some((instanceId) => group.oldInstanceIds.includes(instanceId))) continue
      const displacedInGroup = group.oldInstanceIds.filter((instanceId) => displaced.has(instanceId)).length
      expect(
        provenNew(call.before, group.asgName, started.targetImage.imageId, oldIds),
        `proven new instances of ${group.asgName} at ${call.operation} (t=${call.before.now}), against the old instances displaced so far`,
      ).toBeGreaterThanOrEqual(displacedInGroup)
    }
  }
}

/**
 * Invariant 4 within one run: no instance terminated or detached twice; every command's attempts are
 * numbered 1, 2, … with the same content each time; a destructive command is never issued again after
 * it succeeded; every launch-template version was created with the key of its command.
 */
const checkOnce = (run: CaseRun) => {
  expect(endState(run.world).terminatedTwice).toEqual([])
  const detaches = run.world.simulation.callLog
    .filter((call) => call.operation === "autoscaling:DetachInstances" && call.outcome === "ok")
    .flatMap((call) => (call.input as { readonly instanceIds: ReadonlyArray<string> }).instanceIds)
  expect(detaches.filter((instanceId, index) => detaches.indexOf(instanceId) !== index)).toEqual([])

  const started = runStartedOf(run.events)
  const issued = new Map<string, Array<Extract<RunEvent, { _tag: "CommandIssued" }>>>()
  const succeeded = new Set<string>()
  for (const event of run.events) {
    if (event._tag === "CommandSucceeded") succeeded.add(event.commandId)
    if (event._tag !== "CommandIssued") continue
    const id = event.command.id
    expect({ id, reissuedAfterSuccess: isDestructive(event.command) && succeeded.has(id) }).toEqual({
      id,
      reissuedAfterSuccess: false,
    })
    issued.set(id, [...(issued.get(id) ?? []), event])
  }
  for (const [id, attempts] of issued) {
    expect({ id, attempts: attempts.map((event) => event.attempt) }).toEqual({
      id,
      attempts: attempts.map((_, index) => index + 1),
    })
    for (const attempt of attempts) expect(attempt.command).toEqual(attempts[0]?.command)
  }
  // UpdateLaunchSpec presents sha256(runId/commandId); the rollback's restore copies the version the
  // group used before under a key naming the template and the version it replaces (stable across attempts).
  const updateKeys = new Set(
    [...issued.values()].flatMap((attempts) =>
      attempts[0]?.command._tag === "UpdateLaunchSpec"
        ? [idempotencyKey(started.runId, attempts[0].command.id)]
        : [],
    ),
  )
  const presented = run.world.simulation.callLog
    .filter((call) => call.operation === "ec2:CreateLaunchTemplateVersion")
    .map((call) => call.input as { readonly idempotencyKey: string; readonly imageId: string })
  expect(
    presented
      .filter((input) => input.imageId === started.targetImage.imageId)
      .filter((input) => !updateKeys.has(input.idempotencyKey)),
  ).toEqual([])
}

/**
 * Launch template versions on the new image, per template. Like the harness's
 * `newImageTemplateVersions`, but retried: the case's world may throttle or fail any call.
 */
const newImageTemplateVersions = (world: World) =>
  world.run(
    Effect.gen(function* () {
      const ec2 = yield* Ec2
      const counts: Record<string, number> = {}
      for (const template of world.simulation.scenario.launchTemplates) {
        const versions = yield* ec2
          .describeLaunchTemplateVersions(template.launchTemplateId)
          .pipe(Effect.retry({ times: 100 }))
        counts[template.launchTemplateName] = versions.filter(
          (version) => version.imageId === newImageId,
        ).length
      }
      return counts
    }),
    makeMemoryEventLog(),
  )

/** What an interrupted run must share with an uninterrupted one. */
const endSummary = async (run: CaseRun) => {
  const end = run.world.simulation.snapshotState()
  const versions = await newImageTemplateVersions(run.world)
  return {
    outcome: run.result._tag === "Finished" ? run.result.outcome : run.result._tag,
    onTargetImage: Object.fromEntries(
      end.groups.map((group) => [
        group.name,
        end.instances.filter(
          (instance) =>
            isLive(instance.state) &&
            instance.imageId === newImageId &&
            group.instances.some((member) => member.instanceId === instance.instanceId),
        ).length,
      ]),
    ),
    desiredCapacities: Object.fromEntries(end.groups.map((group) => [group.name, group.desiredCapacity])),
    newImageTemplateVersions: Exit.isSuccess(versions) ? versions.value : "unreadable",
  }
}

const anyCase: fc.Arbitrary<Omit<Case, "scenario">> = clusterSpec.chain((spec) =>
  fc.record({
    spec: fc.constant(spec),
    policy: rolloutPolicy,
    faults: faultsFor(spec.groups.map((group) => group.name)),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
  }),
)

/** The plan of a fault-free twin of the case's world: what the planner warns and refuses about before the run. */
const planOf = async (testCase: Case) => {
  const twin = makeWorldOf(testCase.scenario, { seed: testCase.seed })
  const observed = await twin.run(observeCluster(clusterName), makeMemoryEventLog())
  if (Exit.isFailure(observed)) throw new Error(`cannot observe the twin: ${Cause.pretty(observed.cause)}`)
  return planRollout(observed.value, testCase.policy, twin.simulation.now())
}

const lockHolderOf = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  if (!Exit.isFailure(exit)) return undefined
  const reason = exit.cause.reasons[0]
  const error = reason?._tag === "Fail" ? (reason.error as { readonly _tag?: string }) : undefined
  return error?._tag === "LockHeld" ? (error as LockHeld).holder : undefined
}

describe("safety invariants of the whole engine on generated clusters", () => {
  it("given a generated cluster, policy, faults and kill point, when rolled out to the end and resumed after the kill, then invariants 1–4 hold and the end state is the uninterrupted run's", async () => {
    await fc.assert(
      fc.asyncProperty(anyCase, killPoint, async (generated, kill) => {
        const testCase: Case = { ...generated, scenario: scenarioOf(generated.spec) }
        fc.pre(placedAtStart(testCase.scenario, testCase.seed))
        // Services ECS's own rules call unsafe; of those a drain could empty, surge waves keep one task
        // running where the plan says so — and then availability is checked for them like for any other.
        const plan = await planOf(testCase)
        const kept = unsafeServiceNames(testCase.spec).filter((name) =>
          plan.warnings.some(
            (warning) =>
              warning.includes(`service ${name} `) && warning.includes("keeps one of its tasks running"),
          ),
        )
        const unsafe = unsafeServiceNames(testCase.spec).filter((name) => !kept.includes(name))
        const refusing = unsafe.length > 0 && testCase.policy.unsafeServices === "refuse"
        const reference = await runCase(testCase)

        if (refusing) {
          // The planner refuses what ECS's own rules call unsafe, names each service, and changes nothing.
          expect(reference.result._tag).toBe("Refused")
          const problems = reference.result._tag === "Refused" ? reference.result.problems : []
          for (const name of unsafe)
            expect(problems.some((p) => p.problem.includes(`service ${name} `))).toBe(true)
          expect(reference.world.simulation.callLog.filter((call) => call.mutating)).toEqual([])
          return
        }
        expect(reference.result).toMatchObject({ _tag: "Finished" })
        for (const name of unsafe)
          expect(
            plan.warnings.some(
              (warning) => warning.includes(`service ${name} `) && warning.includes("proceeding"),
            ),
          ).toBe(true)

        const resumed = await runCase(testCase, {
          killAt: killAtFor(kill, reference.events.length),
          when: kill.when,
        })
        for (const run of [reference, resumed]) {
          checkTerminations(run)
          checkAvailability(run, unsafe)
          checkNewCapacityFirst(run)
          checkOnce(run)
        }
        const expected = await endSummary(reference)
        const actual = await endSummary(resumed)
        for (const [run, summary] of [
          [reference, expected],
          [resumed, actual],
        ] as const) {
          expect(summary.desiredCapacities).toEqual(
            Object.fromEntries(
              testCase.scenario.groups.map((group) => [
                group.name,
                expectedDesiredCapacity(run, group.name, group.desiredCapacity),
              ]),
            ),
          )
          // One launch template version on the new image per template, however the run went.
          expect(summary.newImageTemplateVersions).toEqual(
            Object.fromEntries(testCase.scenario.launchTemplates.map((t) => [t.launchTemplateName, 1])),
          )
        }
        // A Spot loss strikes at a fixed time, so after the pause a kill adds it may hit another
        // instance and legitimately change the course of the run; otherwise both runs face one world.
        if (testCase.faults.instanceLosses !== undefined) return
        if (expected.outcome !== "succeeded" || actual.outcome !== "succeeded") {
          // Standalone tasks that end at a fixed time are a clock the kill's pause shifts: a drain the
          // uninterrupted run waited out may time out in the resumed one, or the other way round, so a
          // run that did not succeed may stop at another point. It still ends the same way.
          const timedStandalone = testCase.scenario.standaloneTasks.some(
            (task) => task.durationMs !== undefined,
          )
          if (timedStandalone) expect(actual.outcome).toBe(expected.outcome)
          else expect(actual).toEqual(expected)
          return
        }
        // Every old instance is replaced, or skipped with its reason in the Finish reason (skippedBy).
        // The skip set may differ in one way only: skip-instance is decided when an instance's turn
        // comes, from the standalone tasks running on it then, and the resumed run comes to each
        // instance later than the uninterrupted one (by the kill's pause). A standalone task that ended
        // in between leaves nothing to skip for: the resumed run legitimately replaces that instance.
        // It never skips one the uninterrupted run replaced, and it drained each instance it replaced
        // instead only once no standalone task ran there.
        const skippedByReference = skippedBy(reference)
        const skippedByResumed = skippedBy(resumed)
        expect(skippedByResumed.filter((instanceId) => !skippedByReference.includes(instanceId))).toEqual([])
        const replacedAfterAll = skippedByReference.filter(
          (instanceId) => !skippedByResumed.includes(instanceId),
        )
        for (const instanceId of replacedAfterAll) {
          const drain = resumed.witnessed.find(
            (call) => call.operation === "drain" && call.instanceIds.includes(instanceId),
          )
          expect({
            instanceId,
            standaloneTasksWhenDrained:
              drain === undefined ? "never drained" : standaloneTasksOn(drain.before, instanceId),
          }).toEqual({ instanceId, standaloneTasksWhenDrained: [] })
        }
        // Each instance replaced after all adds one instance on the new image to its group.
        const started = runStartedOf(reference.events)
        const onTargetImage = Object.fromEntries(
          Object.entries(expected.onTargetImage).map(([groupName, count]) => [
            groupName,
            count +
              replacedAfterAll.filter((instanceId) =>
                started.groups.some(
                  (group) => group.asgName === groupName && group.oldInstanceIds.includes(instanceId),
                ),
              ).length,
          ]),
        )
        expect(actual).toEqual({ ...expected, onTargetImage })
      }),
      { numRuns: Number(process.env["INVARIANT_RUNS"] ?? 25), ...propertyReplay },
    )
  })

  it("given a new image whose agents never register or whose tasks fail their health checks, when rolled out (killed and resumed or not), then the rollback leaves the cluster as it was found, or halts naming every instance left on the new image (invariant 6)", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Standalone tasks are left out: with skip-instance or a never-ending task the run may not launch at all.
        clusterSpec.map((spec) => ({ ...spec, standalone: [] })),
        rolloutPolicy,
        fc.constantFrom<Faults>(
          { agentNeverRegisters: { imageIds: [newImageId] } },
          { unhealthyTasksOnImages: [newImageId] },
        ),
        fc.option(killPoint, { nil: undefined }),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (spec, policy, faults, kill, seed) => {
          const scenario = scenarioOf(spec)
          fc.pre(placedAtStart(scenario, seed) && unsafeServiceNames(spec).length === 0)
          const testCase: Case = { spec, scenario, policy, faults, seed }
          const reference = await runCase(testCase)
          const run =
            kill === undefined
              ? reference
              : await runCase(testCase, { killAt: killAtFor(kill, reference.events.length), when: kill.when })
          // The outcome says what the fleet is: rolled back only when no instance the run launched on the
          // new image is left; otherwise halted, naming each one.
          const startedAt = runStartedOf(run.events).at
          const launchedOnNewImage = run.world.simulation
            .snapshotState()
            .instances.filter(
              (instance) =>
                isLive(instance.state) && instance.imageId === newImageId && instance.launchTime >= startedAt,
            )
            .map((instance) => instance.instanceId)
          expect(run.result).toMatchObject({
            _tag: "Finished",
            outcome: launchedOnNewImage.length === 0 ? "rolled-back" : "halted",
          })
          const reason = run.result._tag === "Finished" ? run.result.reason : ""
          for (const instanceId of launchedOnNewImage) expect(reason).toContain(instanceId)
          checkTerminations(run)
          checkNewCapacityFirst(run)
          checkOnce(run)
          if (faults.agentNeverRegisters !== undefined) checkAvailability(run, [])

          const after = run.world.simulation.snapshotState()
          const groupFacts = (snapshot: WorldSnapshot) =>
            snapshot.groups.map(
              ({ name, desiredCapacity, minSize, maxSize, suspendedProcesses, launchSpec }) => ({
                name,
                desiredCapacity,
                minSize,
                maxSize,
                suspendedProcesses,
                launchSpec,
              }),
            )
          expect(groupFacts(after)).toEqual(
            groupFacts(run.before).map((facts) => {
              const desiredCapacity = expectedDesiredCapacity(run, facts.name, facts.desiredCapacity)
              return { ...facts, desiredCapacity, maxSize: Math.max(facts.maxSize, desiredCapacity) }
            }),
          )
          const observed = await run.world.run(observeCluster(clusterName), makeMemoryEventLog())
          expect(
            Exit.isSuccess(observed)
              ? observed.value.groups.map((group) => group.launchSpecImageId)
              : observed,
          ).toEqual(spec.groups.map(() => oldImageId))

          // Old instances the run did not terminate are back in service; no failed new instance is left.
          const terminated = new Set(terminatedByRun(run))
          if (faults.agentNeverRegisters !== undefined)
            expect(
              [...terminated].filter((id) => run.before.instances.some((i) => i.instanceId === id)),
            ).toEqual([])
          const oldState = run.before.instances
            .filter((instance) => !terminated.has(instance.instanceId))
            .map((instance) => ({
              instanceId: instance.instanceId,
              state: after.instances.find((candidate) => candidate.instanceId === instance.instanceId)?.state,
              container: after.containerInstances.find(
                (container) => container.ec2InstanceId === instance.instanceId,
              )?.status,
            }))
          expect(oldState).toEqual(
            oldState.map(({ instanceId }) => ({ instanceId, state: "running", container: "ACTIVE" })),
          )
          const unprovenNew = after.instances.filter(
            (instance) =>
              isLive(instance.state) &&
              instance.imageId === newImageId &&
              !isProven(after, instance.instanceId, newImageId),
          )
          expect(unprovenNew.map((instance) => instance.instanceId)).toEqual([])
        },
      ),
      { numRuns: Number(process.env["INVARIANT_RUNS"] ?? 10), ...propertyReplay },
    )
  })

  it("given executors started together on a generated cluster, when they run, then exactly one holds the lock and the others are refused naming it (invariant 5)", async () => {
    await fc.assert(
      fc.asyncProperty(clusterSpec, fc.integer({ min: 2, max: 4 }), async (spec, executors) => {
        const scenario = scenarioOf(spec)
        fc.pre(placedAtStart(scenario, 1))
        const world = makeWorldOf(scenario, { seed: 1 })
        const holders = Array.from({ length: executors }, (_, index) => `executor-${index + 1}`)
        const policy: RolloutPolicy = { ...defaultPolicy, unsafeServices: "proceed", pollIntervalMs: 30_000 }
        const exit = await world.run(
          Effect.all(
            holders.map((holder) =>
              Effect.exit(runRollout({ clusterName, policy, holder, settings: testSettings })),
            ),
            { concurrency: "unbounded" },
          ),
          makeMemoryEventLog(emptyMemoryStorage()),
        )
        const exits = Exit.isSuccess(exit) ? exit.value : []
        const refusedBy = exits.map(lockHolderOf)
        const winners = holders.filter((_, index) => refusedBy[index] === undefined)
        expect(winners).toHaveLength(1)
        expect(refusedBy.filter((holder) => holder !== undefined)).toEqual(
          holders.slice(1).map(() => winners[0]),
        )
        const winner = exits[holders.indexOf(winners[0] ?? "")]
        expect(winner !== undefined && Exit.isSuccess(winner) ? winner.value._tag : winner).toBe("Finished")
      }),
      { numRuns: 6 },
    )
  })
})
