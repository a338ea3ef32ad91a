/**
 * Fleet rollouts rehearsed end to end on simulated clusters: stages in order, a failure that stops
 * the fleet where it happened, and the fleet's stream folding to what happened.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { FleetRolloutLog } from "@ecs-ami-deploy/ports"
import { newImageId, type Simulation } from "ecs-ami-deploy/simulator"
import { fold, runFleetRollout } from "../src/index.ts"
import { decode, rehearsal, sixClusterFleet } from "./fixtures.ts"

const imagesOf = (world: Simulation | undefined) =>
  (world?.snapshotState().instances ?? [])
    .filter((instance) => instance.state === "running")
    .map((instance) => instance.imageId)

describe("fleet rollout on simulated clusters", () => {
  it.live(
    "given 6 clusters in 3 stages and a stage-2 cluster that fails, then stage 3 never starts and the outcome says where",
    () =>
      Effect.gen(function* () {
        const definition = yield* decode(sixClusterFleet("staging-b"))
        const { fleet, layer } = rehearsal(definition)
        const result = yield* runFleetRollout({ definition, holder: "test", startIfNone: true }).pipe(
          Effect.provide(layer),
        )

        expect(result._tag).toBe("Finished")
        if (result._tag !== "Finished") return
        expect(result.outcome).toBe("stopped")
        expect(result.stoppedAt).toMatchObject({
          stage: "staging",
          cluster: "222222222222/us-east-1/staging-b",
          outcome: "rolled-back",
        })
        expect(result.stoppedAt?.runId).toMatch(/^staging-b-/)
        expect(result.reason).toContain("stage(s) production not started")

        const events = yield* FleetRolloutLog.use((log) => log.load("platform")).pipe(Effect.provide(layer))
        const stagesStarted = events.flatMap((event) =>
          event._tag === "FleetStageStarted" ? [event.stage] : [],
        )
        expect(stagesStarted).toEqual(["canary", "staging"])
        // Production's worlds saw no call that changes anything, and still run the old image only.
        for (const id of [
          "333333333333/eu-west-1/prod-a",
          "333333333333/eu-west-1/prod-b",
          "333333333333/us-west-2/prod-c",
        ]) {
          const world = fleet.worlds.get(id)
          expect(world?.callLog.filter((call) => call.mutating)).toEqual([])
          expect(imagesOf(world).every((image) => image !== newImageId)).toBe(true)
        }
        // The canary and staging-a rolled onto the new image; the canary's stage baked an hour first.
        for (const id of ["111111111111/eu-west-1/canary", "222222222222/eu-west-1/staging-a"])
          expect(new Set(imagesOf(fleet.worlds.get(id)))).toEqual(new Set([newImageId]))
        const state = fold(events)
        expect(state.rollout?.bakes["canary"]).toMatchObject({ firing: [] })
        expect(fleet.assumeRoleCalls.map((call) => call.roleArn)).toContain(
          "arn:aws:iam::222222222222:role/ecs-ami-deploy-rollout",
        )
        expect(fleet.assumeRoleCalls.some((call) => call.roleArn.includes("333333333333"))).toBe(false)
      }),
  )

  it.live("given 6 healthy clusters, then every stage rolls in order and the fleet succeeds", () =>
    Effect.gen(function* () {
      const definition = yield* decode(sixClusterFleet())
      const { fleet, layer } = rehearsal(definition)
      const start = fleet.clock.currentTimeMillisUnsafe()
      const result = yield* runFleetRollout({ definition, holder: "test", startIfNone: true }).pipe(
        Effect.provide(layer),
      )
      expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
      for (const world of fleet.worlds.values())
        expect(new Set(imagesOf(world))).toEqual(new Set([newImageId]))
      // The bakes (1 h + 30 min) are part of the fleet's simulated time.
      expect(fleet.clock.currentTimeMillisUnsafe() - start).toBeGreaterThan(5_400_000)
    }),
  )
})
