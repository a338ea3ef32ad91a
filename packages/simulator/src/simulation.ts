/**
 * The simulator's public entry point: `makeSimulation(scenario, { seed, faults })` builds a world
 * from a scenario and hands back the port layer, the virtual clock, the call log, measurements, a
 * JSON snapshot of the world, and the operations a real operator (or another actor) could perform
 * outside our ports — forced deregistration, instance refresh, RunTask, UpdateService.
 */
import type {
  AutoScalingGroupDescription,
  ContainerInstance,
  Ec2Instance,
  Service,
  Tags,
  Task,
} from "@ecs-ami-deploy/domain"
import { Clock, Effect, Layer, Random, Scheduler } from "effect"
import { computeMetrics, type Metrics } from "./metrics.ts"
import type { ScalingActivityRecord } from "./records.ts"
import { decodeScenario, InvalidScenario, scenarioProblems, type Faults, type Scenario } from "./scenario.ts"
import {
  containerInstanceView,
  groupView,
  makeSimulatedPorts,
  serviceView,
  taskView,
  type SimulatedPorts,
} from "./sim-ports.ts"
import { seededRandom } from "./prng.ts"
import { VirtualClock } from "./virtual-clock.ts"
import { createWorld, type World } from "./world.ts"
import { groupNamed, setDesiredByAnotherActor } from "./world/auto-scaling.ts"
import { isVisible, setTerminationProtection } from "./world/ec2.ts"
import { startInstanceRefresh, type RefreshPreferences } from "./world/instance-refresh.ts"
import { logSucceededRequest, pages, recordMeasurements, type CallRecord } from "./world/measurements.ts"
import { forceDeregisterContainerInstance } from "./world/container-instances.ts"
import { isHealthy, serviceTasks, setServiceDesiredCount } from "./world/ecs-scheduler.ts"
import { runTask } from "./world/tasks.ts"

export interface SimulationOptions {
  /** PRNG seed: the same scenario, seed and program give the same timeline. Default 1. */
  readonly seed?: number
  /** Faults for this run; they replace the scenario's own `faults` when given. */
  readonly faults?: Faults
}

/** A plain JSON view of the whole world, for assertions and reports. */
export interface WorldSnapshot {
  readonly now: number
  readonly groups: ReadonlyArray<AutoScalingGroupDescription>
  /** Each launch template's default and latest version numbers. */
  readonly launchTemplates: ReadonlyArray<{
    readonly launchTemplateName: string
    readonly defaultVersion: number
    readonly latestVersion: number
  }>
  /** Every instance ever known, including ones DescribeInstances cannot see yet. */
  readonly instances: ReadonlyArray<Ec2Instance>
  readonly containerInstances: ReadonlyArray<ContainerInstance & { readonly clusterName: string }>
  readonly services: ReadonlyArray<Service & { readonly clusterName: string; readonly healthyCount: number }>
  readonly tasks: ReadonlyArray<Task & { readonly clusterName: string; readonly stopReason?: string }>
  readonly activities: ReadonlyArray<Readonly<ScalingActivityRecord>>
}

export interface Simulation {
  readonly scenario: Scenario
  /** Where the world is (the scenario's, else 123456789012 and us-east-1): what the Identity port answers. */
  readonly accountId: string
  readonly region: string
  /** Ec2, AutoScaling, Ecs, Ssm, CloudWatch, LoadBalancing, Identity and Iam backed by the simulated world. */
  readonly layer: Layer.Layer<SimulatedPorts>
  /** Effect's Clock over simulated time: provide it (better: `clockLayer`) to the program under test. */
  readonly clock: Clock.Clock
  /** Effect's scheduler, telling the clock when the program is busy (so time never moves during a computation). */
  readonly scheduler: Scheduler.Scheduler
  /** Provides `clock`, `scheduler` and Effect's `Random` seeded from the simulation's seed, so a run repeats exactly. */
  readonly clockLayer: Layer.Layer<never>
  /** Runs a program against the simulated ports and clock. */
  readonly run: <A, E>(program: Effect.Effect<A, E, SimulatedPorts>) => Promise<A>
  /** Simulated epoch milliseconds. */
  readonly now: () => number
  /** Moves simulated time forward, running due events and waking due sleepers in order. */
  readonly advance: (millis: number) => void
  readonly callLog: ReadonlyArray<CallRecord>
  readonly metrics: () => Metrics
  readonly snapshotState: () => WorldSnapshot
  /**
   * DeregisterContainerInstance(force=true): orphans the instance's tasks (what the Go tool did). This and
   * the two instance-refresh operations below are logged in `callLog` as the one AWS request each stands for.
   */
  readonly forceDeregisterContainerInstance: (clusterName: string, containerInstanceArn: string) => void
  /**
   * StartInstanceRefresh on a group (rolling, not ECS-aware; world/instance-refresh.ts): MinHealthyPercentage
   * 90, MaxHealthyPercentage 100 and a 300 s warmup unless given. Returns the refresh id; throws a
   * `Refusal` for a range AWS refuses or while a refresh runs.
   */
  readonly startInstanceRefresh: (asgName: string, options?: Partial<RefreshPreferences>) => string
  /**
   * ListServices alone (paginated, 100 a page), for a baseline that lists service ARNs and describes
   * them itself, 10 at a time, as the Go tool did; the ports list and describe in one call.
   */
  readonly listServiceArns: (clusterName: string) => ReadonlyArray<string>
  /**
   * DescribeInstances filtered by one tag (paginated, 100 a page), terminated instances still visible
   * included, as the Go tool looked for the instances it had detached; the ports describe by id only.
   */
  readonly describeInstancesByTag: (
    key: string,
    value: string,
  ) => ReadonlyArray<{ readonly instanceId: string; readonly state: string; readonly tags: Tags }>
  /** DescribeInstanceRefreshes: status of the group's latest instance refresh, if any. */
  readonly instanceRefreshStatus: (asgName: string) => "InProgress" | "Successful" | "Failed" | undefined
  /** RunTask: a standalone task, finishing after `runsForMs` (never when omitted). Returns its ARN. */
  readonly runTask: (input: {
    readonly clusterName: string
    readonly group: string
    readonly cpu: number
    readonly memory: number
    readonly runsForMs?: number
  }) => string
  /** UpdateService desiredCount. */
  readonly setServiceDesiredCount: (clusterName: string, serviceName: string, desiredCount: number) => void
  /** ModifyInstanceAttribute DisableApiTermination. */
  readonly setTerminationProtection: (instanceId: string, enabled: boolean) => void
  /** Sets a group's desired capacity as another actor would (scaling policy, person). */
  readonly setDesiredCapacityExternally: (asgName: string, desiredCapacity: number) => void
}

/** Builds a simulation. The scenario is validated first: a malformed one throws a schema error, an inconsistent one `InvalidScenario`. */
export const makeSimulation = (scenario: Scenario, options: SimulationOptions = {}): Simulation => {
  const validated = decodeScenario(scenario)
  const problems = scenarioProblems(validated)
  if (problems.length > 0) throw new InvalidScenario({ scenario: validated.name, problems })
  const world = createWorld(validated, options.seed ?? 1, options.faults ?? validated.faults ?? {})
  const clock = new VirtualClock(world)
  const callLog: Array<CallRecord> = []
  const layer = makeSimulatedPorts(world, clock, callLog, validated.alarms)
  const clockLayer = Layer.mergeAll(
    Layer.succeed(Clock.Clock, clock),
    Layer.succeed(Scheduler.Scheduler, clock.scheduler),
    Layer.succeed(Random.Random, seededRandom(options.seed ?? 1)),
  )
  /** Operations outside the ports change the world too: measurements and the clock's pump must see them. */
  const act = <A>(operation: () => A): A => {
    const result = operation()
    recordMeasurements(world)
    clock.noteActivity()
    return result
  }
  /**
   * The AWS request a facade operation stands for, logged like a port call (one request, succeeded),
   * so the baselines that use these operations are measured in the same AWS requests as the engine.
   */
  const logRequest = (operation: string, mutating: boolean, input: unknown, requests = 1): void =>
    logSucceededRequest(world, callLog, operation, mutating, input, requests)
  return {
    scenario: validated,
    layer,
    clock,
    scheduler: clock.scheduler,
    accountId: world.accountId,
    region: world.region,
    clockLayer,
    run: (program) => Effect.runPromise(program.pipe(Effect.provide(Layer.merge(layer, clockLayer)))),
    now: () => world.now,
    advance: (millis) => act(() => clock.advance(millis)),
    callLog,
    metrics: () => computeMetrics(world, callLog),
    snapshotState: () => snapshot(world),
    forceDeregisterContainerInstance: (clusterName, arn) => {
      logRequest("ecs:DeregisterContainerInstance", true, {
        clusterName,
        containerInstanceArn: arn,
        force: true,
      })
      act(() => forceDeregisterContainerInstance(world, clusterName, arn))
    },
    startInstanceRefresh: (asgName, refreshOptions = {}) => {
      const preferences: RefreshPreferences = {
        minHealthyPercentage: refreshOptions.minHealthyPercentage ?? 90,
        maxHealthyPercentage: refreshOptions.maxHealthyPercentage ?? 100,
        instanceWarmupMs: refreshOptions.instanceWarmupMs ?? 300_000,
      }
      logRequest("autoscaling:StartInstanceRefresh", true, { asgName, ...preferences })
      return act(() => startInstanceRefresh(world, groupNamed(world, asgName), preferences))
    },
    listServiceArns: (clusterName) => {
      const arns = [...world.services.values()]
        .filter((service) => service.clusterName === clusterName)
        .map((service) => service.serviceArn)
      logRequest("ecs:ListServices", false, { clusterName }, pages(arns.length, 100))
      return arns
    },
    describeInstancesByTag: (key, value) => {
      const found = [...world.instances.values()]
        .filter((instance) => isVisible(world, instance) && instance.tags[key] === value)
        .map((instance) => ({
          instanceId: instance.instanceId,
          state: instance.state,
          tags: { ...instance.tags },
        }))
      logRequest("ec2:DescribeInstances", false, { tag: { [key]: value } }, pages(found.length, 100))
      return found
    },
    instanceRefreshStatus: (asgName) => {
      logRequest("autoscaling:DescribeInstanceRefreshes", false, { asgName })
      return world.groups.get(asgName)?.instanceRefresh?.status
    },
    runTask: (input) => act(() => runTask(world, input)),
    setServiceDesiredCount: (clusterName, serviceName, desiredCount) =>
      act(() => setServiceDesiredCount(world, clusterName, serviceName, desiredCount)),
    setTerminationProtection: (instanceId, enabled) =>
      act(() => setTerminationProtection(world, instanceId, enabled)),
    setDesiredCapacityExternally: (asgName, desiredCapacity) =>
      act(() => setDesiredByAnotherActor(world, asgName, desiredCapacity)),
  }
}

/**
 * What a run promises to leave in each group's settings, comparable between two runs: desired, min and
 * max size, suspended processes (sorted), the launch spec, and every launch template's default version.
 */
export const groupSettingsOf = (state: WorldSnapshot) => ({
  groups: Object.fromEntries(
    state.groups.map((group) => [
      group.name,
      {
        desiredCapacity: group.desiredCapacity,
        minSize: group.minSize,
        maxSize: group.maxSize,
        suspendedProcesses: [...group.suspendedProcesses].sort(),
        launchSpec: group.launchSpec,
      },
    ]),
  ),
  launchTemplateDefaultVersions: Object.fromEntries(
    state.launchTemplates.map((template) => [template.launchTemplateName, template.defaultVersion]),
  ),
})

const snapshot = (world: World): WorldSnapshot =>
  structuredClone({
    now: world.now,
    groups: [...world.groups.values()].map((group) => groupView(world, group)),
    launchTemplates: [...world.templates.values()].map((template) => ({
      launchTemplateName: template.launchTemplateName,
      defaultVersion: template.defaultVersion,
      latestVersion: template.latestVersion,
    })),
    instances: [...world.instances.values()].map((i) => ({
      instanceId: i.instanceId,
      imageId: i.imageId,
      instanceType: i.instanceType,
      architecture: i.architecture,
      availabilityZone: i.availabilityZone,
      state: i.state,
      launchTime: i.launchTime,
      lifecycle: i.lifecycle,
      terminationProtected: i.terminationProtected,
      tags: { ...i.tags },
    })),
    containerInstances: [...world.containerInstances.values()].map((ci) => ({
      ...containerInstanceView(world, ci),
      clusterName: ci.clusterName,
    })),
    services: [...world.services.values()].map((s) => ({
      ...serviceView(world, s),
      clusterName: s.clusterName,
      healthyCount: serviceTasks(world, s).filter((t) => isHealthy(t)).length,
    })),
    tasks: [...world.tasks.values()].map((t) => ({
      ...taskView(t),
      clusterName: t.clusterName,
      ...(t.stopReason === undefined ? {} : { stopReason: t.stopReason }),
    })),
    activities: world.activities.map((a) => ({ ...a })),
  })
