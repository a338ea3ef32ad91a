/**
 * The test bed for end-to-end runs: a simulated world (ports and virtual clock), an event log, the
 * built-in strategies with the scenario's new image pinned as the target, and a notifier that records
 * what it was told. `killable` wraps an event log so that its executor "dies" right after its k-th
 * appended event: every later operation dies too, and a dead executor releases nothing — its lease
 * has to run out, as after a real crash.
 */
import { expect } from "vitest"
import { Effect, Exit, Layer } from "effect"
import { defaultPolicy, type Ec2Instance, type RolloutPolicy } from "@ecs-ami-deploy/domain"
import { type ClusterRef, Ec2, EventLog, Notifier, type RunNotification } from "@ecs-ami-deploy/ports"
import { makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import {
  makeSimulation,
  newImageId,
  oldImageId,
  scenarios,
  type Faults,
  type Scenario,
  type Simulation,
  type WorldSnapshot,
  groupSettingsOf,
} from "@ecs-ami-deploy/simulator"
import { builtInLaunchSpecStrategies, pinnedImageSource, Plugins } from "@ecs-ami-deploy/strategies"
import { observeCluster, runRollout, type RunResult, StopReason } from "../src/index.ts"

/** Settings that keep lease expiry short in simulated time; the lease still covers two steps. */
export const testSettings = { leaseMs: 60_000, stepBudgetMs: 20_000 }

/**
 * Starts a rollout of the world's cluster (default policy) in a child fiber, for a test to interrupt:
 * the suspension it records says "interrupted by the test".
 */
/** Rolls `world`'s cluster out under `policy` with the test settings, recording in `eventLog` (a fresh memory log by default). */
export const rollOut = (
  world: World,
  policy: RolloutPolicy = defaultPolicy,
  eventLog: EventLog["Service"] = makeMemoryEventLog(),
) =>
  world.run(
    runRollout({ clusterName: world.clusterName, policy, holder: "test", settings: testSettings }),
    eventLog,
  )

export const forkRollout = (world: World) =>
  Effect.forkChild(
    runRollout({
      clusterName: world.clusterName,
      holder: "test",
      settings: testSettings,
      policy: defaultPolicy,
    }).pipe(Effect.provideService(StopReason, { current: "interrupted by the test" })),
  )

export const pluginsLayer = Layer.succeed(
  Plugins,
  Plugins.of({
    launchSpecStrategies: builtInLaunchSpecStrategies(),
    amiSource: pinnedImageSource({ imageId: newImageId }),
  }),
)

export const recordingNotifier = (sent: Array<RunNotification>) =>
  Layer.succeed(
    Notifier,
    Notifier.of({ notify: (notification) => Effect.sync(() => void sent.push(notification)) }),
  )

export { isKilled, Killed, killable } from "../src/testing.ts"

export interface World {
  readonly simulation: Simulation
  readonly clusterName: string
  /** The cluster as the event log keys it: the simulated account and Region, and its name. */
  readonly cluster: ClusterRef
  readonly notifications: Array<RunNotification>
  /** Runs a program as one executor process with the given event log. */
  readonly run: <A, E>(
    program: Effect.Effect<
      A,
      E,
      Simulation["layer"] extends Layer.Layer<infer S> ? S | EventLog | Notifier | Plugins : never
    >,
    eventLog: EventLog["Service"],
  ) => Promise<Exit.Exit<A, E>>
}

export const makeWorld = (
  scenarioName: string,
  options: { readonly seed?: number; readonly faults?: Faults } = {},
): World => {
  const scenario = scenarios[scenarioName]
  if (scenario === undefined) throw new Error(`unknown scenario ${scenarioName}`)
  return makeWorldOf(scenario, options)
}

/** A world built from a scenario given as data (e.g. a built-in one with a field changed). */
export const makeWorldOf = (
  scenario: Scenario,
  options: { readonly seed?: number; readonly faults?: Faults } = {},
): World => {
  const simulation = makeSimulation(scenario, options)
  const clusterName = scenario.clusters[0]?.name ?? `${scenario.name}-cluster`
  const notifications: Array<RunNotification> = []
  return {
    simulation,
    clusterName,
    cluster: { accountId: simulation.accountId, region: simulation.region, clusterName },
    notifications,
    run: (program, eventLog) =>
      Effect.runPromiseExit(
        program.pipe(
          Effect.provide(
            Layer.mergeAll(
              simulation.layer,
              pluginsLayer,
              recordingNotifier(notifications),
              Layer.succeed(EventLog, eventLog),
              simulation.clockLayer,
            ),
          ),
        ),
      ),
  }
}

const live = (instance: Ec2Instance): boolean => instance.state === "pending" || instance.state === "running"

export type EndState = ReturnType<typeof endState>

/** What a finished rollout must leave behind, measured on the simulated world. */
export const endState = (world: World) => {
  const state = world.simulation.snapshotState()
  const liveInstances = state.instances.filter(live)
  const terminations = new Map<string, number>()
  for (const call of world.simulation.callLog) {
    if (call.outcome !== "ok") continue
    const input = call.input as { readonly instanceId?: string; readonly instanceIds?: ReadonlyArray<string> }
    if (
      call.operation === "autoscaling:TerminateInstanceInAutoScalingGroup" &&
      input.instanceId !== undefined
    )
      terminations.set(input.instanceId, (terminations.get(input.instanceId) ?? 0) + 1)
    if (call.operation === "ec2:TerminateInstances")
      for (const instanceId of input.instanceIds ?? [])
        terminations.set(instanceId, (terminations.get(instanceId) ?? 0) + 1)
  }
  return {
    liveImages: [...new Set(liveInstances.map((instance) => instance.imageId))],
    desiredCapacities: desiredCapacitiesOf(state),
    groupSettings: groupSettingsOf(state),
    everLaunched: state.instances.length,
    /** Launches Auto Scaling made to meet desired capacity; AZRebalance's own launches are not the run's. */
    capacityLaunches: state.activities.filter(
      (activity) => activity.description.startsWith("Launching") && !activity.cause.includes("balancing"),
    ).length,
    liveCount: liveInstances.length,
    terminatedTwice: [...terminations].filter(([, count]) => count > 1).map(([instanceId]) => instanceId),
    secondsBelowFloor: world.simulation.metrics().serviceSecondsBelowFloor,
  }
}

/** Each group's desired capacity in a snapshot, by group name. */
export const desiredCapacitiesOf = (state: WorldSnapshot): Readonly<Record<string, number>> =>
  Object.fromEntries(state.groups.map((group) => [group.name, group.desiredCapacity]))

/**
 * Invariant 6 after a rollback, against the snapshot taken before the run: every old instance still
 * running and ACTIVE in the cluster, every group back at its desired capacity and launching the old image.
 */
export const expectClusterAsFound = async (world: World, before: WorldSnapshot): Promise<void> => {
  const after = world.simulation.snapshotState()
  const oldIds = before.instances.map((instance) => instance.instanceId)
  expect(
    after.instances
      .filter((instance) => oldIds.includes(instance.instanceId))
      .map((instance) => instance.state),
  ).toEqual(oldIds.map(() => "running"))
  expect(
    after.containerInstances
      .filter((container) => oldIds.includes(container.ec2InstanceId))
      .map((container) => container.status),
  ).toEqual(oldIds.map(() => "ACTIVE"))
  expect(desiredCapacitiesOf(after)).toEqual(desiredCapacitiesOf(before))
  const observed = await world.run(observeCluster(world.clusterName), makeMemoryEventLog())
  expect(
    Exit.isSuccess(observed) ? observed.value.groups.map((group) => group.launchSpecImageId) : observed,
  ).toEqual(before.groups.map(() => oldImageId))
}

/** Launch template versions that point at the new image: one per template, however often a run was resumed. */
export const newImageTemplateVersions = (world: World) =>
  world.run(
    Effect.gen(function* () {
      const ec2 = yield* Ec2
      const counts: Record<string, number> = {}
      for (const template of world.simulation.scenario.launchTemplates) {
        const versions = yield* ec2.describeLaunchTemplateVersions(template.launchTemplateId)
        counts[template.launchTemplateName] = versions.filter(
          (version) => version.imageId === newImageId,
        ).length
      }
      return counts
    }),
    makeMemoryEventLog(),
  )

export type { RunResult }
