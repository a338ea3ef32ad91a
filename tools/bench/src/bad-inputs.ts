/**
 * Bad inputs given to the library API (`ecs-ami-deploy`, Promise style) against a simulated cluster:
 * malformed options, impossible policies, images that cannot be used, clusters or runs that do not
 * exist. Each must be refused — rejected with a typed error, or resolved as Refused / Deferred /
 * nothing to do — and must change nothing: the simulator's call log may hold no mutating call.
 */
import {
  memoryEventLog,
  pinnedImageSource,
  resumeRun,
  rollbackRun,
  upgradeCluster,
  type UpgradeOptions,
} from "ecs-ami-deploy"
import {
  makeSimulation,
  scenarios,
  simulatedPorts,
  type Scenario,
  type Simulation,
} from "ecs-ami-deploy/simulator"
import { mutatingCalls } from "./end-state.ts"
import { clusterOf } from "./scenarios.ts"

export interface BadInput {
  readonly name: string
  readonly call: (simulation: Simulation) => Promise<unknown>
}

export interface BadInputResult {
  readonly name: string
  /** `rejected: <error tag>` or `resolved: <result tag>`. */
  readonly answer: string
  readonly refused: boolean
  readonly mutatingCalls: number
}

const environment = (simulation: Simulation) => ({
  ports: simulatedPorts(simulation),
  eventLog: memoryEventLog(),
})

/** Options as a JavaScript caller might pass them: unchecked by the compiler, so the library must check them. */
const unchecked = (options: Record<string, unknown>): UpgradeOptions => options as unknown as UpgradeOptions

const imageWhere = (scenario: Scenario, test: (image: Scenario["images"][number]) => boolean): string => {
  const image = scenario.images.find(test)
  if (image === undefined) throw new Error(`scenario ${scenario.name} has no such image`)
  return image.imageId
}

/** The bad inputs, against `scenario` (its default policy must be one the scenario refuses: standard-20's `jobs` service). */
export const badInputs = (scenario: Scenario): ReadonlyArray<BadInput> => {
  const cluster = clusterOf(scenario)
  const proceed = { unsafeServices: "proceed" } as const
  const upgrade = (options: Record<string, unknown>) => (simulation: Simulation) =>
    upgradeCluster(unchecked({ cluster, ...options }), environment(simulation))
  const withPolicy = (policy: Record<string, unknown>) => upgrade({ policy: { ...proceed, ...policy } })
  const pinned = (imageId: string) => upgrade({ policy: proceed, ami: pinnedImageSource({ imageId }) })
  const onEventLog = (eventLog: string) => (simulation: Simulation) =>
    upgradeCluster({ cluster, policy: proceed }, { ports: simulatedPorts(simulation), eventLog })
  return [
    { name: "empty cluster name", call: upgrade({ cluster: "" }) },
    { name: "event log scheme in capitals (`DYNAMODB://runs`)", call: onEventLog("DYNAMODB://runs") },
    { name: "event log with an unknown scheme (`s3://bucket`)", call: onEventLog("s3://bucket") },
    {
      name: "event log in a directory that cannot hold files (`/proc/self`)",
      call: onEventLog("/proc/self"),
    },
    { name: "misspelt option (`polcy`)", call: upgrade({ polcy: proceed }) },
    { name: "empty holder", call: upgrade({ holder: "" }) },
    { name: "maxSurge 0 in surge mode", call: withPolicy({ maxSurge: { unit: "instances", value: 0 } }) },
    { name: "maxDraining 0", call: withPolicy({ maxDraining: { unit: "percent", value: 0 } }) },
    { name: "maxSurge 150%", call: withPolicy({ maxSurge: { unit: "percent", value: 150 } }) },
    { name: "maxSurge negative", call: withPolicy({ maxSurge: { unit: "instances", value: -1 } }) },
    { name: 'maxSurge as a word (`"half"`)', call: withPolicy({ maxSurge: "half" }) },
    { name: "unknown capacity mode", call: withPolicy({ capacityMode: "blue-green" }) },
    { name: "polling interval 0", call: withPolicy({ pollIntervalMs: 0 }) },
    {
      name: "run timeout shorter than a drain wave",
      call: withPolicy({ timeouts: { runMs: 60_000, drainWaveMs: 120_000 } }),
    },
    {
      name: "AMI source that is not a plugin",
      call: upgrade({ policy: proceed, ami: { imageId: "ami-0123" } }),
    },
    {
      name: "launch-spec strategy that is not a plugin",
      call: upgrade({ policy: proceed, launchSpecStrategies: [42] }),
    },
    { name: "pinned image that does not exist", call: pinned("ami-00000000000dead00") },
    {
      name: "pinned image of another architecture (arm64)",
      call: pinned(imageWhere(scenario, (image) => image.architecture === "arm64")),
    },
    {
      name: "pinned image of another family (Amazon Linux 2)",
      call: pinned(imageWhere(scenario, (image) => image.name.startsWith("amzn2-"))),
    },
    {
      name: "detach mode with a service a drain could empty",
      call: upgrade({ policy: { capacityMode: "detach" } }),
    },
    {
      name: "deadline already passed",
      call: (simulation) =>
        upgradeCluster({ cluster, policy: proceed, deadline: simulation.now() - 1 }, environment(simulation)),
    },
    {
      name: "cluster that does not exist",
      call: (simulation) =>
        upgradeCluster({ cluster: "no-such-cluster", policy: proceed }, environment(simulation)),
    },
    {
      name: "resume without an open run",
      call: (simulation) => resumeRun({ cluster }, environment(simulation)),
    },
    {
      name: "rollback without an open run",
      call: (simulation) => rollbackRun({ cluster }, environment(simulation)),
    },
  ]
}

const tagOf = (value: unknown): string =>
  typeof value === "object" && value !== null && "_tag" in value && typeof value._tag === "string"
    ? value._tag
    : String(value)

/** Results that start nothing. */
const refusals = new Set(["Refused", "Deferred", "NothingToDo"])

/** Tries one bad input on a fresh simulation of `scenario`. */
export const tryBadInput = async (scenario: Scenario, input: BadInput): Promise<BadInputResult> => {
  const simulation = makeSimulation(scenario)
  const settled = await input.call(simulation).then(
    (value) => ({ answer: `resolved: ${tagOf(value)}`, refused: refusals.has(tagOf(value)) }),
    (error: unknown) => ({ answer: `rejected: ${tagOf(error)}`, refused: true }),
  )
  return { name: input.name, ...settled, mutatingCalls: mutatingCalls(simulation) }
}

/** The scenario the bad inputs are tried on. */
export const badInputScenario: Scenario = scenarios["standard-20"]
