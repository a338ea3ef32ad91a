/**
 * The kill-at-every-boundary procedure, shared by the memory, file and DynamoDB variants. An
 * uninterrupted rollout of `standard-20` is recorded first; then, for a boundary k, a fresh world is
 * rolled out by an executor that dies at its k-th append — right `after` it is stored, or just
 * `before` (a command's calls were made, their outcome is lost) — and, once its lease has run out, a
 * fresh executor over the same log finishes the run. The end state must be the uninterrupted one.
 */
import { expect } from "vitest"
import { Exit } from "effect"
import { defaultPolicy, type RunEvent } from "@ecs-ami-deploy/domain"
import { makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import type { EventLog } from "@ecs-ami-deploy/ports"
import { newImageId } from "@ecs-ami-deploy/simulator"
import { runRollout } from "../src/index.ts"
import {
  endState,
  isKilled,
  killable,
  makeWorld,
  newImageTemplateVersions,
  testSettings,
  type EndState,
} from "./harness.ts"

export const scenario = "standard-20"
// A 30 s poll (default 5 s) keeps the many simulated rollouts quick; what is polled is the same.
const policy = { ...defaultPolicy, unsafeServices: "proceed" as const, pollIntervalMs: 30_000 }

const rollout = (clusterName: string, holder: string) =>
  runRollout({ clusterName, policy, holder, settings: testSettings })

export interface Boundary {
  readonly killAt: number
  readonly when: "before" | "after"
  readonly event: RunEvent["_tag"]
}

export interface Reference {
  readonly events: ReadonlyArray<RunEvent>
  readonly end: EndState
  /** Every boundary: after each event but the last (RunFinished), and before each outcome event. */
  readonly boundaries: ReadonlyArray<Boundary>
}

/** Rolls `standard-20` out without interruption, on the memory log. */
export const uninterrupted = async (): Promise<Reference> => {
  const world = makeWorld(scenario)
  const eventLog = makeMemoryEventLog()
  const exit = await world.run(rollout(world.clusterName, "reference"), eventLog)
  if (!Exit.isSuccess(exit) || exit.value._tag !== "Finished")
    throw new Error("the reference rollout did not finish")
  const loaded = await world.run(eventLog.load(exit.value.runId), eventLog)
  if (!Exit.isSuccess(loaded)) throw new Error("the reference log cannot be read")
  const events = loaded.value
  const boundaries = [
    ...events
      .slice(0, -1)
      .map((event, index) => ({ killAt: index + 1, when: "after" as const, event: event._tag })),
    ...events.flatMap((event, index) =>
      event._tag === "CommandSucceeded" || event._tag === "CommandFailed"
        ? [{ killAt: index + 1, when: "before" as const, event: event._tag }]
        : [],
    ),
  ]
  return { events, end: endState(world), boundaries }
}

/** Kills an executor at `boundary`, resumes with a fresh one on the same log, and checks the end state. */
export const killAndResume = async (
  reference: Reference,
  boundary: Boundary,
  eventLog: EventLog["Service"],
) => {
  const world = makeWorld(scenario)
  const before = world.simulation.snapshotState()

  const killed = await world.run(
    rollout(world.clusterName, "first"),
    killable(eventLog, boundary.killAt, boundary.when),
  )
  expect(isKilled(killed)).toBe(true)

  world.simulation.advance(testSettings.leaseMs)
  const resumed = await world.run(rollout(world.clusterName, "second"), eventLog)
  expect(Exit.isSuccess(resumed) ? resumed.value : resumed).toMatchObject({
    _tag: "Finished",
    outcome: "succeeded",
  })

  const end = endState(world)
  const oldInstances = before.instances.filter((instance) => instance.state === "running").length
  // Every live instance on the new image: no old instance left (AZRebalance, resumed at the end, may add one).
  expect(end.liveImages).toEqual([newImageId])
  expect(end.desiredCapacities).toEqual(
    Object.fromEntries(before.groups.map((group) => [group.name, group.desiredCapacity])),
  )
  // Group settings as the uninterrupted run left them: min/max size, suspended processes (AZRebalance
  // resumed), launch spec and each template's default version.
  expect(end.groupSettings).toEqual(reference.end.groupSettings)
  // One launch per old instance, as in the uninterrupted run, and no instance terminated twice.
  expect(end.capacityLaunches).toBe(oldInstances)
  expect(end.capacityLaunches).toBe(reference.end.capacityLaunches)
  expect(end.terminatedTwice).toEqual([])
  expect(end.secondsBelowFloor).toBe(0)
  const versions = await newImageTemplateVersions(world)
  expect(Exit.isSuccess(versions) ? Object.values(versions.value) : versions).toEqual([1])
}

/** Every `stride`-th boundary: `after` ones first, then `before` ones, so a sample holds both kinds. */
export const sample = (boundaries: ReadonlyArray<Boundary>, stride: number): ReadonlyArray<Boundary> =>
  boundaries.filter((_, index) => index % stride === 0)
