/**
 * One wave of the whole group (the default policy) on `standard-20`, whose `jobs` service (8 tasks,
 * minimum healthy 0 %, maximum 100 %) lets ECS stop every task it has on draining instances before
 * starting any: the wave keeps the instance running jobs' last serving task out of its drain, and
 * extends the drain to it once jobs serves on new capacity (planner wave-extension.ts). Without that,
 * jobs had no healthy task for 46 s of the run. A rollback's round removing the new instances does
 * the same (planner surplus.ts); without it, jobs had none for 51 s of the rollback.
 */
import { describe, expect, it } from "vitest"
import { Exit } from "effect"
import { defaultPolicy, type RunEvent } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { newImageId, scenarios } from "@ecs-ami-deploy/simulator"
import { makeWorld, makeWorldOf, rollOut, type World } from "./harness.ts"

const drainsOf = (log: ReadonlyArray<RunEvent>) =>
  log.flatMap((event) =>
    event._tag === "CommandIssued" && event.command._tag === "DrainInstances" ? [event.command] : [],
  )

/** Rolls `world` out under the default policy (proceeding past services a drain could empty) and loads its log. */
const rolledOut = async (world: World) => {
  const eventLog = makeMemoryEventLog(emptyMemoryStorage())
  const exit = await rollOut(world, { ...defaultPolicy, unsafeServices: "proceed" }, eventLog)
  if (!Exit.isSuccess(exit) || exit.value._tag !== "Finished") throw new Error(`run: ${JSON.stringify(exit)}`)
  const loaded = await world.run(eventLog.load(exit.value.runId), eventLog)
  if (!Exit.isSuccess(loaded)) throw new Error(`load: ${JSON.stringify(loaded)}`)
  return { result: exit.value, log: loaded.value }
}

describe("a wave that keeps one task of a floorless service running", () => {
  it("given standard-20 under the default policy, when its one wave drains, then jobs never has zero healthy tasks, the wave extends its drain to the instance it kept out, and every old instance is replaced", async () => {
    const world = makeWorld("standard-20")
    const { result, log } = await rolledOut(world)
    expect(result.outcome).toBe("succeeded")
    const drains = drainsOf(log)
    expect(drains.map((d) => d.id)).toEqual(["drain:standard-asg:w1", "extend-drain:standard-asg:w1"])
    expect(drains.map((d) => d.instanceIds.length)).toEqual([19, 1])
    const metrics = world.simulation.metrics()
    const jobs = metrics.services.find((s) => s.service.endsWith("/jobs"))
    expect(jobs?.lowestHealthy).toBeGreaterThanOrEqual(1)
    expect(metrics.serviceSecondsWithZeroHealthy).toBe(0)
    expect(metrics.serviceSecondsBelowFloor).toBe(0)
    const old = new Set(
      log.flatMap((e) => (e._tag === "RunStarted" ? e.groups.flatMap((g) => g.oldInstanceIds) : [])),
    )
    const terminated = log.flatMap((e) =>
      e._tag === "CommandIssued" && e.command._tag === "TerminateInstances" ? e.command.instanceIds : [],
    )
    expect(old.size).toBe(20)
    expect(new Set(terminated)).toEqual(old)
  })

  it("given targets on the new image that fail after the wave drained, when the rollback drains the new instances, then jobs never has zero healthy tasks: the rollback's round keeps one out and extends its drain to it", async () => {
    const standard = scenarios["standard-20"]
    const world = makeWorldOf({
      ...standard,
      faults: { ...standard.faults, unhealthyTargetsOnImages: { imageIds: [newImageId], afterMs: 60_000 } },
    })
    const { result, log } = await rolledOut(world)
    expect(result.outcome).toBe("rolled-back")
    expect(drainsOf(log).map((d) => d.id)).toEqual([
      "drain:standard-asg:w1",
      "extend-drain:standard-asg:w1",
      "rollback-trim-drain:standard-asg:r1",
      "rollback-trim-extend:standard-asg:r1",
    ])
    world.simulation.advance(600_000)
    expect(world.simulation.metrics().serviceSecondsWithZeroHealthy).toBe(0)
  })
})
