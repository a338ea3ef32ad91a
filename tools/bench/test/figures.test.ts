import { describe, expect, it } from "vitest"
import { scenarios, type CallRecord } from "@ecs-ami-deploy/simulator"
import { contenders } from "../src/contenders.ts"
import { ecsRequestRates, measure } from "../src/figures.ts"

const engines = contenders.filter((contender) => contender.policy !== undefined)

describe("the lower bound against the simulator", () => {
  it.each(engines.map((contender) => [contender.id, contender] as const))(
    "given our engine (%s) rolling out the small cluster, when measured, then it succeeds no faster than the lower bound says any safe engine can",
    async (_, contender) => {
      const figures = await measure(scenarios.small, contender)
      expect(figures.status).toBe("succeeded")
      expect(figures.lowerBound?.totalMs).toBeGreaterThan(0)
      expect(figures.durationMs).toBeGreaterThanOrEqual(
        figures.lowerBound?.totalMs ?? Number.POSITIVE_INFINITY,
      )
    },
  )
})

describe("ecsRequestRates", () => {
  const call = (at: number, awsRequests: Record<string, number>): CallRecord => ({
    at,
    operation: Object.keys(awsRequests)[0] ?? "",
    mutating: false,
    input: {},
    outcome: "ok",
    awsRequests,
  })

  it("given calls over two seconds, when rated, then only ECS requests count: the busiest second and the average over the run", () => {
    const rates = ecsRequestRates(
      [
        call(1_000, { "ecs:ListTasks": 2, "ecs:DescribeTasks": 2 }),
        call(1_999, { "ecs:DescribeServices": 1 }),
        call(1_500, { "ec2:DescribeInstances": 40 }),
        call(2_000, { "ecs:DescribeTasks": 3 }),
      ],
      10_000,
    )
    expect(rates).toEqual({ peak: 5, average: 0.8 })
  })
})
