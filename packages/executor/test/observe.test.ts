import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { RunTagKeys, type ContainerInstance } from "@ecs-ami-deploy/domain"
import { Plugins, type LaunchSpecStrategy } from "@ecs-ami-deploy/strategies"
import { AUTO_SCALING_GROUP_TAG, observeSnapshot } from "../src/observe.ts"
import { callsTo, ec2Instance, fakePorts, group, image, member, type CallLog } from "./fakes.ts"

const containerInstance = (
  ec2InstanceId: string,
  overrides: Partial<ContainerInstance> = {},
): ContainerInstance => ({
  containerInstanceArn: `arn:aws:ecs:eu-west-1:1:container-instance/prod/${ec2InstanceId}`,
  ec2InstanceId,
  status: "ACTIVE",
  agentConnected: true,
  registered: { cpu: 2048, memory: 8192, ports: [] },
  remaining: { cpu: 2048, memory: 8192, ports: [] },
  runningTasksCount: 0,
  pendingTasksCount: 0,
  availabilityZone: "eu-west-1a",
  attributes: {},
  ...overrides,
})

const plugins = (resolved: { count: number }) =>
  Layer.succeed(
    Plugins,
    Plugins.of({
      launchSpecStrategies: [
        {
          name: "fake",
          handles: () => true,
          resolveImageId: () => Effect.succeed({ imageId: "ami-old" }),
        } as unknown as LaunchSpecStrategy,
      ],
      amiSource: {
        name: "fake",
        description: "fake",
        resolve: () =>
          Effect.sync(() => {
            resolved.count += 1
            return image("ami-new", 2)
          }),
      },
    }),
  )

/**
 * A cluster with one capacity provider group `web` (instance i-1), and i-9, registered but detached
 * from `legacy` by the Go tool (tagged `ecs-ami-deploy-asg=legacy`).
 */
const cluster = (
  log: CallLog,
  overrides: { readonly containerInstances?: ReadonlyArray<ContainerInstance> } = {},
) =>
  fakePorts(log, {
    ecs: {
      describeCluster: () =>
        Effect.succeed({
          clusterName: "prod",
          status: "ACTIVE" as const,
          capacityProviders: ["cp-web"],
          registeredContainerInstancesCount: 2,
          runningTasksCount: 0,
          pendingTasksCount: 0,
          activeServicesCount: 0,
        }),
      describeCapacityProviders: () =>
        Effect.succeed([
          {
            name: "cp-web",
            asgName: "web",
            managedScaling: true,
            managedTerminationProtection: false,
            managedDraining: true,
          },
        ]),
      containerInstances: () =>
        Effect.succeed(overrides.containerInstances ?? [containerInstance("i-1"), containerInstance("i-9")]),
      services: () => Effect.succeed([]),
      tasks: () => Effect.succeed([]),
    },
    ec2: {
      describeInstances: (ids) =>
        Effect.succeed(
          [
            ec2Instance("i-1", { tags: { [AUTO_SCALING_GROUP_TAG]: "web" } }),
            ec2Instance("i-2", { state: "pending", tags: { [AUTO_SCALING_GROUP_TAG]: "web" } }),
            ec2Instance("i-9", {
              tags: { [RunTagKeys.legacyAsg]: "legacy", [RunTagKeys.legacyTerminate]: "true" },
            }),
          ].filter((instance) => ids.includes(instance.instanceId)),
        ),
      describeImages: () => Effect.succeed([image("ami-old", 1)]),
    },
    autoScaling: {
      describeGroups: (names) =>
        Effect.succeed(
          [
            group("web", { instances: [member("i-1", "InService"), member("i-2", "Pending")] }),
            group("legacy", { instances: [] }),
          ].filter((described) => names.includes(described.name)),
        ),
    },
  })

describe("observeSnapshot", () => {
  it.effect(
    "given a Go tool's detached instance, when observed, then it appears in its group's view as Detached",
    () => {
      const log: CallLog = { calls: [] }
      return Effect.gen(function* () {
        const snapshot = yield* observeSnapshot("prod", { budgetEnd: 60_000 })
        const legacy = snapshot.groups.find((candidate) => candidate.name === "legacy")
        assert.deepStrictEqual(
          legacy?.instances.map((instance) => [instance.instanceId, instance.lifecycleState]),
          [["i-9", "Detached"]],
        )
      }).pipe(Effect.provide(Layer.merge(cluster(log), plugins({ count: 0 }))))
    },
  )

  it.effect(
    "given a capacity provider with managed scaling, when observed, then its group names the provider and its unregistered instances are described too",
    () => {
      const log: CallLog = { calls: [] }
      return Effect.gen(function* () {
        const snapshot = yield* observeSnapshot("prod", { budgetEnd: 60_000 })
        const web = snapshot.groups.find((candidate) => candidate.name === "web")
        assert.deepStrictEqual(web?.capacityProvider, {
          name: "cp-web",
          managedScaling: true,
          managedTerminationProtection: false,
          managedDraining: true,
        })
        assert.strictEqual(web?.launchSpecImageId, "ami-old")
        assert.sameMembers(
          snapshot.instances.map((instance) => instance.instanceId),
          ["i-1", "i-2", "i-9"],
        )
        // Registered instances in one call, the group's unregistered ones in a second.
        assert.deepStrictEqual(
          callsTo(log, "ec2.describeInstances").map((call) => call.args[0]),
          [["i-1", "i-9"], ["i-2"]],
        )
      }).pipe(Effect.provide(Layer.merge(cluster(log), plugins({ count: 0 }))))
    },
  )

  it.effect("given an open run's target image, when observed, then the AMI source is not consulted", () => {
    const resolved = { count: 0 }
    const pinned = image("ami-pinned", 1)
    return Effect.gen(function* () {
      const snapshot = yield* observeSnapshot("prod", { budgetEnd: 60_000, targetImage: pinned })
      assert.strictEqual(snapshot.targetImage.imageId, "ami-pinned")
      assert.strictEqual(resolved.count, 0)
      const fresh = yield* observeSnapshot("prod", { budgetEnd: 60_000 })
      assert.strictEqual(fresh.targetImage.imageId, "ami-new")
      assert.strictEqual(resolved.count, 1)
    }).pipe(Effect.provide(Layer.merge(cluster({ calls: [] }), plugins(resolved))))
  })

  it.effect(
    "given a port that returns a negative count, when observed, then it fails with ObservationInvalid naming the field",
    () => {
      const broken = [containerInstance("i-1", { runningTasksCount: -1 })]
      return Effect.gen(function* () {
        const error = yield* Effect.flip(observeSnapshot("prod", { budgetEnd: 60_000 }))
        assert.strictEqual(error._tag, "ObservationInvalid")
        assert.include(error.message, "runningTasksCount")
      }).pipe(
        Effect.provide(
          Layer.merge(cluster({ calls: [] }, { containerInstances: broken }), plugins({ count: 0 })),
        ),
      )
    },
  )
})
