import { scenarios } from "@ecs-ami-deploy/simulator"
import { describe, expect, it } from "vitest"
import type { ContenderId } from "../src/contenders.ts"
import type { RunFigures } from "../src/figures.ts"
import { physicalMinimum } from "../src/lower-bound.ts"
import {
  apiCallsVerdict,
  availabilityVerdict,
  durationVerdict,
  ecsRateVerdict,
  physicalMinimumVerdict,
  requestsVerdict,
  scaleVerdict,
  speedupVerdict,
  thresholds,
  verdicts,
  versusRefreshVerdict,
} from "../src/targets.ts"

const minimum = physicalMinimum(scenarios["standard-20"])

const run = (scenario: string, contender: ContenderId, figures: Partial<RunFigures> = {}): RunFigures => ({
  scenario,
  instances: 20,
  contender,
  label: contender,
  status: "succeeded",
  detail: "succeeded",
  durationMs: 1_000_000,
  physicalMinimum: minimum,
  ratioToPhysicalMinimum: 1_000_000 / minimum.totalMs,
  serviceSecondsBelowFloor: 0,
  serviceSecondsWithZeroHealthy: 0,
  settled: { serviceSecondsBelowFloor: 0, serviceSecondsWithZeroHealthy: 0 },
  apiCalls: {
    awsRequests: 100,
    total: 100,
    reads: 90,
    mutating: 10,
    failed: 0,
    perInstance: 5,
    byAction: {},
    ecsPeakPerSecond: 10,
    ecsAveragePerSecond: 0.5,
  },
  peakExtraInstances: 10,
  extraInstanceHours: 1,
  wallMs: 1,
  ...figures,
})

describe("target verdicts", () => {
  it("given engine runs at and just over the bound ratio, then only the one over it is named and the target is not met", () => {
    const limit = thresholds.maxRatioToLowerBound
    const atLimit = durationVerdict([
      run("a", "engine-default", { ratioToLowerBound: limit }),
      run("a", "engine-half", { ratioToLowerBound: 1.01 }),
    ])
    expect(atLimit.status).toBe("met")
    const over = durationVerdict([
      run("a", "engine-default", { ratioToLowerBound: limit + 0.01 }),
      run("b", "engine-half", { ratioToLowerBound: 1 }),
    ])
    expect(over.status).toBe("not met")
    expect(over.evidence).toContain("engine-default on a")
    expect(over.evidence).not.toContain("engine-half on b")
  })

  it("given a failed engine run within the ratio, then the duration target is not met", () => {
    const verdict = durationVerdict([
      run("a", "engine-default", { ratioToLowerBound: 0.2, status: "failed", detail: "drain refused" }),
    ])
    expect(verdict.status).toBe("not met")
    expect(verdict.evidence).toContain("engine-default on a failed")
  })

  it("given Go five times slower on standard-20, then the speedup target is met; a little less is not", () => {
    const ours = run("standard-20", "engine-default", { durationMs: 1_000 })
    expect(
      speedupVerdict([ours, run("standard-20", "go-tool", { durationMs: 5_000 })], "standard-20", 5),
    ).toMatchObject({ status: "met", evidence: expect.stringContaining("5.00×") })
    expect(
      speedupVerdict([ours, run("standard-20", "go-tool", { durationMs: 4_999 })], "standard-20", 5).status,
    ).toBe("not met")
  })

  it("given lower bounds measured on the scenario, then the evidence says the most an engine at the smallest bound could reach", () => {
    const bound = (totalMs: number) => ({
      oldInstances: 20,
      waveSize: 20,
      waves: 1,
      newCapacityProvenMs: 0,
      drainWaveMs: 0,
      slowestService: "web",
      totalMs,
    })
    const verdict = speedupVerdict(
      [
        run("standard-20", "engine-default", { durationMs: 1_000, lowerBound: bound(800) }),
        run("standard-20", "engine-half", { durationMs: 500, lowerBound: bound(400) }),
        run("standard-20", "go-tool", { durationMs: 2_000 }),
      ],
      "standard-20",
      5,
    )
    expect(verdict.evidence).toContain("an engine would reach 5.00×")
  })

  it("given a scenario that was not run, then the speedup target is not measurable", () => {
    expect(speedupVerdict([], "large-100", 15)).toMatchObject({
      status: "not measurable",
      evidence: expect.stringContaining("not run"),
    })
  })

  it("given a Go run that stopped and ours that succeeded, then the comparison is not measurable and says why", () => {
    const runs = [
      run("large-100", "engine-default"),
      run("large-100", "go-tool", { status: "failed", detail: "DetachInstances refused" }),
    ]
    expect(speedupVerdict(runs, "large-100", 15)).toEqual({
      target: expect.any(String),
      status: "not measurable",
      evidence: expect.stringContaining("DetachInstances refused"),
    })
    expect(apiCallsVerdict(runs, "large-100", 0.5).status).toBe("not measurable")
  })

  it("given the Go tool as shipped stopped and its batched variant finished, then the comparison is judged against the batched one and says so", () => {
    const ours = run("large-100", "engine-default", { durationMs: 1_000_000 })
    const shipped = run("large-100", "go-tool", { status: "failed", detail: "DetachInstances refused" })
    const batched = (durationMs: number) => run("large-100", "go-batched", { durationMs })
    const met = speedupVerdict([ours, shipped, batched(15_000_000)], "large-100", 15)
    expect(met.status).toBe("met")
    expect(met.evidence).toContain("DetachInstances batched")
    expect(speedupVerdict([ours, shipped, batched(14_999_999)], "large-100", 15).status).toBe("not met")
  })

  it("given our run failed where Go's finished, then the comparison is not yet met", () => {
    const runs = [run("large-100", "engine-default", { status: "failed" }), run("large-100", "go-tool")]
    expect(speedupVerdict(runs, "large-100", 15).status).toBe("not met")
  })

  it("given a baseline with violations and engine runs without, then availability is met and the baseline's seconds are quoted", () => {
    const verdict = availabilityVerdict([
      run("a", "engine-default"),
      run("a", "refresh-90-100", {
        settled: { serviceSecondsBelowFloor: 42, serviceSecondsWithZeroHealthy: 0 },
      }),
    ])
    expect(verdict.status).toBe("met")
    expect(verdict.evidence).toContain("baselines: 42 service-seconds")
  })

  it("given one engine second with zero healthy tasks while the world settles, then availability is not met", () => {
    expect(
      availabilityVerdict([
        run("a", "engine-half", {
          settled: { serviceSecondsBelowFloor: 0, serviceSecondsWithZeroHealthy: 1 },
        }),
      ]).status,
    ).toBe("not met")
  })

  it("given exactly half the Go algorithm's AWS requests, then the API target is met; one request more is not", () => {
    const go = run("large-100", "go-tool", {
      apiCalls: { ...run("large-100", "go-tool").apiCalls, awsRequests: 200 },
    })
    // Few port calls standing for many requests: the requests are what count.
    const ours = (awsRequests: number) =>
      run("large-100", "engine-default", {
        apiCalls: { ...run("large-100", "engine-default").apiCalls, awsRequests },
      })
    expect(apiCallsVerdict([go, ours(100)], "large-100", 0.5).status).toBe("met")
    expect(apiCallsVerdict([go, ours(101)], "large-100", 0.5).status).toBe("not met")
  })

  it("given any runs, then every target of the issues gets exactly one verdict", () => {
    expect(verdicts([run("standard-20", "engine-default")]).map((verdict) => verdict.target)).toHaveLength(
      3 +
        thresholds.speedupOverGo.length +
        thresholds.requests.length +
        3 +
        thresholds.versusRefresh.scenarios.length * thresholds.versusRefresh.pairs.length,
    ) // duration, availability, API calls versus Go, one speedup each, one request budget each, ECS rate,
    // physical minimum, scale, one per scenario and surge against instance refresh
  })

  it("given our default run at and over a request budget, or under it with a service below its floor, then only the first meets it", () => {
    const withRequests = (awsRequests: number, belowFloor = 0) => [
      run("standard-20", "engine-default", {
        apiCalls: { ...run("standard-20", "engine-default").apiCalls, awsRequests },
        settled: { serviceSecondsBelowFloor: belowFloor, serviceSecondsWithZeroHealthy: 0 },
      }),
    ]
    expect(requestsVerdict(withRequests(300), "standard-20", 300).status).toBe("met")
    expect(requestsVerdict(withRequests(301), "standard-20", 300).status).toBe("not met")
    expect(requestsVerdict(withRequests(200, 5), "standard-20", 300).status).toBe("not met")
    expect(requestsVerdict(withRequests(200), "large-500", 2000).status).toBe("not measurable")
  })

  it("given default runs with ECS request rates at and over the limit, then the one over it is named", () => {
    const rated = (scenario: string, ecsAveragePerSecond: number) =>
      run(scenario, "engine-default", {
        apiCalls: { ...run(scenario, "engine-default").apiCalls, ecsAveragePerSecond },
      })
    expect(ecsRateVerdict([rated("standard-20", 1)], 1).status).toBe("met")
    const over = ecsRateVerdict([rated("standard-20", 1), rated("large-500", 1.5)], 1)
    expect(over.status).toBe("not met")
    expect(over.evidence).toContain("large-500: 1.50 /s")
  })

  it("given our default run at and over 1.5× the physical minimum, or under it with a service below its floor, then only the first meets it", () => {
    const ours = (durationMs: number, belowFloor = 0) => [
      run("standard-20", "engine-default", {
        durationMs,
        ratioToPhysicalMinimum: durationMs / minimum.totalMs,
        settled: { serviceSecondsBelowFloor: belowFloor, serviceSecondsWithZeroHealthy: 0 },
      }),
    ]
    expect(physicalMinimumVerdict(ours(minimum.totalMs * 1.5), "standard-20", 1.5).status).toBe("met")
    expect(physicalMinimumVerdict(ours(minimum.totalMs * 1.5 + 1), "standard-20", 1.5).status).toBe("not met")
    expect(physicalMinimumVerdict(ours(minimum.totalMs, 3), "standard-20", 1.5).status).toBe("not met")
    expect(physicalMinimumVerdict(ours(minimum.totalMs), "large-100", 1.5).status).toBe("not measurable")
  })

  it("given ours as fast as, slower than, or failed against instance refresh with managed draining, then only the first meets it", () => {
    const pair = { ours: "engine-default", refresh: "refresh-100-150-md", surge: "50%" } as const
    const race = (ours: Partial<RunFigures>) => [
      run("standard-20", "refresh-100-150-md", { durationMs: 600_000 }),
      run("standard-20", "engine-default", ours),
    ]
    expect(versusRefreshVerdict(race({ durationMs: 600_000 }), "standard-20", pair).status).toBe("met")
    const slower = versusRefreshVerdict(race({ durationMs: 600_001 }), "standard-20", pair)
    expect(slower.status).toBe("not met")
    expect(slower.evidence).toContain("instance refresh 600.0 s")
    expect(versusRefreshVerdict(race({ status: "failed" }), "standard-20", pair).status).toBe("not met")
    expect(versusRefreshVerdict(race({}), "large-100", pair).status).toBe("not measurable")
  })

  it("given scale probes within and beyond the wall time and peak RSS, or not run, then only the first meets the target", () => {
    const { wallMs, peakRssBytes, instances, tasks } = thresholds.scale
    const probe = (wall: number, rss: number, runStatus = "succeeded: done") =>
      ({
        measured: true,
        value: {
          scenario: "large-1000-3000-tasks",
          runStatus,
          instances,
          tasks,
          simulatedDurationMs: 940_000,
          wallMs: wall,
          before: { rssBytes: 0, heapUsedBytes: 0 },
          peakHeapUsedBytes: 0,
          peakRssBytes: rss,
          retainedHeapUsedBytes: 0,
        },
      }) as const
    expect(scaleVerdict(probe(wallMs, peakRssBytes)).status).toBe("met")
    expect(scaleVerdict(probe(wallMs + 1, peakRssBytes)).status).toBe("not met")
    expect(scaleVerdict(probe(wallMs, peakRssBytes + 1)).status).toBe("not met")
    expect(scaleVerdict(probe(1, 1, "failed: broken")).status).toBe("not met")
    expect(scaleVerdict({ measured: false, reason: "skipped by --quick" }).status).toBe("not measurable")
  })
})
