/**
 * A run interrupted mid-way (an aborted call, a signal) is suspended by the executor itself, while it
 * still holds the cluster's lease: one `RunSuspended`, appended under the fencing token the run was
 * driven with, and the lock taken once. `resumeRun` then continues the run from its log without ever
 * asking an AMI source for an image.
 */
import { describe, expect, it } from "vitest"
import { Deferred, Effect, Exit, Fiber, Layer } from "effect"
import { defaultPolicy, type RunEvent } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { EventLog } from "@ecs-ami-deploy/ports"
import { newImageId } from "@ecs-ami-deploy/simulator"
import { builtInLaunchSpecStrategies, Plugins } from "@ecs-ami-deploy/strategies"
import { resumeRun, runRollout, RunObserver, StopReason } from "../src/index.ts"
import { endState, forkRollout, makeWorld, testSettings } from "./harness.ts"

/** The memory log, with every acquisition and every append's fencing token written down. */
const recordingLog = () => {
  const log = makeMemoryEventLog(emptyMemoryStorage())
  const acquisitions: Array<number> = []
  const appends: Array<{ readonly fencingToken: number; readonly tags: ReadonlyArray<RunEvent["_tag"]> }> = []
  const eventLog: EventLog["Service"] = {
    ...log,
    acquire: (input) =>
      Effect.tap(log.acquire(input), (lease) => Effect.sync(() => acquisitions.push(lease.fencingToken))),
    append: (lease, events) =>
      Effect.tap(log.append(lease, events), () =>
        Effect.sync(() =>
          appends.push({ fencingToken: lease.fencingToken, tags: events.map((event) => event._tag) }),
        ),
      ),
  }
  return { eventLog, acquisitions, appends }
}

/** Plugins whose AMI source fails the test if anyone asks it for an image. */
const noAmiSource = Layer.succeed(
  Plugins,
  Plugins.of({
    launchSpecStrategies: builtInLaunchSpecStrategies(),
    amiSource: {
      name: "must-not-be-asked",
      description: "an AMI source a resume must never call",
      resolve: () => Effect.die(new Error("a resume asked the AMI source for an image")),
    },
  }),
)

describe("an interrupted run", () => {
  it("given a rollout interrupted after its first drain, then exactly one RunSuspended is recorded under the run's own lease, and resumeRun finishes the run without an AMI source", async () => {
    const world = makeWorld("small")
    const { eventLog, acquisitions, appends } = recordingLog()
    const input = { clusterName: world.clusterName, holder: "test", settings: testSettings }

    const interrupted = await world.run(
      Effect.gen(function* () {
        const drained = yield* Deferred.make<void>()
        // The rollout waits inside the observer once its first drain is recorded, so the interruption lands there.
        const observer = Layer.succeed(RunObserver, {
          eventAppended: (event) =>
            event._tag === "CommandSucceeded" && event.commandId.includes("drain")
              ? Deferred.succeed(drained, undefined).pipe(Effect.andThen(Effect.never))
              : Effect.void,
          decided: () => Effect.void,
        })
        const rollout = yield* Effect.forkChild(
          runRollout({ ...input, policy: defaultPolicy }).pipe(
            Effect.provide(observer),
            Effect.provideService(StopReason, { current: "interrupted by the test" }),
          ),
        )
        yield* Deferred.await(drained)
        yield* Fiber.interrupt(rollout)
        const runs = yield* EventLog.use((log) => log.runs(world.cluster))
        return { runs, lock: yield* EventLog.use((log) => log.lock(world.cluster)) }
      }),
      eventLog,
    )

    if (Exit.isFailure(interrupted)) expect.fail(String(interrupted.cause))
    const [run] = interrupted.value.runs
    expect(interrupted.value.runs.map((summary) => summary.status)).toEqual(["open"])
    expect(interrupted.value.lock).toBeUndefined()
    expect(acquisitions).toHaveLength(1)
    const suspensions = appends.filter((append) => append.tags.includes("RunSuspended"))
    expect(suspensions).toEqual([{ fencingToken: acquisitions[0], tags: ["RunSuspended"] }])
    const loaded = await world.run(eventLog.load(run?.runId ?? ""), eventLog)
    expect(Exit.isSuccess(loaded) ? loaded.value.at(-1) : loaded).toMatchObject({
      _tag: "RunSuspended",
      reason: "interrupted by the test",
    })

    const resumed = await world.run(resumeRun(input).pipe(Effect.provide(noAmiSource)), eventLog)

    expect(Exit.isSuccess(resumed) ? resumed.value : resumed).toMatchObject({
      _tag: "Finished",
      runId: run?.runId,
      outcome: "succeeded",
    })
    expect(endState(world).liveImages).toEqual([newImageId])
  })

  it("given an interruption while an append is being written (a file or DynamoDB write, which goes on once started), then the append lands first and the suspension follows it: every event once, in sequence", async () => {
    const world = makeWorld("small")
    const storage = emptyMemoryStorage()
    const log = makeMemoryEventLog(storage)
    const writing = { started: undefined as (() => void) | undefined }
    // A write that, like a file or DynamoDB write, carries on once started even if its caller stops waiting.
    const eventLog: EventLog["Service"] = {
      ...log,
      append: (lease, events) =>
        Effect.tryPromise(async () => {
          const isDrain = events.some(
            (event) => event._tag === "CommandSucceeded" && event.commandId.includes("drain"),
          )
          if (isDrain) writing.started?.()
          await new Promise((resolve) => setTimeout(resolve, isDrain ? 50 : 0))
          return Effect.runPromise(log.append(lease, events))
        }).pipe(Effect.orDie),
    }
    const interrupted = await world.run(
      Effect.gen(function* () {
        const started = yield* Deferred.make<void>()
        writing.started = () => Deferred.doneUnsafe(started, Exit.void)
        const rollout = yield* forkRollout(world)
        yield* Deferred.await(started)
        yield* Fiber.interrupt(rollout)
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 100)))
        return yield* log.runs(world.cluster)
      }),
      eventLog,
    )
    if (Exit.isFailure(interrupted)) expect.fail(String(interrupted.cause))
    const loaded = await world.run(log.load(interrupted.value[0]?.runId ?? ""), log)
    if (Exit.isFailure(loaded)) expect.fail(String(loaded.cause))
    const events = loaded.value
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index))
    expect(events.slice(-2).map((event) => event._tag)).toEqual(["CommandSucceeded", "RunSuspended"])
  })

  it("given no open run, when resumed, then it fails with NoOpenRun and nothing is started", async () => {
    const world = makeWorld("small")
    const { eventLog } = recordingLog()

    const exit = await world.run(
      resumeRun({ clusterName: world.clusterName, holder: "test", settings: testSettings }).pipe(
        Effect.provide(noAmiSource),
      ),
      eventLog,
    )

    expect(
      Exit.isFailure(exit) && exit.cause.reasons[0]?._tag === "Fail"
        ? exit.cause.reasons[0].error._tag
        : exit,
    ).toBe("NoOpenRun")
    expect(world.simulation.callLog.filter((call) => call.mutating)).toEqual([])
  })
})
