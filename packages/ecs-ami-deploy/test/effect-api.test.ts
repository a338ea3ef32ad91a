/**
 * The Effect API (`Rollout.*`) against the simulator: plan, latest image, clusters, a rollout with
 * progress through `RunObserver`, caller plugins (a custom AMI source and launch-spec strategy, and the
 * strategies package's tagged-image example), interrupt then rollback, and typed refusals.
 */
import { Deferred, Effect, Fiber, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { taggedImageSource } from "../examples/tagged-image-source.ts"
import {
  type AmiSource,
  Ec2,
  ImageNotFound,
  launchTemplateStrategy,
  type LaunchSpecStrategy,
  memoryEventLog,
  NoOpenRun,
  Rollout,
  rolloutEnvironment,
  type RolloutEnvironment,
  RunObserver,
  type RunEvent,
} from "../src/index.ts"
import {
  makeSimulation,
  newImageId,
  oldImageId,
  scenarios,
  simulatedPorts,
  type Simulation,
} from "../src/simulator.ts"

const cluster = "small-cluster"
const asgName = "small-asg"

const setUp = () => {
  const simulation = makeSimulation(scenarios.small, { seed: 5 })
  const environment = rolloutEnvironment({ ports: simulatedPorts(simulation), eventLog: memoryEventLog() })
  const run = <A, E>(program: Effect.Effect<A, E, RolloutEnvironment>) =>
    Effect.runPromise(Effect.provide(program, environment))
  return { simulation, run }
}

const instancesOn = (simulation: Simulation, imageId: string) =>
  simulation
    .snapshotState()
    .instances.filter(
      (instance) =>
        instance.imageId === imageId && (instance.state === "pending" || instance.state === "running"),
    )

const mutatingCalls = (simulation: Simulation) => simulation.callLog.filter((call) => call.mutating)

describe("reading through the Effect API", () => {
  it("given the small scenario, when planning, then the plan is ready and lists every instance on the old image, without changing anything", async () => {
    const { simulation, run } = setUp()
    const oldInstances = instancesOn(simulation, oldImageId).map((instance) => instance.instanceId)

    const plan = await run(Rollout.planUpgrade({ cluster }))

    expect(plan.verdict).toBe("ready")
    expect(plan.targetImage.imageId).toBe(newImageId)
    expect(plan.outdatedInstances.map((instance) => instance.instanceId).sort()).toEqual(oldInstances.sort())
    expect(mutatingCalls(simulation)).toEqual([])
  })

  it("when asking for the latest AMI with the default source, then it is the image the recommended SSM parameter names", async () => {
    const { run } = setUp()

    const image = await run(Rollout.latestAmi())

    expect(image.imageId).toBe(newImageId)
  })

  it("when listing clusters, then the simulated cluster is there", async () => {
    const { run } = setUp()

    expect(await run(Rollout.listClusters())).toContain(cluster)
  })

  it("given no run yet, when asking for status, resuming or rolling back, then NoRuns and NoOpenRun say so", async () => {
    const { run } = setUp()

    expect(await run(Rollout.runStatus({ cluster }))).toEqual({ _tag: "NoRuns", clusterName: cluster })
    expect(await run(Effect.flip(Rollout.resumeRun({ cluster })))).toEqual(
      new NoOpenRun({ clusterName: cluster }),
    )
    expect(await run(Effect.flip(Rollout.rollbackRun({ cluster })))).toEqual(
      new NoOpenRun({ clusterName: cluster }),
    )
  })
})

describe("rolling out through the Effect API", () => {
  it("given a custom AMI source and launch-spec strategy, when upgrading, then the run uses both and reports its events to the RunObserver", async () => {
    const { simulation, run } = setUp()
    const resolvedBy: Array<string> = []
    const appliedTo: Array<string> = []
    const byIdSource: AmiSource = {
      name: "by-id",
      description: `image ${newImageId}, looked up by id`,
      resolve: () =>
        Ec2.use((ec2) => ec2.describeImages({ _tag: "ByIds", imageIds: [newImageId] })).pipe(
          Effect.flatMap((images) =>
            images[0] === undefined ? Effect.die("the scenario lost its image") : Effect.succeed(images[0]),
          ),
          Effect.tap(() => Effect.sync(() => resolvedBy.push("by-id"))),
        ),
    }
    const builtIn = launchTemplateStrategy()
    const recordingStrategy: LaunchSpecStrategy = {
      ...builtIn,
      name: "recording-launch-template",
      apply: (input) =>
        builtIn.apply(input).pipe(Effect.tap(() => Effect.sync(() => appliedTo.push(input.group.name)))),
    }
    const events: Array<RunEvent> = []
    const observer = Layer.succeed(RunObserver, {
      eventAppended: (event) => Effect.sync(() => events.push(event)),
      decided: () => Effect.void,
    })

    const result = await run(
      Rollout.upgradeCluster({ cluster, ami: byIdSource, launchSpecStrategies: [recordingStrategy] }).pipe(
        Effect.provide(observer),
      ),
    )

    expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    expect(resolvedBy).toEqual(["by-id"])
    expect(appliedTo).toEqual([asgName])
    expect(instancesOn(simulation, oldImageId)).toEqual([])
    expect(events[0]?._tag).toBe("RunStarted")
    expect(events.at(-1)).toMatchObject({ _tag: "RunFinished", outcome: "succeeded" })
  })

  it("given the library's tagged-image example and a pipeline image carrying its tag, when upgrading, then the change of image family is refused until allowed, and then the cluster moves to that image", async () => {
    const pipelineAccount = "111122223333"
    const golden = {
      imageId: "ami-0feedfacecafe0001",
      name: "golden-ecs-2026-11-20",
      owner: pipelineAccount,
      creationDate: "2026-11-20T00:00:00.000Z",
      architecture: "x86_64" as const,
      tags: { pipeline: "golden-ecs" },
    }
    const simulation = makeSimulation(
      { ...scenarios.small, images: [...scenarios.small.images, golden] },
      { seed: 5 },
    )
    const environment = rolloutEnvironment({ ports: simulatedPorts(simulation), eventLog: memoryEventLog() })

    const ami = taggedImageSource({ tagKey: "pipeline", tagValue: "golden-ecs", owners: [pipelineAccount] })
    const upgrade = (allowImageFamilyChange: boolean) =>
      Effect.runPromise(
        Effect.provide(
          Rollout.upgradeCluster({ cluster, ami, policy: { allowImageFamilyChange } }),
          environment,
        ),
      )

    // The pipeline's image is named outside the al2023 ECS-optimized family, so the guard asks for consent.
    expect(await upgrade(false)).toMatchObject({ _tag: "Refused" })
    expect(mutatingCalls(simulation)).toEqual([])

    expect(await upgrade(true)).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    expect(instancesOn(simulation, oldImageId)).toEqual([])
    expect(instancesOn(simulation, golden.imageId).length).toBeGreaterThan(0)
  })

  it("given the library's tagged-image example and no image with its tag, when upgrading, then ImageNotFound comes from that plugin and nothing is changed", async () => {
    const { simulation, run } = setUp()

    const error = await run(
      Effect.flip(
        Rollout.upgradeCluster({
          cluster,
          ami: taggedImageSource({ tagKey: "pipeline", tagValue: "golden-ecs" }),
        }),
      ),
    )

    expect(error).toBeInstanceOf(ImageNotFound)
    expect(error).toMatchObject({
      source: "tagged-image",
      problem: expect.stringContaining("pipeline=golden-ecs"),
    })
    expect(mutatingCalls(simulation)).toEqual([])
  })

  it("given a run interrupted after its first drain (recorded as suspended), when rolled back, then the run ends rolled-back with no new-image instance left, the old ones active and the group at its old capacity", async () => {
    const { simulation, run } = setUp()
    const oldInstances = instancesOn(simulation, oldImageId)
      .map((instance) => instance.instanceId)
      .sort()
    const desiredAtStart = simulation
      .snapshotState()
      .groups.find((group) => group.name === asgName)?.desiredCapacity

    const events: Array<RunEvent> = []

    const result = await run(
      Effect.gen(function* () {
        const drained = yield* Deferred.make<void>()
        // The rollout waits inside the observer once its first drain is recorded, so the interruption
        // lands exactly there instead of racing the run loop.
        const observer = Layer.succeed(RunObserver, {
          eventAppended: (event) =>
            Effect.sync(() => events.push(event)).pipe(
              Effect.andThen(
                event._tag === "CommandSucceeded" && event.commandId.includes("drain")
                  ? Deferred.succeed(drained, undefined).pipe(Effect.andThen(Effect.never))
                  : Effect.void,
              ),
            ),
          decided: () => Effect.void,
        })
        const rollout = yield* Effect.forkChild(
          Rollout.upgradeCluster({ cluster }).pipe(Effect.provide(observer)),
        )
        yield* Deferred.await(drained)
        yield* Fiber.interrupt(rollout)
        return yield* Rollout.rollbackRun({ cluster, reason: "the new image misbehaves" })
      }),
    )

    expect(events.at(-1)?._tag).toBe("RunSuspended")
    expect(result).toMatchObject({ _tag: "Finished", outcome: "rolled-back" })
    expect(instancesOn(simulation, newImageId)).toEqual([])
    const after = simulation.snapshotState()
    expect(after.groups.find((group) => group.name === asgName)?.desiredCapacity).toBe(desiredAtStart)
    const oldContainerInstances = after.containerInstances.filter((instance) =>
      oldInstances.includes(instance.ec2InstanceId),
    )
    expect(oldContainerInstances.map((instance) => [instance.ec2InstanceId, instance.status]).sort()).toEqual(
      oldInstances.map((instanceId) => [instanceId, "ACTIVE"]),
    )
  })
})
