/** The example that opens README.md, kept here so it cannot rot: keep the two in step. */
import { assert, it } from "@effect/vitest"
import { Effect } from "effect"
import { AutoScaling } from "@ecs-ami-deploy/ports"
import { makeSimulation, scenarios } from "@ecs-ami-deploy/simulator"
import { builtInLaunchSpecStrategies, imageFilterSource, strategyFor } from "../src/index.ts"

it("README example: finds the newest ECS image and points a launch-template group at it", async () => {
  const program = Effect.gen(function* () {
    const target = yield* imageFilterSource().resolve({ architecture: "x86_64" })
    const [group] = yield* AutoScaling.use((autoScaling) => autoScaling.describeGroups(["small-asg"]))
    if (group === undefined) return yield* Effect.die("no such group")
    const strategy = yield* strategyFor(builtInLaunchSpecStrategies(), group)
    const { before, after } = yield* strategy.apply({
      group,
      imageId: target.imageId,
      idempotencyKey: "run-1/cmd-3",
    })
    return {
      strategy: strategy.name,
      target: target.imageId,
      before,
      after,
      launches: (yield* strategy.resolveImageId(group)).imageId,
    }
  })
  const result = await makeSimulation(scenarios.small).run(program)
  assert.strictEqual(result.strategy, "launch-template")
  assert.strictEqual(result.launches, result.target)
})
