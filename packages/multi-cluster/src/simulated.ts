/**
 * `@ecs-ami-deploy/multi-cluster/simulator`: a fleet rollout rehearsed on simulated clusters — one
 * simulated world per cluster (its scenario's one cluster renamed to the fleet's cluster, in the
 * cluster's account and Region), a simulated STS that records each AssumeRole, and a fleet clock in
 * virtual time. A batch's clusters roll one after another in their own worlds, each world first brought
 * to the moment the fleet requested its run, and the fleet's clock then moves to the latest world's
 * time: the simulated total duration is that of clusters rolling side by side, as on AWS.
 */
import { Clock, Duration, Effect, Layer } from "effect"
import type { RunEvent } from "@ecs-ami-deploy/domain"
import { RoleAssumer, type EventLog } from "@ecs-ami-deploy/ports"
import { makeSimulation, type Scenario, type Simulation, simulatedPorts } from "ecs-ami-deploy/simulator"
import type { FleetClusterRunner } from "./cluster-runner.ts"
import { clusterPorts, roleSessionName } from "./cluster-ports.ts"
import type { FleetClusterSpec, FleetDefinition } from "./fleet-file.ts"
import { libraryClusterRunner } from "./library-runner.ts"

/** The account a simulated cluster without a role is in: the simulator's default account. */
const callerAccountId = "123456789012"

/**
 * The fleet's virtual clock: reading it gives the fleet's time; sleeping moves it forward at once
 * (a bake of an hour takes no wall time). Cluster runs move it through {@link FleetClock.reach}.
 */
export class FleetClock implements Clock.Clock {
  private now: number
  constructor(start: number) {
    this.now = start
  }
  /** Moves the fleet's time forward to `time` (never back). */
  reach(time: number): void {
    this.now = Math.max(this.now, time)
  }
  currentTimeMillisUnsafe(): number {
    return this.now
  }
  readonly currentTimeMillis: Effect.Effect<number> = Effect.sync(() => this.now)
  currentTimeNanosUnsafe(): bigint {
    return BigInt(this.now) * 1_000_000n
  }
  readonly currentTimeNanos: Effect.Effect<bigint> = Effect.sync(() => this.currentTimeNanosUnsafe())
  monotonicTimeNanosUnsafe(): bigint {
    return this.currentTimeNanosUnsafe()
  }
  readonly monotonicTimeNanos: Effect.Effect<bigint> = Effect.sync(() => this.currentTimeNanosUnsafe())
  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return Effect.sync(() => {
      this.now += Math.max(0, Duration.toMillis(duration))
    })
  }
}

/** One AssumeRole call the simulated STS answered. */
export interface AssumeRoleCall {
  readonly roleArn: string
  readonly sessionName: string
  readonly at: number
}

export interface SimulatedFleet {
  /** Each cluster's world, by the cluster's fleet id. */
  readonly worlds: ReadonlyMap<string, Simulation>
  /** Every AssumeRole the fleet made, in order. */
  readonly assumeRoleCalls: ReadonlyArray<AssumeRoleCall>
  readonly clock: FleetClock
  /** The fleet clock, to provide to the fleet executor. */
  readonly clockLayer: Layer.Layer<never>
  /** The cluster runner over the worlds (with the event log of its context). */
  readonly runner: (options?: {
    readonly onClusterEvent?: (cluster: FleetClusterSpec, event: RunEvent) => Effect.Effect<void>
  }) => Layer.Layer<FleetClusterRunner, never, EventLog>
}

/** The scenario's one cluster (or the one of the same name) as the fleet's cluster, in its account and Region. */
export const scenarioForCluster = (
  scenario: Scenario,
  cluster: FleetClusterSpec,
  startTime: string,
): Scenario => {
  const from =
    scenario.clusters.find((each) => each.name === cluster.clusterName)?.name ??
    (scenario.clusters.length === 1 ? scenario.clusters[0]?.name : undefined)
  if (from === undefined)
    throw new Error(
      `scenario ${scenario.name} has ${scenario.clusters.length} clusters and none is named ${cluster.clusterName}: name one of ${scenario.clusters.map((each) => each.name).join(", ")}`,
    )
  const rename = (name: string) => (name === from ? cluster.clusterName : name)
  return {
    ...scenario,
    startTime,
    accountId: cluster.accountId ?? callerAccountId,
    region: cluster.region,
    clusters: scenario.clusters.map((each) => ({ ...each, name: rename(each.name) })),
    groups: scenario.groups.map((group) => ({ ...group, clusterName: rename(group.clusterName) })),
    services: scenario.services.map((service) => ({ ...service, clusterName: rename(service.clusterName) })),
    standaloneTasks: scenario.standaloneTasks.map((task) => ({
      ...task,
      clusterName: rename(task.clusterName),
    })),
  }
}

/**
 * The simulated fleet: a world per cluster built from `scenarioOf(cluster)` (its faults and seed from
 * the fleet file's `simulate`), all starting at `startTime`.
 */
export const simulatedFleet = (
  definition: FleetDefinition,
  scenarioOf: (cluster: FleetClusterSpec) => Scenario,
  startTime = "2026-11-26T00:00:00.000Z",
): SimulatedFleet => {
  const clock = new FleetClock(Date.parse(startTime))
  const worlds = new Map<string, Simulation>()
  for (const stage of definition.stages)
    for (const cluster of stage.clusters) {
      const faults = cluster.simulate?.faults
      worlds.set(
        cluster.id,
        makeSimulation(scenarioForCluster(scenarioOf(cluster), cluster, startTime), {
          ...(cluster.simulate?.seed === undefined ? {} : { seed: cluster.simulate.seed }),
          ...(faults === undefined ? {} : { faults: faults as NonNullable<Scenario["faults"]> }),
        }),
      )
    }
  const assumeRoleCalls: Array<AssumeRoleCall> = []
  const roleAssumer = Layer.succeed(
    RoleAssumer,
    RoleAssumer.of({
      assumeRole: ({ roleArn, sessionName }) =>
        Effect.sync(() => {
          assumeRoleCalls.push({ roleArn, sessionName, at: clock.currentTimeMillisUnsafe() })
          return {
            accessKeyId: "ASIASIMULATED",
            secretAccessKey: "simulated",
            sessionToken: "simulated",
            expiresAt: clock.currentTimeMillisUnsafe() + 3_600_000,
          }
        }),
    }),
  )
  const worldOf = (cluster: FleetClusterSpec): Simulation => {
    const world = worlds.get(cluster.id)
    if (world === undefined) throw new Error(`no simulated world for cluster ${cluster.id}`)
    return world
  }
  return {
    worlds,
    assumeRoleCalls,
    clock,
    clockLayer: Layer.succeed(Clock.Clock, clock),
    runner: (options = {}) =>
      libraryClusterRunner({
        portsOf: (cluster) =>
          Layer.provide(
            clusterPorts(cluster, roleSessionName(definition.fleetName), () =>
              simulatedPorts(worldOf(cluster)),
            ),
            roleAssumer,
          ),
        // Each world has its own virtual clock: the batch's clusters roll one after another.
        concurrency: () => 1,
        ...(options.onClusterEvent === undefined ? {} : { onClusterEvent: options.onClusterEvent }),
        atFleetTime: (cluster, now) =>
          Effect.sync(() => {
            const world = worldOf(cluster)
            if (now > world.now()) world.advance(now - world.now())
          }),
        afterRun: (cluster) => Effect.sync(() => clock.reach(worldOf(cluster).now())),
      }),
  }
}
