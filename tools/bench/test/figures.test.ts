import { describe, expect, it } from "vitest"
import { scenarios } from "@ecs-ami-deploy/simulator"
import { contenders } from "../src/contenders.ts"
import { measure } from "../src/figures.ts"

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
