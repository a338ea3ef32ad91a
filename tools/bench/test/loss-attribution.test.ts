/**
 * Lost availability split by cause: a spell that began at the instant an instance was lost is the
 * loss's; any other is the rollout's.
 */
import { describe, expect, it } from "vitest"
import type { ServiceAvailability } from "@ecs-ami-deploy/simulator"
import { availabilityByCause } from "../src/loss-attribution.ts"

const service = (
  name: string,
  points: ReadonlyArray<readonly [at: number, healthy: number]>,
): ServiceAvailability => ({
  service: name,
  timeline: points.map(([at, healthy]) => ({ at, healthy, desired: 2, floor: 2 })),
  secondsBelowFloor: 0,
  secondsWithZeroHealthy: 0,
  lowestHealthy: 0,
})

describe("availabilityByCause", () => {
  it("given one spell begun at an instance loss and one begun otherwise, sets the first apart as the loss's, to its end", () => {
    const lossAt = 100_000
    const services = [
      // Lost both tasks at the loss; one came back 30 s later, the second 20 s after that.
      service("lost", [
        [0, 2],
        [lossAt, 0],
        [lossAt + 30_000, 1],
        [lossAt + 50_000, 2],
      ]),
      // Dipped to one task 10 s before the loss, for 40 s: not the loss's.
      service("drained", [
        [0, 2],
        [lossAt - 10_000, 1],
        [lossAt + 30_000, 2],
      ]),
    ]
    const byCause = availabilityByCause(services, new Set([lossAt]), 200_000)
    expect(byCause.zeroHealthy).toEqual({ atInstanceLoss: 30, otherwise: 0 })
    expect(byCause.belowFloor).toEqual({ atInstanceLoss: 50, otherwise: 40 })
  })

  it("given no instance loss, every spell is counted otherwise, up to the end for one still open", () => {
    const byCause = availabilityByCause(
      [
        service("down", [
          [0, 2],
          [5_000, 0],
        ]),
      ],
      new Set(),
      20_000,
    )
    expect(byCause.zeroHealthy).toEqual({ atInstanceLoss: 0, otherwise: 15 })
  })
})
