/**
 * Regenerates the planner's replay fixtures (packages/planner/test/replay/): real event logs of runs
 * on the simulator, and for a few points of each log the observation and time the executor decided
 * on there. packages/planner/test/replay.test.ts folds each log up to such a point and checks that
 * the planner still decides what the log records next, so a change that would break open runs fails
 * CI. Run it only when a change is meant to alter recorded runs (and then raise DECIDER_VERSION):
 * `npm run replay-fixtures`.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Exit, Schema } from "effect"
import {
  ClusterSnapshot,
  defaultPolicy,
  type Decision,
  type RolloutPolicy,
  type RunEvent,
} from "@ecs-ami-deploy/domain"
import { RunObserver, runRollout, type DecisionBasis } from "@ecs-ami-deploy/executor"
import { isKilled, killable } from "@ecs-ami-deploy/executor/testing"
import { emptyMemoryStorage, makeMemoryEventLog, type MemoryStorage } from "@ecs-ami-deploy/event-log"
import { makeSimulation, newImageId, scenarios, type Scenario } from "@ecs-ami-deploy/simulator"
import { enginePolicy } from "./contenders.ts"
import { runOnSimulation } from "./engine.ts"
import { reliabilitySettings } from "./kill-harness.ts"
import { clusterOf } from "./scenarios.ts"

/** Where the fixtures live, from the repository root. */
export const fixtureDirectory = "packages/planner/test/replay"

/** One recorded run: its scenario, and the executor (or two, around a kill) that drove it. */
interface FixtureRun {
  readonly name: string
  readonly description: string
  readonly scenario: Scenario
  /** Kill the first executor right after the first event for which this holds; a second one resumes. */
  readonly killAfter?: (event: RunEvent) => boolean
  readonly policy: RolloutPolicy
  /** How many decision points to keep (spread over the log, always with the first and the last). */
  readonly cuts: number
}

/** A decision point: the log had `events` events, and the executor observed `snapshot` at `now`. */
interface DecisionPoint {
  readonly events: number
  readonly basis: DecisionBasis
  readonly decision: Decision
}

const small = scenarios.small
const fixtureRuns: ReadonlyArray<FixtureRun> = [
  {
    name: "small-succeeded",
    description: "small, default policy: every wave replaced, run succeeded",
    scenario: small,
    policy: defaultPolicy,
    cuts: 12,
  },
  {
    name: "small-rolled-back",
    description:
      "small: launches of the new image fail from 5 minutes in, after the first wave; the run rolls back",
    scenario: { ...small, faults: { launchFailures: [{ imageId: newImageId, fromMs: 300_000 }] } },
    policy: defaultPolicy,
    cuts: 12,
  },
  {
    name: "small-resumed-after-kill",
    description: "small: the executor is killed right after the first drain's intent; a second resumes",
    scenario: small,
    killAfter: (event) =>
      event._tag === "CommandIssued" && event.command._tag === "DrainInstances" && event.command.wave === 1,
    policy: defaultPolicy,
    cuts: 12,
  },
  {
    name: "managed-draining",
    description: "managed-draining (standard-20 behind a capacity provider with managed draining)",
    scenario: scenarios["managed-draining"],
    // standard-20's jobs service allows a drain to stop all its tasks: the benchmarks' policy proceeds.
    policy: enginePolicy,
    cuts: 6,
  },
]

const storedEvents = (storage: MemoryStorage): number =>
  [...storage.runs.values()].reduce((total, texts) => total + texts.length, 0)

/** Whether the log's next event is what `decision` asks for (the decision points worth replaying). */
const recordedNext = (decision: Decision, next: RunEvent | undefined): boolean => {
  switch (decision._tag) {
    case "Start":
      return next?._tag === "RunStarted"
    case "Act":
      return next?._tag === "CommandIssued" && next.command.id === decision.commands[0]?.id
    case "RollBack":
      return next?._tag === "RollbackStarted"
    case "Finish":
      return next?._tag === "RunFinished"
    default:
      return false
  }
}

/** `count` of `points`, evenly spread, with the first and the last, and every first one after a resume. */
const spread = (points: ReadonlyArray<DecisionPoint>, count: number, resumedAt: number | undefined) => {
  const chosen = new Set<number>()
  for (let k = 0; k < count; k++) chosen.add(Math.round((k * (points.length - 1)) / Math.max(1, count - 1)))
  if (resumedAt !== undefined) {
    const firstAfter = points.findIndex((point) => point.events > resumedAt)
    if (firstAfter >= 0) chosen.add(firstAfter)
  }
  return [...chosen].sort((a, b) => a - b).flatMap((index) => points[index] ?? [])
}

const record = async (run: FixtureRun) => {
  const policy = run.policy
  const simulation = makeSimulation(run.scenario)
  const storage = emptyMemoryStorage()
  const points: Array<DecisionPoint> = []
  const observer = RunObserver.of({
    eventAppended: () => Effect.void,
    decided: (decision, _phase, basis) =>
      Effect.sync(() => void points.push({ events: storedEvents(storage), basis, decision })),
  })
  const rollout = (holder: string) =>
    runRollout({
      clusterName: clusterOf(run.scenario),
      policy,
      holder,
      settings: reliabilitySettings,
    }).pipe(Effect.provideService(RunObserver, observer))
  let resumedAt: number | undefined
  if (run.killAfter !== undefined) {
    const killAt = await killPoint(run)
    const killed = await runOnSimulation(
      simulation,
      killable(makeMemoryEventLog(storage), killAt),
      rollout("first"),
    )
    if (!isKilled(killed)) throw new Error(`${run.name}: the first executor was not killed`)
    resumedAt = killAt
    simulation.advance(reliabilitySettings.leaseMs ?? 0)
  }
  const exit = await runOnSimulation(simulation, makeMemoryEventLog(storage), rollout("second"))
  if (!Exit.isSuccess(exit) || exit.value._tag !== "Finished")
    throw new Error(`${run.name}: the run did not finish: ${JSON.stringify(exit)}`)
  const [texts] = [...storage.runs.values()]
  const events = (texts ?? []).map((text) => JSON.parse(text) as RunEvent)
  const replayable = points.filter((point) => recordedNext(point.decision, events[point.events]))
  return { events, texts: texts ?? [], cuts: spread(replayable, run.cuts, resumedAt), outcome: exit.value }
}

/** The append at which to kill the first executor: the event `killAfter` picks in an uninterrupted run. */
const killPoint = async (run: FixtureRun): Promise<number> => {
  const simulation = makeSimulation(run.scenario)
  const storage = emptyMemoryStorage()
  await runOnSimulation(
    simulation,
    makeMemoryEventLog(storage),
    runRollout({
      clusterName: clusterOf(run.scenario),
      policy: run.policy,
      holder: "probe",
      settings: reliabilitySettings,
    }),
  )
  const [texts] = [...storage.runs.values()]
  const index = (texts ?? []).findIndex((text) => run.killAfter?.(JSON.parse(text) as RunEvent) === true)
  if (index < 0) throw new Error(`${run.name}: no event to kill after`)
  return index + 1
}

const encodeSnapshot = Schema.encodeSync(ClusterSnapshot)

const main = async () => {
  mkdirSync(fixtureDirectory, { recursive: true })
  for (const run of fixtureRuns) {
    const recorded = await record(run)
    // Stored texts are the log's own encoding: the fixture is the log as a file driver would hold it.
    writeFileSync(join(fixtureDirectory, `${run.name}.events.jsonl`), recorded.texts.join("\n") + "\n")
    writeFileSync(
      join(fixtureDirectory, `${run.name}.cuts.jsonl`),
      recorded.cuts
        .map((cut) =>
          JSON.stringify({
            events: cut.events,
            now: cut.basis.now,
            snapshot: encodeSnapshot(cut.basis.snapshot),
          }),
        )
        .join("\n") + "\n",
    )
    console.log(
      `${run.name}: ${recorded.events.length} events, ${recorded.cuts.length} cuts at ${recorded.cuts.map((c) => c.events).join(", ")}; ${recorded.outcome.outcome} (${run.description})`,
    )
  }
}

await main()
