import { describe, expect, it } from "vitest"
import { Exit } from "effect"
import { defaultPolicy } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { newImageId } from "@ecs-ami-deploy/simulator"
import { runRollout, runStatus } from "../src/index.ts"
import { endState, makeWorld, testSettings } from "./harness.ts"

describe("runRollout on the simulator", () => {
  it("given the small cluster on an old image, when rolled out, then every instance runs the new image with no availability violation", async () => {
    const world = makeWorld("small")
    const before = world.simulation.snapshotState()
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const exit = await world.run(
      runRollout({ clusterName: world.clusterName, policy: defaultPolicy, holder: "test", settings: testSettings }),
      eventLog,
    )
    expect(Exit.isSuccess(exit) ? exit.value : exit).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    const end = endState(world)
    expect(end.liveImages).toEqual([newImageId])
    expect(end.desiredCapacities).toEqual(Object.fromEntries(before.groups.map((group) => [group.name, group.desiredCapacity])))
    expect(end.terminatedTwice).toEqual([])
    expect(end.secondsBelowFloor).toBe(0)
    expect(world.notifications.map((notification) => notification.kind)).toEqual(["started", "succeeded"])
    const status = await world.run(runStatus(world.clusterName), eventLog)
    expect(Exit.isSuccess(status) ? status.value : status).toMatchObject({ _tag: "Run", summary: { status: "succeeded" } })
  })
})
