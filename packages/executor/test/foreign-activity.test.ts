/**
 * A cluster another actor is changing: a second operator with another event log, or a drain already
 * under way, is refused before any AWS call, with what was seen and what to do — instead of starting a
 * run that waits for a drain it cannot finish and rolls back with nothing to say why.
 */
import { describe, expect, it } from "vitest"
import { Exit } from "effect"
import { defaultPolicy, RunTagKeys } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { Ecs } from "@ecs-ami-deploy/ports"
import { runRollout } from "../src/index.ts"
import { isKilled, killable, makeWorld, testSettings } from "./harness.ts"

const policy = { ...defaultPolicy, unsafeServices: "proceed" as const }
const rollout = (clusterName: string, holder: string) =>
  runRollout({ clusterName, policy, holder, settings: testSettings })

describe("another actor changing the cluster", () => {
  it("given a run of another event log that tagged and drained instances, when a second operator starts with their own log, then the start is refused naming that run, and nothing is called", async () => {
    const world = makeWorld("small")
    const firstLog = makeMemoryEventLog(emptyMemoryStorage())
    // The first operator's run prepares, launches and drains, then its process dies.
    const first = await world.run(rollout(world.clusterName, "first-operator"), killable(firstLog, 11))
    expect(isKilled(first)).toBe(true)
    const firstRunId = world.simulation
      .snapshotState()
      .instances.map((instance) => instance.tags[RunTagKeys.runId])
      .find((runId) => runId !== undefined)
    expect(firstRunId).toBeDefined()
    const mutatingBefore = world.simulation.callLog.filter((call) => call.mutating).length

    const second = await world.run(
      rollout(world.clusterName, "second-operator"),
      makeMemoryEventLog(emptyMemoryStorage()),
    )
    const result = Exit.isSuccess(second) ? second.value : undefined
    expect(result?._tag).toBe("Refused")
    const problems = result?._tag === "Refused" ? result.problems : []
    expect(problems.some((p) => firstRunId !== undefined && p.problem.includes(`run ${firstRunId}`))).toBe(
      true,
    )
    expect(problems.every((p) => p.fix.length > 0)).toBe(true)
    expect(world.simulation.callLog.filter((call) => call.mutating).length).toBe(mutatingBefore)
  })

  it("given container instances another tool set DRAINING, when a run would start, then it is refused naming them", async () => {
    const world = makeWorld("small")
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const container = world.simulation.snapshotState().containerInstances[0]
    if (container === undefined) throw new Error("the small scenario has no container instance")
    await world.run(
      Ecs.use((ecs) =>
        ecs.updateContainerInstancesState(world.clusterName, [container.containerInstanceArn], "DRAINING"),
      ),
      eventLog,
    )
    const mutatingBefore = world.simulation.callLog.filter((call) => call.mutating).length
    const run = await world.run(rollout(world.clusterName, "operator"), eventLog)
    const result = Exit.isSuccess(run) ? run.value : undefined
    expect(result).toMatchObject({ _tag: "Refused" })
    expect(result?._tag === "Refused" ? result.problems.map((p) => p.problem).join("\n") : "").toContain(
      `${container.ec2InstanceId} are already DRAINING`,
    )
    expect(world.simulation.callLog.filter((call) => call.mutating).length).toBe(mutatingBefore)
  })
})
