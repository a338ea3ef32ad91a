/**
 * Replay: open runs must keep folding and deciding as they did when they were recorded. Each fixture
 * under test/replay/ is a real event log of a run on the simulator (`<name>.events.jsonl`, one stored
 * record a line) and, for a few points of it, the observation and time the executor decided on there
 * (`<name>.cuts.jsonl`: `{events, now, snapshot}`). For every point, the log's first `events` events
 * are folded with `evolve` and `decide` must return what the log records next: the RunStarted (from an
 * empty log), the commands issued, the RollbackStarted, or the RunFinished.
 *
 * A change that fails here would change open runs: either keep the old behaviour for them (raise
 * DECIDER_VERSION and guard the change with `decidesAsOf`, see src/decider-version.ts), or, when a
 * recorded run is meant to change, regenerate the fixtures from the repository root with
 * `npm run replay-fixtures` (tools/bench/src/replay-fixtures.ts) and say why in the commit.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { ClusterSnapshot, RunEvent, type Decision } from "@ecs-ami-deploy/domain"
import { DECIDER_VERSION, decide, decidesAsOf, evolve, initialState } from "../src/index.ts"

const directory = join(import.meta.dirname, "replay")
const decodeEvent = Schema.decodeUnknownSync(RunEvent)
const decodeSnapshot = Schema.decodeUnknownSync(ClusterSnapshot)
const CutLine = Schema.Struct({ events: Schema.Number, now: Schema.Number, snapshot: Schema.Unknown })
const decodeCut = Schema.decodeUnknownSync(CutLine)

const lines = (file: string): ReadonlyArray<unknown> =>
  readFileSync(join(directory, file), "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as unknown)

const fixtures = readdirSync(directory)
  .filter((file) => file.endsWith(".events.jsonl"))
  .map((file) => {
    const name = file.replace(/\.events\.jsonl$/, "")
    const events = lines(file).map((line) => decodeEvent(line))
    const cuts = lines(`${name}.cuts.jsonl`).map((line) => {
      const cut = decodeCut(line)
      return {
        events: cut.events,
        now: cut.now,
        snapshot: decodeSnapshot(cut.snapshot),
        next: events[cut.events],
      }
    })
    return { name, events, cuts }
  })

/**
 * What the log recorded from `at` on, in the shape of the decision that caused it. An Act's commands
 * are issued one after the other, each followed by its outcome; the log does not mark where one
 * decision's batch ends and the next one's begins, so an Act is compared with as many of the
 * commands issued from `at` on as it holds (its phase is not recorded).
 */
const recordedAs = (decision: Decision, events: ReadonlyArray<RunEvent>, at: number) => {
  const next = events[at]
  switch (next?._tag) {
    case "RunStarted": {
      // A new run starts under today's decider version, not necessarily the fixture's.
      const { deciderVersion: _today, ...start } =
        decision._tag === "Start" ? decision : { deciderVersion: 0 }
      return {
        decided: decision._tag === "Start" ? start : decision,
        recorded: {
          _tag: "Start",
          targetImage: next.targetImage,
          groups: next.groups,
          reason: next.reason,
          servicesBelowFloorAtStart: next.servicesBelowFloorAtStart ?? [],
        },
      }
    }
    case "CommandIssued": {
      const issued = []
      for (let k = at; events[k]?._tag === "CommandIssued"; k += 2) {
        const event = events[k]
        if (event?._tag === "CommandIssued") issued.push(event.command)
        if (events[k + 1]?._tag !== "CommandSucceeded") break
      }
      const commands = decision._tag === "Act" ? decision.commands : []
      return {
        decided: decision._tag === "Act" ? { _tag: "Act", commands } : decision,
        recorded: { _tag: "Act", commands: issued.slice(0, Math.max(1, commands.length)) },
      }
    }
    case "RollbackStarted":
      return { decided: decision, recorded: { _tag: "RollBack", reason: next.reason } }
    case "RunFinished":
      return { decided: decision, recorded: { _tag: "Finish", outcome: next.outcome, reason: next.reason } }
    default:
      throw new Error(
        `a decision point must be followed by what it decided, not ${next?._tag ?? "the log's end"}`,
      )
  }
}

describe("replay fixtures", () => {
  it("given the fixture directory, then it holds the four recorded runs, each with decision points", () => {
    expect(fixtures.map((f) => f.name).sort()).toEqual([
      "managed-draining",
      "small-resumed-after-kill",
      "small-rolled-back",
      "small-succeeded",
    ])
    for (const fixture of fixtures) expect(fixture.cuts.length).toBeGreaterThan(3)
  })

  describe.each(fixtures)("$name", ({ events, cuts }) => {
    const policy = events[0]?._tag === "RunStarted" ? events[0].policy : undefined
    it.each(cuts.map((cut) => ({ ...cut, tag: cut.next?._tag ?? "end" })))(
      "given its first $events events, when deciding on the recorded observation, then the planner asks for the recorded $tag",
      ({ events: count, now, snapshot }) => {
        if (policy === undefined) throw new Error("the fixture does not start with RunStarted")
        const state = events.slice(0, count).reduce(evolve, initialState)
        const { decided, recorded } = recordedAs(decide(state, snapshot, policy, now), events, count)
        expect(decided).toEqual(recorded)
      },
    )
  })

  it("given a log cut after a kill mid-wave, then a decision point replays the resumed executor's first step", () => {
    const resumed = fixtures.find((f) => f.name === "small-resumed-after-kill")
    const leases = resumed?.events.flatMap((event, index) => (event._tag === "LeaseAcquired" ? [index] : []))
    expect(leases?.length).toBe(2)
    const resumedAt = leases?.[1] ?? 0
    expect(resumed?.cuts.some((cut) => cut.events > resumedAt && cut.events <= resumedAt + 2)).toBe(true)
  })
})

describe("decider version", () => {
  it("given the recorded runs, then each records the decider version it started under", () => {
    for (const fixture of fixtures) {
      const started = fixture.events[0]
      const version = started?._tag === "RunStarted" ? started.deciderVersion : undefined
      expect(version).toBeGreaterThanOrEqual(1)
      expect(version).toBeLessThanOrEqual(DECIDER_VERSION)
    }
  })

  it("given a RunStarted without a decider version (recorded before it was), then the run is version 1", () => {
    const fixture = fixtures[0]
    const started = fixture?.events[0]
    if (started?._tag !== "RunStarted") throw new Error("the fixture does not start with RunStarted")
    const { deciderVersion: _recorded, ...older } = started
    const state = evolve(initialState, decodeEvent(Schema.encodeSync(RunEvent)(older)))
    expect(state._tag === "Running" ? state.run.deciderVersion : undefined).toBe(1)
    if (state._tag !== "Running") return
    expect(decidesAsOf(state.run, 1)).toBe(true)
    expect(decidesAsOf(state.run, 2)).toBe(false)
    expect(decidesAsOf({ deciderVersion: 2 }, 2)).toBe(true)
  })
})
