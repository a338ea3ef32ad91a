import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { AutoScaling } from "@ecs-ami-deploy/ports"
import { makeSimulation } from "@ecs-ami-deploy/simulator"
import { withBatchedDetach } from "../src/contenders.ts"
import { groupOf, scaledLarge } from "../src/scenarios.ts"

describe("the Go tool with batched detach", () => {
  it("given 45 instances detached in one call, then the port sends three DetachInstances calls of at most 20 ids and all are detached", async () => {
    const scenario = scaledLarge(45)
    const simulation = makeSimulation(scenario)
    const batched = withBatchedDetach(simulation)
    const ids = simulation.snapshotState().instances.map((instance) => instance.instanceId)
    await batched.run(Effect.gen(function* () {
      const autoScaling = yield* AutoScaling
      yield* autoScaling.detachInstances(groupOf(scenario), ids, false)
    }))
    const detaches = simulation.callLog.filter((call) => call.operation === "autoscaling:DetachInstances")
    expect(detaches.map((call) => (call.input as { readonly instanceIds: ReadonlyArray<string> }).instanceIds.length)).toEqual([20, 20, 5])
    expect(detaches.every((call) => call.outcome === "ok")).toBe(true)
  })
})
