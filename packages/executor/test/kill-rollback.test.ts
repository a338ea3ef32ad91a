/**
 * Kill at every boundary of a rollback: new instances of `small` never register, so the run rolls
 * back; an executor is killed after each event from the rollback's start on, and a fresh one
 * finishes the rollback. The cluster must end as it was found (invariant 6) every time.
 */
import { describe, expect, it } from "vitest"
import { Exit } from "effect"
import { defaultPolicy, type RunEvent } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { newImageId } from "@ecs-ami-deploy/simulator"
import { runRollout } from "../src/index.ts"
import { endState, expectClusterAsFound, isKilled, killable, makeWorld, testSettings } from "./harness.ts"

const faults = { agentNeverRegisters: { imageIds: [newImageId] } }
const rollout = (clusterName: string, holder: string) =>
  runRollout({ clusterName, policy: defaultPolicy, holder, settings: testSettings })

const referenceEvents = async (): Promise<ReadonlyArray<RunEvent>> => {
  const world = makeWorld("small", { faults })
  const eventLog = makeMemoryEventLog()
  const exit = await world.run(rollout(world.clusterName, "reference"), eventLog)
  if (!Exit.isSuccess(exit) || exit.value._tag !== "Finished" || exit.value.outcome !== "rolled-back")
    throw new Error("the reference run did not roll back")
  const loaded = await world.run(eventLog.load(exit.value.runId), eventLog)
  if (!Exit.isSuccess(loaded)) throw new Error("the reference log cannot be read")
  return loaded.value
}

const reference = await referenceEvents()
const rollbackAt = reference.findIndex((event) => event._tag === "RollbackStarted")
const boundaries = reference
  .map((event, index) => ({ killAt: index + 1, event: event._tag }))
  .slice(rollbackAt, -1)

describe(`kill at every boundary of a rollback on small (events ${rollbackAt + 1}–${reference.length - 1})`, () => {
  it.each(boundaries)(
    "given an executor killed after append $killAt ($event), when a fresh one resumes, then the cluster ends as it was found",
    async ({ killAt }) => {
      const world = makeWorld("small", { faults })
      const before = world.simulation.snapshotState()
      const storage = emptyMemoryStorage()

      const killed = await world.run(
        rollout(world.clusterName, "first"),
        killable(makeMemoryEventLog(storage), killAt),
      )
      expect(isKilled(killed)).toBe(true)
      world.simulation.advance(testSettings.leaseMs)
      const resumed = await world.run(rollout(world.clusterName, "second"), makeMemoryEventLog(storage))
      expect(Exit.isSuccess(resumed) ? resumed.value : resumed).toMatchObject({
        _tag: "Finished",
        outcome: "rolled-back",
      })

      await expectClusterAsFound(world, before)
      const end = endState(world)
      expect(end.terminatedTwice).toEqual([])
      expect(end.secondsBelowFloor).toBe(0)
    },
  )
})
