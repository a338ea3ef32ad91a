import { describe, expect, it } from "vitest"
import { defaultPolicy } from "@ecs-ami-deploy/domain"
import { defaultTimings, scenarios, type Scenario } from "@ecs-ami-deploy/simulator"
import {
  lowerBound,
  newCapacityProvenMs,
  physicalMinimum,
  serviceDrainMs,
  waveSize,
  type ScenarioService,
} from "../src/lower-bound.ts"

/** Round timings whose sums are easy to check by hand. */
const timings = {
  ...defaultTimings,
  autoScalingReactionMs: 1_000,
  instancePendingMs: 10_000,
  inServiceAfterRunningMs: 20_000,
  agentRegistrationMs: 40_000,
  schedulerReactionMs: 2_000,
  taskProvisioningMs: 1_000,
  taskStartMs: 3_000,
  taskHealthyAfterMs: 6_000,
  deregistrationDelayMs: 100_000,
  deactivatingMs: 500,
  taskStopMs: 4_000,
}

const service = (name: string, overrides: Partial<ScenarioService>): ScenarioService => ({
  clusterName: "tiny-cluster",
  name,
  schedulingStrategy: "REPLICA",
  desiredCount: 2,
  minimumHealthyPercent: 100,
  maximumPercent: 200,
  cpu: 256,
  memory: 512,
  loadBalanced: true,
  ...overrides,
})

/** `small` cut down to a 5-instance group with the services given and the round timings. */
const tiny = (services: ReadonlyArray<ScenarioService>): Scenario => {
  const base = scenarios.small
  return {
    ...base,
    timings,
    groups: base.groups.map((group) => ({ ...group, desiredCapacity: 5, maxSize: 10 })),
    services,
  }
}

describe("the lower bound", () => {
  it("given the round timings, then new capacity is proven after reaction + pending + the later of InService and registration", () => {
    expect(newCapacityProvenMs(timings)).toBe(1_000 + 10_000 + 40_000)
  })

  it("given a load-balanced service at minimum 100%, then its drain waits for a healthy replacement, the deregistration delay and the stop", () => {
    expect(serviceDrainMs(service("web", {}), timings)).toBe(
      2_000 + (1_000 + 3_000 + 6_000) + 100_000 + 4_000,
    )
  })

  it("given a service whose minimum lets a task stop first and no load balancer, then its drain is reaction + deactivation + stop", () => {
    expect(serviceDrainMs(service("jobs", { minimumHealthyPercent: 50, loadBalanced: false }), timings)).toBe(
      2_000 + 500 + 4_000,
    )
  })

  it("given a single-task service at minimum 50%, then the floor still rounds up to one task and the replacement comes first", () => {
    const single = service("single", { desiredCount: 1, minimumHealthyPercent: 50 })
    expect(serviceDrainMs(single, timings)).toBe(serviceDrainMs(service("web", {}), timings))
  })

  it("given 5 instances and a 40% surge, when bounded, then it takes 3 waves of 2 behind one proof of capacity, each as long as the slowest service's drain", () => {
    const web = service("web", {})
    const jobs = service("jobs", { minimumHealthyPercent: 0, loadBalanced: false })
    const policy = { ...defaultPolicy, maxSurge: { unit: "percent" as const, value: 40 } }
    const bound = lowerBound(tiny([jobs, web]), policy)
    expect(bound).toMatchObject({ oldInstances: 5, waveSize: 2, waves: 3, slowestService: "web" })
    expect(bound.totalMs).toBe(newCapacityProvenMs(timings) + 3 * serviceDrainMs(web, timings))
  })

  it("given max draining below max surge, then the wave is the draining limit; in detach mode surge does not count", () => {
    const policy = {
      ...defaultPolicy,
      maxSurge: { unit: "instances" as const, value: 4 },
      maxDraining: { unit: "instances" as const, value: 3 },
    }
    expect(waveSize(10, policy)).toBe(3)
    expect(waveSize(10, { ...policy, maxSurge: { unit: "instances", value: 1 } })).toBe(1)
    expect(
      waveSize(10, { ...policy, capacityMode: "detach", maxSurge: { unit: "instances", value: 1 } }),
    ).toBe(3)
  })

  it("given a scenario without instances, then the bound is zero", () => {
    const empty = {
      ...tiny([service("web", {})]),
      groups: scenarios.small.groups.map((group) => ({ ...group, desiredCapacity: 0, minSize: 0 })),
    }
    expect(lowerBound(empty, defaultPolicy)).toMatchObject({ waves: 0, totalMs: 0 })
  })
})

describe("the physical minimum", () => {
  const web = service("web", {})
  const jobs = service("jobs", { minimumHealthyPercent: 0, loadBalanced: false })
  const withMaxSize = (maxSize: number): Scenario => {
    const scenario = tiny([jobs, web])
    return { ...scenario, groups: scenario.groups.map((group) => ({ ...group, maxSize })) }
  }

  it("given any policy, then every old instance goes in one wave behind one proof of capacity, at or below the policy's bound", () => {
    const minimum = physicalMinimum(withMaxSize(10))
    expect(minimum).toMatchObject({ oldInstances: 5, waveSize: 5, waves: 1, slowestService: "web" })
    expect(minimum.totalMs).toBe(newCapacityProvenMs(timings) + serviceDrainMs(web, timings))
    const halfWaves = {
      ...defaultPolicy,
      maxSurge: { unit: "percent", value: 50 },
      maxDraining: { unit: "percent", value: 50 },
    } as const
    expect(minimum.totalMs).toBeLessThan(lowerBound(withMaxSize(10), halfWaves).totalMs)
    // The default policy replaces the group in one wave: its bound is the physical minimum.
    expect(lowerBound(withMaxSize(10), defaultPolicy).totalMs).toBe(minimum.totalMs)
  })

  it("given a max size without room for a copy of the group, then still one wave (a tool may raise max size for the run)", () => {
    expect(physicalMinimum(withMaxSize(5))).toEqual(physicalMinimum(withMaxSize(10)))
  })

  it("given a scenario without instances, then it is zero", () => {
    const empty = {
      ...tiny([web]),
      groups: scenarios.small.groups.map((group) => ({ ...group, desiredCapacity: 0, minSize: 0 })),
    }
    expect(physicalMinimum(empty)).toMatchObject({ waves: 0, totalMs: 0 })
  })
})
