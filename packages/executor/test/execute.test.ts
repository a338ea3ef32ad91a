import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { StaleLease, type Command, type LaunchSpec } from "@ecs-ami-deploy/domain"
import { Plugins, type LaunchSpecStrategy } from "@ecs-ami-deploy/strategies"
import { executeCommand } from "../src/execute.ts"
import { idempotencyKey } from "../src/idempotency.ts"
import { callsTo, ec2Instance, fakePorts, group, image, member, type CallLog } from "./fakes.ts"

const context = { runId: "run-1", budgetEnd: 60_000, holdLease: Effect.void }

const withPlugins = (strategy: Partial<LaunchSpecStrategy>) =>
  Layer.succeed(
    Plugins,
    Plugins.of({
      launchSpecStrategies: [{ name: "fake", handles: () => true, ...strategy } as LaunchSpecStrategy],
      amiSource: { name: "none", description: "unused", resolve: () => Effect.succeed(image("ami-new", 2)) },
    }),
  )

describe("executeCommand TerminateInstances", () => {
  const command: Command = {
    _tag: "TerminateInstances",
    id: "terminate:web:1",
    reason: "drained",
    asgName: "web",
    instanceIds: ["i-member", "i-leaving", "i-detached", "i-gone"],
    decrementDesiredCapacity: true,
  }

  it.effect(
    "given members, detached and already terminating instances, when executed, then each live instance is terminated once by the right API",
    () => {
      const log: CallLog = { calls: [] }
      const ports = fakePorts(log, {
        autoScaling: {
          describeGroups: () =>
            Effect.succeed([
              group("web", {
                instances: [member("i-member", "InService"), member("i-leaving", "Terminating")],
              }),
            ]),
          terminateInstanceInGroup: () => Effect.void,
        },
        ec2: {
          describeInstances: () =>
            Effect.succeed([
              ec2Instance("i-member"),
              ec2Instance("i-leaving"),
              ec2Instance("i-detached"),
              ec2Instance("i-gone", { state: "shutting-down" }),
            ]),
          terminateInstances: () => Effect.void,
        },
      })
      return Effect.gen(function* () {
        yield* executeCommand(command, context)
        assert.deepStrictEqual(
          callsTo(log, "autoScaling.terminateInstanceInGroup").map((call) => call.args),
          [["i-member", true]],
        )
        assert.deepStrictEqual(
          callsTo(log, "ec2.terminateInstances").map((call) => call.args),
          [[["i-detached"]]],
        )
      }).pipe(Effect.provide(Layer.merge(ports, withPlugins({}))))
    },
  )
})

describe("executeCommand and the lease", () => {
  it.effect(
    "given a lease lost between two calls of a command, when it runs, then it fails with StaleLease and makes no call after the loss",
    () => {
      const log: CallLog = { calls: [] }
      const members = ["i-1", "i-2", "i-3", "i-4"]
      const ports = fakePorts(log, {
        autoScaling: {
          describeGroups: () =>
            Effect.succeed([group("web", { instances: members.map((id) => member(id, "InService")) })]),
          terminateInstanceInGroup: () => Effect.void,
        },
        ec2: { describeInstances: () => Effect.succeed(members.map((id) => ec2Instance(id))) },
      })
      // Held for the two reads and the first termination; another executor takes it over after that.
      let checks = 0
      const holdLease = Effect.suspend(() =>
        ++checks <= 3
          ? Effect.void
          : Effect.fail(new StaleLease({ clusterName: "prod", fencingToken: 1, currentFencingToken: 2 })),
      )
      const command: Command = {
        _tag: "TerminateInstances",
        id: "terminate:web:w1",
        reason: "drained",
        asgName: "web",
        instanceIds: members,
        decrementDesiredCapacity: true,
      }
      return Effect.gen(function* () {
        const error = yield* Effect.flip(executeCommand(command, { ...context, holdLease }))
        assert.strictEqual(error._tag, "StaleLease")
        assert.deepStrictEqual(
          callsTo(log, "autoScaling.terminateInstanceInGroup").map((call) => call.args),
          [["i-1", true]],
        )
      }).pipe(Effect.provide(Layer.merge(ports, withPlugins({}))))
    },
  )
})

describe("executeCommand DetachInstances", () => {
  it.effect(
    "given a re-issued detach, when some instances already left the group or EC2 reports one going, then only running InService members are detached",
    () => {
      const log: CallLog = { calls: [] }
      const ports = fakePorts(log, {
        ec2: {
          describeInstances: () =>
            Effect.succeed([
              ec2Instance("i-1"),
              ec2Instance("i-2"),
              ec2Instance("i-3"),
              ec2Instance("i-lost", { state: "shutting-down" }),
            ]),
        },
        autoScaling: {
          describeGroups: () =>
            Effect.succeed([
              group("web", {
                instances: [
                  member("i-1", "InService"),
                  member("i-2", "Detaching"),
                  member("i-lost", "InService"),
                ],
              }),
            ]),
          detachInstances: () => Effect.void,
        },
      })
      const command: Command = {
        _tag: "DetachInstances",
        id: "detach:web:1",
        reason: "detach mode",
        asgName: "web",
        instanceIds: ["i-1", "i-2", "i-3", "i-lost"],
        decrementDesiredCapacity: false,
      }
      return Effect.gen(function* () {
        yield* executeCommand(command, context)
        assert.deepStrictEqual(
          callsTo(log, "autoScaling.detachInstances").map((call) => call.args),
          [["web", ["i-1"], false]],
        )
      }).pipe(Effect.provide(Layer.merge(ports, withPlugins({}))))
    },
  )
})

describe("executeCommand AttachInstances", () => {
  it.effect(
    "given a re-issued attach, when one instance is already back in the group and one has gone, then only the running non-members are attached",
    () => {
      const log: CallLog = { calls: [] }
      const ports = fakePorts(log, {
        ec2: {
          describeInstances: () =>
            Effect.succeed([
              ec2Instance("i-back"),
              ec2Instance("i-out"),
              ec2Instance("i-gone", { state: "terminated" }),
            ]),
        },
        autoScaling: {
          describeGroups: () =>
            Effect.succeed([group("web", { instances: [member("i-back", "InService")] })]),
          attachInstances: () => Effect.void,
        },
      })
      const command: Command = {
        _tag: "AttachInstances",
        id: "rollback-attach:web",
        reason: "rollback of detach mode",
        asgName: "web",
        instanceIds: ["i-back", "i-out", "i-gone"],
      }
      return Effect.gen(function* () {
        yield* executeCommand(command, context)
        assert.deepStrictEqual(
          callsTo(log, "autoScaling.attachInstances").map((call) => call.args),
          [["web", ["i-out"]]],
        )
      }).pipe(Effect.provide(Layer.merge(ports, withPlugins({}))))
    },
  )
})

describe("executeCommand UpdateLaunchSpec", () => {
  it.effect(
    "given a group, when its spec is updated, then the strategy gets the key of (run, command) and the result records before and after",
    () => {
      const log: CallLog = { calls: [] }
      const before: LaunchSpec = group("web").launchSpec
      const after: LaunchSpec = {
        _tag: "LaunchTemplate",
        template: { launchTemplateId: "lt-1", launchTemplateName: "web", version: "7" },
      }
      const keys: Array<string> = []
      const ports = fakePorts(log, { autoScaling: { describeGroups: () => Effect.succeed([group("web")]) } })
      const plugins = withPlugins({
        apply: (input) => {
          keys.push(input.idempotencyKey)
          return Effect.succeed({ before, after })
        },
      })
      const command: Command = {
        _tag: "UpdateLaunchSpec",
        id: "launch-spec:web",
        reason: "target image",
        asgName: "web",
        imageId: "ami-new",
      }
      return Effect.gen(function* () {
        const result = yield* executeCommand(command, context)
        assert.deepStrictEqual(result, { launchSpecBefore: before, launchSpecAfter: after })
        assert.deepStrictEqual(keys, [idempotencyKey("run-1", "launch-spec:web")])
      }).pipe(Effect.provide(Layer.merge(ports, plugins)))
    },
  )

  it.effect(
    "given a group that no longer exists, when its spec is updated, then the command fails with not-found",
    () => {
      const ports = fakePorts({ calls: [] }, { autoScaling: { describeGroups: () => Effect.succeed([]) } })
      const command: Command = {
        _tag: "UpdateLaunchSpec",
        id: "launch-spec:web",
        reason: "target image",
        asgName: "web",
        imageId: "ami-new",
      }
      return Effect.gen(function* () {
        const error = yield* Effect.flip(executeCommand(command, context))
        assert.strictEqual(error._tag, "AwsCallError")
        assert.include(error.message, "web")
      }).pipe(Effect.provide(Layer.merge(ports, withPlugins({}))))
    },
  )
})
