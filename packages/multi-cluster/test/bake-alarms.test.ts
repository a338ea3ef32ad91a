/**
 * A stage's bake polls its clusters' policy alarms: an alarm that goes into ALARM while the canary
 * bakes stops the fleet there — the next stage never starts, the outcome and `fleet status` name the
 * stage, the cluster and the alarm, nothing is rolled back — also when the rollout was stopped during
 * the bake and resumed. A quiet alarm costs one DescribeAlarms request per poll; a fleet without
 * alarms sends none.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { FleetRolloutLog } from "@ecs-ami-deploy/ports"
import { newImageId, type Simulation } from "ecs-ami-deploy/simulator"
import {
  defaultBakePollMs,
  fleetStatusLines,
  fleetStatusView,
  fold,
  runFleetRollout,
  type FleetDefinition,
} from "../src/index.ts"
import { canaryAlarm, canaryAlarmFleet, decode, rehearsal, sixClusterFleet } from "./fixtures.ts"

const canary = "111111111111/eu-west-1/canary"
const canaryBakeMs = 3_600_000
/** The canary's alarm fires once a new instance has run this long: after its run, within its bake. */
const firesAfterMs = 45 * 60_000

const describeAlarmsRequests = (world: Simulation | undefined, from: number, to: number) =>
  (world?.callLog ?? [])
    .filter((call) => call.at > from && call.at <= to)
    .reduce((sum, call) => sum + (call.awsRequests["cloudwatch:DescribeAlarms"] ?? 0), 0)

const runToEnd = (definition: FleetDefinition, setup: ReturnType<typeof rehearsal>, deadline?: number) =>
  runFleetRollout({
    definition,
    holder: "test",
    startIfNone: true,
    ...(deadline === undefined ? {} : { deadline }),
  }).pipe(Effect.provide(setup.layer))

const eventsOf = (setup: ReturnType<typeof rehearsal>) =>
  FleetRolloutLog.use((log) => log.load("platform")).pipe(Effect.provide(setup.layer))

describe("fleet stage bake with alarms", () => {
  it.live(
    "given the canary's alarm goes into ALARM during its stage's bake, then the bake ends there, stage 2 never starts and the outcome names stage, cluster and alarm",
    () =>
      Effect.gen(function* () {
        const definition = yield* decode(canaryAlarmFleet(firesAfterMs))
        const setup = rehearsal(definition)
        const result = yield* runToEnd(definition, setup)

        expect(result).toMatchObject({
          _tag: "Finished",
          outcome: "stopped",
          stoppedAt: { stage: "canary", cluster: canary, alarm: canaryAlarm },
        })
        if (result._tag !== "Finished") return
        expect(result.reason).toContain(
          `stage canary did not bake: ${canary}: alarm ${canaryAlarm} in ALARM since`,
        )
        expect(result.reason).toContain("stage(s) staging, production not started")
        expect(result.reason).toContain(`nothing was rolled back: ${canary} keep the new image`)

        const events = yield* eventsOf(setup)
        expect(events.flatMap((event) => (event._tag === "FleetStageStarted" ? [event.stage] : []))).toEqual([
          "canary",
        ])
        const canaryRun = events.find((event) => event._tag === "FleetClusterRunEnded")
        expect(canaryRun).toMatchObject({ cluster: canary, outcome: "succeeded" })
        const bakeStarted = events.find((event) => event._tag === "FleetStageBakeStarted")
        const bakeEnded = events.find((event) => event._tag === "FleetStageBakeEnded")
        if (bakeStarted?._tag !== "FleetStageBakeStarted" || bakeEnded?._tag !== "FleetStageBakeEnded")
          return expect.fail("the canary's bake was not recorded")
        // The alarm was found by a poll during the bake, not at its end.
        expect(bakeEnded.at).toBeGreaterThan(bakeStarted.at)
        expect(bakeEnded.at).toBeLessThan(bakeStarted.until)
        expect(bakeEnded.firing).toEqual([`${canary}: ${canaryAlarm}`])
        expect(bakeEnded.failures).toMatchObject([{ cluster: canary, alarm: canaryAlarm }])
        // Nothing was rolled back: the canary runs the new image; no other cluster was touched.
        const worlds = setup.fleet.worlds
        expect(
          new Set(
            worlds
              .get(canary)
              ?.snapshotState()
              .instances.filter((instance) => instance.state === "running")
              .map((instance) => instance.imageId),
          ),
        ).toEqual(new Set([newImageId]))
        for (const [id, world] of worlds)
          if (id !== canary)
            expect(
              world.callLog.filter((call) => call.mutating),
              id,
            ).toEqual([])

        const status = fleetStatusView(definition, fold(events))
        expect(status).toMatchObject({
          status: "stopped",
          stoppedAt: { stage: "canary", cluster: canary, alarm: canaryAlarm },
        })
        expect(fleetStatusLines(status)).toContainEqual(
          expect.stringMatching(
            new RegExp(`^  stage canary: alarm \\(${canary}: alarm ${canaryAlarm} in ALARM since`),
          ),
        )
      }),
  )

  it.live(
    "given the rollout is stopped by its deadline during the canary's bake, then the resumed rollout polls on and stops at the same alarm",
    () =>
      Effect.gen(function* () {
        const definition = yield* decode(canaryAlarmFleet(firesAfterMs))
        const reference = rehearsal(definition)
        const expected = yield* runToEnd(definition, reference)
        const referenceEvents = yield* eventsOf(reference)
        const bakeStarted = referenceEvents.find((event) => event._tag === "FleetStageBakeStarted")
        if (bakeStarted === undefined) return expect.fail("the canary's bake was not recorded")

        const setup = rehearsal(definition)
        // Ten minutes into the bake (the deadline leaves two minutes of room), before the alarm fires.
        const first = yield* runToEnd(definition, setup, bakeStarted.at + 12 * 60_000)
        expect(first).toMatchObject({
          _tag: "Suspended",
          reason: expect.stringContaining("stage canary bakes until"),
        })
        const suspendedAt = setup.fleet.clock.currentTimeMillisUnsafe()
        expect(suspendedAt).toBeGreaterThan(bakeStarted.at)
        expect(
          describeAlarmsRequests(setup.fleet.worlds.get(canary), bakeStarted.at, suspendedAt),
        ).toBeGreaterThan(0)

        const resumed = yield* runToEnd(definition, setup)
        expect(resumed).toEqual(expected)
        const events = yield* eventsOf(setup)
        expect(events.some((event) => event._tag === "FleetStageStarted" && event.stage === "staging")).toBe(
          false,
        )
      }),
  )

  it.live(
    `given the canary's alarm stays OK, then the fleet succeeds and the canary's 1 h bake sends one DescribeAlarms request per ${defaultBakePollMs / 1000} s poll`,
    () =>
      Effect.gen(function* () {
        const definition = yield* decode(canaryAlarmFleet())
        const setup = rehearsal(definition)
        const result = yield* runToEnd(definition, setup)
        expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })

        const events = yield* eventsOf(setup)
        const bakeStarted = events.find(
          (event) => event._tag === "FleetStageBakeStarted" && event.stage === "canary",
        )
        const bakeEnded = events.find(
          (event) => event._tag === "FleetStageBakeEnded" && event.stage === "canary",
        )
        if (bakeStarted?._tag !== "FleetStageBakeStarted" || bakeEnded?._tag !== "FleetStageBakeEnded")
          return expect.fail("the canary's bake was not recorded")
        expect(bakeStarted.until - bakeStarted.at).toBe(canaryBakeMs)
        expect(bakeEnded.at).toBe(bakeStarted.until)
        const requests = describeAlarmsRequests(setup.fleet.worlds.get(canary), bakeStarted.at, bakeEnded.at)
        expect(requests).toBe(canaryBakeMs / defaultBakePollMs)
        expect(bakeEnded.checked).toContain(`read ${requests} time(s)`)
      }),
  )

  it.live("given no cluster names an alarm, then the bakes send no DescribeAlarms request and say so", () =>
    Effect.gen(function* () {
      const definition = yield* decode(sixClusterFleet())
      const setup = rehearsal(definition)
      const result = yield* runToEnd(definition, setup)
      expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
      for (const world of setup.fleet.worlds.values())
        expect(describeAlarmsRequests(world, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)).toBe(0)
      const events = yield* eventsOf(setup)
      expect(
        events.flatMap((event) => (event._tag === "FleetStageBakeEnded" ? [event.checked] : [])),
      ).toEqual(Array(3).fill("no alarms: the policies of the stage's clusters name none"))
    }),
  )
})
