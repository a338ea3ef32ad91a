/**
 * Kill at every boundary: an uninterrupted rollout of `standard-20` is recorded first; then, for
 * every event k of it, a fresh world is rolled out by an executor that dies right after its k-th
 * append, and — once its lease has run out — a fresh executor finishes the run. For every outcome
 * event the executor also dies just before appending it: the command's calls were made, their
 * outcome is lost. Each time the end state must be the uninterrupted one.
 */
import { describe, expect, it } from "vitest"
import { Exit } from "effect"
import { defaultPolicy, type RunEvent } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { newImageId } from "@ecs-ami-deploy/simulator"
import { runRollout } from "../src/index.ts"
import { endState, isKilled, killable, makeWorld, newImageTemplateVersions, testSettings, type EndState } from "./harness.ts"

const scenario = "standard-20"
// A 15 s poll (default 5 s) keeps the many simulated rollouts quick; what is polled is the same.
const policy = { ...defaultPolicy, unsafeServices: "proceed" as const, pollIntervalMs: 15_000 }

const rollout = (clusterName: string, holder: string) => runRollout({ clusterName, policy, holder, settings: testSettings })

/** The events of an uninterrupted rollout, in order, and the world it leaves once settled. */
const uninterrupted = async (): Promise<{ readonly events: ReadonlyArray<RunEvent>; readonly end: EndState }> => {
  const world = makeWorld(scenario)
  const eventLog = makeMemoryEventLog(emptyMemoryStorage())
  const exit = await world.run(rollout(world.clusterName, "reference"), eventLog)
  if (!Exit.isSuccess(exit) || exit.value._tag !== "Finished") throw new Error("the reference rollout did not finish")
  const loaded = await world.run(eventLog.load(exit.value.runId), eventLog)
  if (!Exit.isSuccess(loaded)) throw new Error("the reference log cannot be read")
  return { events: loaded.value, end: endState(world) }
}

const { events: reference, end: referenceEnd } = await uninterrupted()
const boundaries = [
  // The last event is RunFinished: dying after it leaves nothing to resume.
  ...reference.slice(0, -1).map((_, index) => ({ killAt: index + 1, when: "after" as const, event: reference[index]?._tag })),
  ...reference.flatMap((event, index) =>
    event._tag === "CommandSucceeded" || event._tag === "CommandFailed"
      ? [{ killAt: index + 1, when: "before" as const, event: event._tag }]
      : [],
  ),
]

describe(`kill at every boundary of ${scenario} (${reference.length} events)`, () => {
  it.each(boundaries)("given an executor killed $when append $killAt ($event), when a fresh one resumes, then the rollout ends as if uninterrupted", async ({ killAt, when }) => {
    const world = makeWorld(scenario)
    const before = world.simulation.snapshotState()
    const storage = emptyMemoryStorage()

    const killed = await world.run(rollout(world.clusterName, "first"), killable(makeMemoryEventLog(storage), killAt, when))
    expect(isKilled(killed)).toBe(true)

    world.simulation.advance(testSettings.leaseMs)
    const resumed = await world.run(rollout(world.clusterName, "second"), makeMemoryEventLog(storage))
    expect(Exit.isSuccess(resumed) ? resumed.value : resumed).toMatchObject({ _tag: "Finished", outcome: "succeeded" })

    const end = endState(world)
    const oldInstances = before.instances.filter((instance) => instance.state === "running").length
    // Every live instance on the new image: no old instance left (AZRebalance, resumed at the end, may add one).
    expect(end.liveImages).toEqual([newImageId])
    expect(end.desiredCapacities).toEqual(Object.fromEntries(before.groups.map((group) => [group.name, group.desiredCapacity])))
    // One launch per old instance, as in the uninterrupted run, and no instance terminated twice.
    expect(end.capacityLaunches).toBe(oldInstances)
    expect(end.capacityLaunches).toBe(referenceEnd.capacityLaunches)
    expect(end.terminatedTwice).toEqual([])
    expect(end.secondsBelowFloor).toBe(0)
    const versions = await newImageTemplateVersions(world)
    expect(Exit.isSuccess(versions) ? Object.values(versions.value) : versions).toEqual([1])
  })
})
