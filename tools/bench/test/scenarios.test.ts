import { describe, expect, it } from "vitest"
import { decodeScenario, scenarios } from "@ecs-ami-deploy/simulator"
import { benchScenarios, instanceCount, scaledLarge } from "../src/scenarios.ts"

describe("benchmark scenarios", () => {
  it("given large-200 scaled to 500, then the group, its limits and every service scale together and the scenario stays valid", () => {
    const base = scenarios["large-200"]
    const scaled = scaledLarge(500)
    expect(() => decodeScenario(scaled)).not.toThrow()
    expect(instanceCount(scaled)).toBe(500)
    expect(scaled.groups[0]?.maxSize).toBe(Math.round(((base.groups[0]?.maxSize ?? 0) * 500) / 200))
    expect(scaled.services.map((service) => service.desiredCount)).toEqual(
      base.services.map((service) => Math.round((service.desiredCount * 500) / 200)),
    )
  })

  it("given instances and tasks, then the services share the tasks and the scenario stays valid", () => {
    const scaled = scaledLarge(1000, 3000)
    expect(() => decodeScenario(scaled)).not.toThrow()
    expect(instanceCount(scaled)).toBe(1000)
    expect(scaled.services.reduce((sum, service) => sum + service.desiredCount, 0)).toBe(3000)
  })

  it("given a scaled scenario, then every group and service names its own cluster", () => {
    const scaled = scaledLarge(100)
    const cluster = scaled.clusters[0]?.name
    expect(cluster).toBe("large-100-cluster")
    expect(
      new Set([
        ...scaled.groups.map((group) => group.clusterName),
        ...scaled.services.map((service) => service.clusterName),
      ]),
    ).toEqual(new Set([cluster]))
  })

  it("given --quick, then only the 500-instance cluster is left out", () => {
    const full = benchScenarios({ quick: false }).map((scenario) => scenario.name)
    expect(
      full.filter((name) => !benchScenarios({ quick: true }).some((scenario) => scenario.name === name)),
    ).toEqual(["large-500"])
  })
})
