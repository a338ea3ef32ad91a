/**
 * The virtual clock: sleeping advances simulated time and runs the world's events on the way,
 * concurrent sleepers wake in time order (so timeouts race polling correctly), and a run is a pure
 * function of scenario, seed and program.
 */
import { AutoScaling, Ecs } from "@ecs-ami-deploy/ports"
import { Clock, type Duration, Effect, Fiber, Option } from "effect"
import { describe, expect, it } from "vitest"
import { makeSimulation, scenarios, type Simulation } from "../src/index.ts"

describe("virtual clock", () => {
  it("advances simulated time by exactly the slept duration, processing events on the way", async () => {
    const sim = makeSimulation(scenarios.small)
    const start = sim.now()
    const result = await sim.run(
      Effect.gen(function* () {
        yield* AutoScaling.use((a) => a.updateGroup({ asgName: "small-asg", desiredCapacity: 6 }))
        yield* Effect.sleep("3 hours")
        return yield* Clock.currentTimeMillis
      }),
    )
    expect(result - start).toBe(3 * 3_600_000)
    expect(sim.snapshotState().containerInstances).toHaveLength(6)
  })

  it("wakes concurrent sleepers in time order", async () => {
    const sim = makeSimulation(scenarios.small)
    const start = sim.now()
    const woke: Array<readonly [string, number]> = []
    await sim.run(
      Effect.gen(function* () {
        const mark = (name: string, duration: Duration.Input) =>
          Effect.andThen(
            Effect.sleep(duration),
            Effect.sync(() => void woke.push([name, sim.now() - start])),
          )
        const slow = yield* Effect.forkChild(mark("slow", "30 seconds"))
        const fast = yield* Effect.forkChild(mark("fast", "10 seconds"))
        yield* Fiber.join(slow)
        yield* Fiber.join(fast)
      }),
    )
    expect(woke).toEqual([
      ["fast", 10_000],
      ["slow", 30_000],
    ])
  })

  it("lets a timeout interrupt a polling loop at the timeout's moment", async () => {
    const sim = makeSimulation(scenarios.small)
    const start = sim.now()
    let polls = 0
    const outcome = await sim.run(
      Effect.gen(function* () {
        for (;;) {
          polls++
          yield* Ecs.use((ecs) => ecs.describeCluster("small-cluster"))
          yield* Effect.sleep("10 seconds")
        }
      }).pipe(Effect.timeoutOption("1 minute")),
    )
    expect(outcome._tag).toBe("None")
    expect(sim.now() - start).toBe(60_000)
    expect(polls).toBe(6)
  })
})

const drainEverything = (sim: Simulation) =>
  sim.run(
    Effect.gen(function* () {
      const ecs = yield* Ecs
      const autoScaling = yield* AutoScaling
      const old = yield* ecs.containerInstances("standard-20-cluster")
      yield* autoScaling.updateGroup({ asgName: "standard-asg", desiredCapacity: 40 })
      yield* Effect.sleep("5 minutes")
      for (let index = 0; index < old.length; index += 10) {
        yield* ecs.updateContainerInstancesState(
          "standard-20-cluster",
          old.slice(index, index + 10).map((ci) => ci.containerInstanceArn),
          "DRAINING",
        )
      }
      yield* Effect.sleep("1 hour")
    }),
  )

describe("determinism", () => {
  it("gives the same timeline, call log and end state for the same seed, and different ids for another seed", async () => {
    const runs = [
      makeSimulation(scenarios["standard-20"], { seed: 42 }),
      makeSimulation(scenarios["standard-20"], { seed: 42 }),
    ]
    for (const sim of runs) await drainEverything(sim)
    const [first, second] = runs as [Simulation, Simulation]
    expect(second.metrics()).toEqual(first.metrics())
    expect(second.callLog).toEqual(first.callLog)
    expect(second.snapshotState()).toEqual(first.snapshotState())
    const other = makeSimulation(scenarios["standard-20"], { seed: 43 })
    expect(other.snapshotState().instances.map((i) => i.instanceId)).not.toEqual(
      first
        .snapshotState()
        .instances.slice(0, 20)
        .map((i) => i.instanceId),
    )
  })
})

describe("busy programs", () => {
  const longComputation = Effect.gen(function* () {
    // Many scheduler yields and no port call: only the scheduler can tell the clock this is work.
    for (let index = 0; index < 50; index++) yield* Effect.yieldNow
    return "done"
  })

  it("never lets a timeout fire while the program is computing, when run on the simulation's scheduler", async () => {
    const sim = makeSimulation(scenarios.small)
    const start = sim.now()
    const outcome = await sim.run(longComputation.pipe(Effect.timeoutOption("1 second")))
    expect(outcome).toEqual(Option.some("done"))
    expect(sim.now()).toBe(start)
  })
})
