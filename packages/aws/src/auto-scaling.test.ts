import {
  AttachInstancesCommand,
  AutoScalingClient,
  type AutoScalingGroup,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
  DetachInstancesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling"
import { it } from "@effect/vitest"
import { Effect } from "effect"
import { mockClient } from "aws-sdk-client-mock"
import { beforeEach, describe, expect } from "vitest"
import { numberedIds, sizes } from "../test/fixtures.ts"
import { sdkError } from "../test/sdk-error.ts"
import { autoScalingLimits, makeAutoScaling } from "./auto-scaling.ts"

const asgMock = mockClient(AutoScalingClient)
const autoScaling = makeAutoScaling(new AutoScalingClient({ region: "eu-west-1" }))

beforeEach(() => {
  asgMock.reset()
})

const sdkGroup = (name: string, launch: Partial<AutoScalingGroup>): AutoScalingGroup => ({
  AutoScalingGroupName: name,
  MinSize: 1,
  MaxSize: 6,
  DesiredCapacity: 3,
  DefaultCooldown: 300,
  AvailabilityZones: ["eu-west-1a", "eu-west-1b"],
  HealthCheckType: "EC2",
  CreatedTime: new Date("2025-01-01T00:00:00Z"),
  SuspendedProcesses: [{ ProcessName: "AZRebalance", SuspensionReason: "User suspended" }],
  Instances: [
    {
      InstanceId: "i-1",
      AvailabilityZone: "eu-west-1a",
      LifecycleState: "InService",
      HealthStatus: "Healthy",
      ProtectedFromScaleIn: true,
      InstanceType: "m7g.large",
    },
  ],
  Tags: [{ Key: "team", Value: "platform" }],
  ...launch,
})

describe("describeGroups", () => {
  it.effect("maps the three launch spec forms and the group's instances", () =>
    Effect.gen(function* () {
      asgMock.on(DescribeAutoScalingGroupsCommand).resolves({
        AutoScalingGroups: [
          sdkGroup("by-template", {
            LaunchTemplate: { LaunchTemplateId: "lt-1", LaunchTemplateName: "ecs", Version: "$Latest" },
          }),
          sdkGroup("by-configuration", { LaunchConfigurationName: "ecs-lc-1" }),
          sdkGroup("mixed", {
            MixedInstancesPolicy: {
              LaunchTemplate: {
                LaunchTemplateSpecification: { LaunchTemplateId: "lt-1", LaunchTemplateName: "ecs" },
                Overrides: [
                  { InstanceType: "m7g.large" },
                  {
                    InstanceType: "m7i.large",
                    LaunchTemplateSpecification: {
                      LaunchTemplateId: "lt-2",
                      LaunchTemplateName: "ecs-x86",
                      Version: "4",
                    },
                  },
                ],
              },
            },
          }),
        ],
      })
      const groups = yield* autoScaling.describeGroups(["by-template", "by-configuration", "mixed"])
      expect(groups[0]).toEqual({
        name: "by-template",
        minSize: 1,
        maxSize: 6,
        desiredCapacity: 3,
        availabilityZones: ["eu-west-1a", "eu-west-1b"],
        suspendedProcesses: ["AZRebalance"],
        launchSpec: {
          _tag: "LaunchTemplate",
          template: { launchTemplateId: "lt-1", launchTemplateName: "ecs", version: "$Latest" },
        },
        instances: [
          {
            instanceId: "i-1",
            availabilityZone: "eu-west-1a",
            lifecycleState: "InService",
            healthStatus: "Healthy",
            protectedFromScaleIn: true,
            instanceType: "m7g.large",
          },
        ],
        tags: { team: "platform" },
      })
      expect(groups.slice(1).map((group) => group.launchSpec)).toEqual([
        { _tag: "LaunchConfiguration", launchConfigurationName: "ecs-lc-1" },
        {
          _tag: "MixedInstancesPolicy",
          // An omitted version is the template's default version.
          template: { launchTemplateId: "lt-1", launchTemplateName: "ecs", version: "$Default" },
          overrides: [
            { instanceType: "m7g.large" },
            {
              instanceType: "m7i.large",
              launchTemplate: { launchTemplateId: "lt-2", launchTemplateName: "ecs-x86", version: "4" },
            },
          ],
        },
      ])
    }),
  )

  it.effect("given 150 names, asks for at most 100 per call and follows NextToken within a batch", () =>
    Effect.gen(function* () {
      asgMock
        .on(DescribeAutoScalingGroupsCommand)
        .resolvesOnce({ AutoScalingGroups: [], NextToken: "next" })
        .resolves({ AutoScalingGroups: [] })
      const names = numberedIds("asg-", 150)
      yield* autoScaling.describeGroups(names)
      const inputs = asgMock.commandCalls(DescribeAutoScalingGroupsCommand).map((call) => call.args[0].input)
      expect(
        inputs.map((input) => [input.AutoScalingGroupNames?.length, input.NextToken, input.MaxRecords]),
      ).toEqual([
        [100, undefined, autoScalingLimits.describeGroupsPage],
        [100, "next", autoScalingLimits.describeGroupsPage],
        [50, undefined, autoScalingLimits.describeGroupsPage],
      ])
    }),
  )

  it.effect("given no names, describes every group of the Region", () =>
    Effect.gen(function* () {
      asgMock
        .on(DescribeAutoScalingGroupsCommand)
        .resolves({ AutoScalingGroups: [sdkGroup("any", { LaunchConfigurationName: "lc" })] })
      const groups = yield* autoScaling.describeGroups([])
      expect(groups.map((group) => group.name)).toEqual(["any"])
      expect(asgMock.commandCalls(DescribeAutoScalingGroupsCommand)[0]?.args[0].input).toEqual({
        MaxRecords: autoScalingLimits.describeGroupsPage,
      })
    }),
  )
})

describe("batched instance operations", () => {
  it.effect("given 45 instances to detach, sends 3 DetachInstances calls of at most 20", () =>
    Effect.gen(function* () {
      asgMock.on(DetachInstancesCommand).resolves({})
      const ids = numberedIds("i-", 45)
      yield* autoScaling.detachInstances("asg", ids, false)
      const inputs = asgMock.commandCalls(DetachInstancesCommand).map((call) => call.args[0].input)
      expect(sizes(inputs.map((input) => input.InstanceIds))).toEqual([20, 20, 5])
      expect(inputs.flatMap((input) => input.InstanceIds)).toEqual(ids)
      expect(
        inputs.every(
          (input) => input.AutoScalingGroupName === "asg" && input.ShouldDecrementDesiredCapacity === false,
        ),
      ).toBe(true)
    }),
  )

  it.effect("given 45 instances to attach, sends 3 AttachInstances calls of at most 20, in order", () =>
    Effect.gen(function* () {
      asgMock.on(AttachInstancesCommand).resolves({})
      const ids = numberedIds("i-", 45)
      yield* autoScaling.attachInstances("asg", ids)
      const inputs = asgMock.commandCalls(AttachInstancesCommand).map((call) => call.args[0].input)
      expect(inputs).toEqual([
        { AutoScalingGroupName: "asg", InstanceIds: ids.slice(0, 20) },
        { AutoScalingGroupName: "asg", InstanceIds: ids.slice(20, 40) },
        { AutoScalingGroupName: "asg", InstanceIds: ids.slice(40) },
      ])
    }),
  )

  it.effect(
    "given an attach that would exceed the group's max size, fails as a non-retryable invalid parameter and sends no later batch",
    () =>
      Effect.gen(function* () {
        const message = "New SetDesiredCapacity value 7 is above max value 6 for the AutoScalingGroup."
        asgMock
          .on(AttachInstancesCommand)
          .resolvesOnce({})
          .rejectsOnce(sdkError("autoscaling", "ValidationError", message))
          .resolves({})
        const error = yield* Effect.flip(autoScaling.attachInstances("asg", numberedIds("i-", 45)))
        expect({
          kind: error.kind,
          retryable: error.retryable,
          operation: error.operation,
          code: error.code,
          message: error.message,
        }).toEqual({
          kind: "invalid-parameter",
          retryable: false,
          operation: "autoscaling:AttachInstances",
          code: "ValidationError",
          message,
        })
        expect(asgMock.commandCalls(AttachInstancesCommand)).toHaveLength(2)
      }),
  )

  it.effect("given a scaling activity in progress, attaching fails with a retryable conflict", () =>
    Effect.gen(function* () {
      asgMock.on(AttachInstancesCommand).rejects(sdkError("autoscaling", "ScalingActivityInProgress"))
      const error = yield* Effect.flip(autoScaling.attachInstances("asg", ["i-1"]))
      expect({ kind: error.kind, retryable: error.retryable }).toEqual({ kind: "conflict", retryable: true })
    }),
  )

  it.effect("given a scaling activity in progress, terminating fails with a retryable conflict", () =>
    Effect.gen(function* () {
      asgMock
        .on(TerminateInstanceInAutoScalingGroupCommand)
        .rejects(sdkError("autoscaling", "ScalingActivityInProgress"))
      const error = yield* Effect.flip(autoScaling.terminateInstanceInGroup("i-1", false))
      expect({ kind: error.kind, retryable: error.retryable, operation: error.operation }).toEqual({
        kind: "conflict",
        retryable: true,
        operation: "autoscaling:TerminateInstanceInAutoScalingGroup",
      })
    }),
  )
})

describe("updateGroup", () => {
  it.effect("sends capacity and a mixed instances policy by template id", () =>
    Effect.gen(function* () {
      asgMock.on(UpdateAutoScalingGroupCommand).resolves({})
      yield* autoScaling.updateGroup({
        asgName: "asg",
        desiredCapacity: 4,
        launchSpec: {
          _tag: "MixedInstancesPolicy",
          template: { launchTemplateId: "lt-1", launchTemplateName: "ecs", version: "9" },
          overrides: [{ instanceType: "m7g.large" }],
        },
      })
      expect(asgMock.commandCalls(UpdateAutoScalingGroupCommand)[0]?.args[0].input).toEqual({
        AutoScalingGroupName: "asg",
        DesiredCapacity: 4,
        MixedInstancesPolicy: {
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateId: "lt-1", Version: "9" },
            Overrides: [{ InstanceType: "m7g.large" }],
          },
        },
      })
    }),
  )
})

describe("copyLaunchConfiguration", () => {
  const source = {
    LaunchConfigurationName: "ecs-lc-1",
    ImageId: "ami-old",
    InstanceType: "m5.large",
    KeyName: "",
    SecurityGroups: ["sg-1"],
    UserData: "IyEvYmluL2Jhc2g=",
    KernelId: "",
    RamdiskId: "",
    IamInstanceProfile: "ecsInstanceRole",
    CreatedTime: new Date("2025-01-01T00:00:00Z"),
  }

  it.effect(
    "creates a copy with only the name and image changed, leaving out the empty fields AWS describes",
    () =>
      Effect.gen(function* () {
        asgMock
          .on(DescribeLaunchConfigurationsCommand)
          .resolvesOnce({ LaunchConfigurations: [source] })
          .resolvesOnce({
            LaunchConfigurations: [{ ...source, LaunchConfigurationName: "ecs-lc-2", ImageId: "ami-new" }],
          })
        asgMock.on(CreateLaunchConfigurationCommand).resolves({})
        const copy = yield* autoScaling.copyLaunchConfiguration({
          sourceName: "ecs-lc-1",
          name: "ecs-lc-2",
          imageId: "ami-new",
        })
        expect(asgMock.commandCalls(CreateLaunchConfigurationCommand)[0]?.args[0].input).toEqual({
          LaunchConfigurationName: "ecs-lc-2",
          ImageId: "ami-new",
          InstanceType: "m5.large",
          SecurityGroups: ["sg-1"],
          UserData: "IyEvYmluL2Jhc2g=",
          IamInstanceProfile: "ecsInstanceRole",
        })
        expect(copy).toEqual({
          name: "ecs-lc-2",
          imageId: "ami-new",
          instanceType: "m5.large",
          createdAt: Date.parse("2025-01-01T00:00:00Z"),
          iamInstanceProfile: "ecsInstanceRole",
        })
      }),
  )

  it.effect("given a retry after the copy was already made with the same image, succeeds", () =>
    Effect.gen(function* () {
      const existing = { ...source, LaunchConfigurationName: "ecs-lc-2", ImageId: "ami-new" }
      asgMock
        .on(DescribeLaunchConfigurationsCommand)
        .resolvesOnce({ LaunchConfigurations: [source] })
        .resolves({ LaunchConfigurations: [existing] })
      asgMock.on(CreateLaunchConfigurationCommand).rejects(sdkError("autoscaling", "AlreadyExists"))
      const copy = yield* autoScaling.copyLaunchConfiguration({
        sourceName: "ecs-lc-1",
        name: "ecs-lc-2",
        imageId: "ami-new",
      })
      expect(copy.imageId).toBe("ami-new")
    }),
  )

  it.effect("given the name is taken by a configuration with another image, fails", () =>
    Effect.gen(function* () {
      asgMock
        .on(DescribeLaunchConfigurationsCommand)
        .resolvesOnce({ LaunchConfigurations: [source] })
        .resolves({
          LaunchConfigurations: [{ ...source, LaunchConfigurationName: "ecs-lc-2", ImageId: "ami-other" }],
        })
      asgMock.on(CreateLaunchConfigurationCommand).rejects(sdkError("autoscaling", "AlreadyExists"))
      const error = yield* Effect.flip(
        autoScaling.copyLaunchConfiguration({ sourceName: "ecs-lc-1", name: "ecs-lc-2", imageId: "ami-new" }),
      )
      expect({ kind: error.kind, code: error.code }).toEqual({
        kind: "invalid-parameter",
        code: "AlreadyExists",
      })
    }),
  )

  it.effect("given an unknown source, fails with not-found", () =>
    Effect.gen(function* () {
      asgMock.on(DescribeLaunchConfigurationsCommand).resolves({ LaunchConfigurations: [] })
      const error = yield* Effect.flip(
        autoScaling.copyLaunchConfiguration({ sourceName: "nope", name: "copy", imageId: "ami-new" }),
      )
      expect(error.kind).toBe("not-found")
      expect(asgMock.commandCalls(CreateLaunchConfigurationCommand)).toHaveLength(0)
    }),
  )
})
