/**
 * Runs and locks keyed by account, Region and cluster name (issue 14 item 5): the same cluster name in
 * two Regions are two clusters sharing nothing but the event log; a run is never resumed from another
 * account or Region; a run recorded before the keying is resumed where it is found, with a note.
 */
import { describe, expect, it } from "vitest"
import { Exit } from "effect"
import { defaultPolicy } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import type { EventLog } from "@ecs-ami-deploy/ports"
import { scenarios } from "@ecs-ami-deploy/simulator"
import { runRollout } from "../src/index.ts"
import { isKilled, killable, makeWorldOf, testSettings, type World } from "./harness.ts"

const rollout = (world: World, holder: string) =>
  runRollout({ clusterName: world.clusterName, policy: defaultPolicy, holder, settings: testSettings })

// Seeded apart: a simulation's run ids draw from its seed, and two real Regions never share a random draw.
const worldIn = (region: string) =>
  makeWorldOf({ ...scenarios.small, region }, { seed: region === "us-east-1" ? 1 : 2 })

const value = <A>(exit: Exit.Exit<A, unknown>): A | Exit.Exit<A, unknown> =>
  Exit.isSuccess(exit) ? exit.value : exit

const runsOf = async (world: World, eventLog: EventLog["Service"]) =>
  value(await world.run(eventLog.runs(world.cluster), eventLog))

const mutatingCalls = (world: World) => world.simulation.callLog.filter((call) => call.mutating).length

/** The run a killed first rollout left open in `world`. */
const killedRun = async (world: World, eventLog: EventLog["Service"]) => {
  expect(isKilled(await world.run(rollout(world, "first"), killable(eventLog, 9)))).toBe(true)
  const runs = await runsOf(world, eventLog)
  const runId = Array.isArray(runs) ? runs[0]?.runId : undefined
  if (runId === undefined) throw new Error("the killed rollout recorded no run")
  return runId
}

describe("runs keyed by account, Region and cluster", () => {
  it("given one cluster name in two Regions sharing an event log, when one's run is held open, then the other rolls out its own run and each resumes only its own", async () => {
    const [ireland, virginia] = [worldIn("eu-west-1"), worldIn("us-east-1")]
    expect(ireland.clusterName).toBe(virginia.clusterName)
    const eventLog = makeMemoryEventLog(emptyMemoryStorage())
    const irelandRun = await killedRun(ireland, eventLog)

    // The Irish lease is still live: Virginia's cluster of the same name is not locked by it.
    const virginiaResult = value(await virginia.run(rollout(virginia, "second"), eventLog))
    expect(virginiaResult).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    const virginiaRunId = (virginiaResult as { readonly runId: string }).runId
    expect(virginiaRunId).not.toBe(irelandRun)
    expect(await runsOf(virginia, eventLog)).toMatchObject([
      { runId: virginiaRunId, region: "us-east-1", status: "succeeded" },
    ])

    ireland.simulation.advance(testSettings.leaseMs)
    expect(value(await ireland.run(rollout(ireland, "third"), eventLog))).toMatchObject({
      _tag: "Finished",
      runId: irelandRun,
      outcome: "succeeded",
    })
    expect(await runsOf(ireland, eventLog)).toMatchObject([
      { runId: irelandRun, region: "eu-west-1", accountId: "123456789012", status: "succeeded" },
    ])
  })

  it("given an open run recorded for another Region, when a log that lists runs by name alone offers it, then RunOfAnotherCluster names both and nothing is called or appended", async () => {
    const [ireland, virginia] = [worldIn("eu-west-1"), worldIn("us-east-1")]
    const storage = emptyMemoryStorage()
    const eventLog = makeMemoryEventLog(storage)
    const irelandRun = await killedRun(ireland, eventLog)
    const recorded = storage.runs.get(irelandRun)?.length
    // A driver that forgot the Region in its runs index: the executor must still refuse the run.
    const byNameOnly: EventLog["Service"] = {
      ...eventLog,
      runs: (cluster) => eventLog.runs({ ...cluster, region: "eu-west-1" }),
    }

    const exit = await virginia.run(rollout(virginia, "second"), byNameOnly)
    expect(
      Exit.isFailure(exit) && exit.cause.reasons[0]?._tag === "Fail" && exit.cause.reasons[0].error,
    ).toMatchObject({
      _tag: "RunOfAnotherCluster",
      runId: irelandRun,
      recordedFor: "account 123456789012, Region eu-west-1",
      current: "account 123456789012, Region us-east-1",
    })
    expect(mutatingCalls(virginia)).toBe(0)
    expect(storage.runs.get(irelandRun)?.length).toBe(recorded)
  })

  it("given an open run recorded before runs were keyed by account and Region, when resumed, then it finishes and the log notes where it was resumed", async () => {
    const world = worldIn("eu-west-1")
    const storage = emptyMemoryStorage()
    const eventLog = makeMemoryEventLog(storage)
    const runId = await killedRun(world, eventLog)
    // Rewrite its RunStarted as an older release stored it: no account, no Region.
    const texts = storage.runs.get(runId) ?? []
    const {
      accountId: _accountId,
      region: _region,
      ...legacy
    } = JSON.parse(texts[0] ?? "{}") as Record<string, unknown>
    texts[0] = JSON.stringify(legacy)
    expect(await runsOf(world, eventLog)).toEqual([
      expect.not.objectContaining({ region: expect.anything() }),
    ])

    world.simulation.advance(testSettings.leaseMs)
    expect(value(await world.run(rollout(world, "second"), eventLog))).toMatchObject({
      _tag: "Finished",
      runId,
      outcome: "succeeded",
    })
    const events = value(await world.run(eventLog.load(runId), eventLog))
    expect(
      Array.isArray(events) && events.flatMap((event) => (event._tag === "Noted" ? [event.message] : [])),
    ).toContain(
      "run recorded before runs were keyed by account and Region: resumed in account 123456789012, Region eu-west-1",
    )
  })
})
