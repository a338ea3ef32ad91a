/**
 * The safety harness measures what it says: a holder stalled past its lease is really taken over (it
 * ends with StaleLease, no mutating call after), lost DynamoDB responses are really lost, and the second
 * Region really rolls out while the first Region's lease is live.
 */
import { describe, expect, it } from "vitest"
import { scenarios } from "@ecs-ami-deploy/simulator"
import { enginePolicy } from "../src/contenders.ts"
import { lostResponses, perRegionLocks, takeoverMidRun } from "../src/safety.ts"

describe("the safety figures", () => {
  it("given a holder stalled past its lease after its 6th event, then it ends with StaleLease and makes no mutating call after the takeover", async () => {
    const taken = await takeoverMidRun(scenarios.small, enginePolicy, 6)
    expect(taken).toEqual({ afterEvents: 6, oldHolderEnded: "StaleLease", mutatingCallsAfterTakeover: 0 })
  })

  it("given lost responses on dynalite, then the append and the acquisition both succeed", async () => {
    expect(await lostResponses(1)).toEqual({ trials: 1, appendsSucceeded: 1, acquisitionsSucceeded: 1 })
  })

  it("given one cluster name in two Regions, then the second rolls out while the first is held, and each lists its own run", async () => {
    expect(await perRegionLocks(scenarios.small, enginePolicy)).toMatchObject({
      firstHeldOpen: true,
      secondEnded: "Finished succeeded",
      runsPerRegion: [1, 1],
    })
  })
})
