/**
 * The simulated world's one state record: EC2, Auto Scaling, ECS and SSM state, the event queue, the
 * seeded random generator and the measurements, as plain mutable data. The behaviour lives in the
 * modules of `world/`, functions over this record: EC2 (ec2.ts, launch-specs.ts), Auto Scaling
 * (auto-scaling.ts, auto-scaling-requests.ts, lifecycle-hooks.ts, capacity-providers.ts,
 * instance-refresh.ts), ECS (container-instances.ts, tasks.ts, ecs-scheduler.ts), simulated time
 * (events.ts), faults and other actors (faults.ts), measurements (measurements.ts) and the scenario's
 * starting state (setup.ts). Calls that AWS would refuse throw a `Refusal`, which the port layer turns
 * into an `AwsCallError`.
 */
import { defaultAccountId, defaultRegion } from "./catalog.ts"
import { EventQueue } from "./event-queue.ts"
import { Prng } from "./prng.ts"
import type {
  ClusterRecord,
  ContainerInstanceRecord,
  GroupRecord,
  ImageRecord,
  InstanceCountPoint,
  InstanceRecord,
  LaunchConfigurationRecord,
  ScalingActivityRecord,
  ServiceHealthPoint,
  ServiceRecord,
  SsmRecord,
  TaskRecord,
  TemplateRecord,
} from "./records.ts"
import { defaultTimings, type Faults, type Scenario, type Timings } from "./scenario.ts"
import { loadScenario } from "./world/setup.ts"

export interface World {
  /** Simulated epoch milliseconds. */
  now: number
  readonly startTime: number
  /** Where the world is: the account STS names and the Region the ports answer for. */
  readonly accountId: string
  readonly region: string
  readonly timings: Timings
  readonly faults: Faults
  readonly rng: Prng
  readonly images: Map<string, ImageRecord>
  readonly ssmParameters: Map<string, SsmRecord>
  readonly templates: Map<string, TemplateRecord>
  readonly launchConfigurations: Map<string, LaunchConfigurationRecord>
  readonly instances: Map<string, InstanceRecord>
  readonly groups: Map<string, GroupRecord>
  readonly clusters: Map<string, ClusterRecord>
  readonly containerInstances: Map<string, ContainerInstanceRecord>
  readonly services: Map<string, ServiceRecord>
  readonly tasks: Map<string, TaskRecord>
  readonly activities: Array<ScalingActivityRecord>
  readonly serviceHealth: Map<string, Array<ServiceHealthPoint>>
  readonly instanceCounts: Array<InstanceCountPoint>
  /** Live (pending or running) instances at the start: the baseline for "extra" instances. */
  baselineInstances: number
  /** What happens later, in order (world/events.ts). */
  readonly queue: EventQueue
  /** Services and instances changed since the last measurement (see world/measurements.ts). */
  readonly dirtyServices: Set<string>
  instancesDirty: boolean
}

/** The world a (validated) scenario describes at its start time, with `faults` scheduled. */
export const createWorld = (scenario: Scenario, seed: number, faults: Faults): World => {
  const startTime = Date.parse(scenario.startTime)
  const world: World = {
    now: startTime,
    startTime,
    accountId: scenario.accountId ?? defaultAccountId,
    region: scenario.region ?? defaultRegion,
    timings: { ...defaultTimings, ...scenario.timings },
    faults,
    rng: new Prng(seed),
    images: new Map(),
    ssmParameters: new Map(),
    templates: new Map(),
    launchConfigurations: new Map(),
    instances: new Map(),
    groups: new Map(),
    clusters: new Map(),
    containerInstances: new Map(),
    services: new Map(),
    tasks: new Map(),
    activities: [],
    serviceHealth: new Map(),
    instanceCounts: [],
    baselineInstances: 0,
    queue: new EventQueue(),
    dirtyServices: new Set(),
    instancesDirty: false,
  }
  loadScenario(world, scenario)
  return world
}
