import { AutoScaling, Ecs } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { makeSimulation, scenarios } from "../src/index.ts"

describe("the small scenario end to end", () => {
  it("given more desired capacity, when the old instances drain, then every service task moves to the new instances", async () => {
    const sim = makeSimulation(scenarios.small, { seed: 7 })
    const { before, after } = await sim.run(
      Effect.gen(function* () {
        const autoScaling = yield* AutoScaling
        const ecs = yield* Ecs
        const before = yield* ecs.containerInstances("small-cluster")
        yield* autoScaling.updateGroup({ asgName: "small-asg", desiredCapacity: 8 })
        yield* Effect.sleep("5 minutes")
        yield* ecs.updateContainerInstancesState(
          "small-cluster",
          before.map((ci) => ci.containerInstanceArn),
          "DRAINING",
        )
        yield* Effect.sleep("20 minutes")
        return { before, after: yield* ecs.tasks("small-cluster") }
      }),
    )
    const oldArns = new Set(before.map((ci) => ci.containerInstanceArn))
    const running = after.filter((t) => t.lastStatus === "RUNNING")
    expect(running).toHaveLength(5)
    expect(
      running.every((t) => t.containerInstanceArn !== undefined && !oldArns.has(t.containerInstanceArn)),
    ).toBe(true)
    expect(sim.metrics().serviceSecondsBelowFloor).toBe(0)
  })
})
