import {
  CreateLaunchTemplateVersionCommand,
  CreateTagsCommand,
  DeleteLaunchTemplateVersionsCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  type Instance,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2"
import { it } from "@effect/vitest"
import { Effect } from "effect"
import { mockClient } from "aws-sdk-client-mock"
import { beforeEach, describe, expect } from "vitest"
import { numberedIds, sizes } from "../test/fixtures.ts"
import { sdkError } from "../test/sdk-error.ts"
import { ec2Limits, idsNamedIn, makeEc2 } from "./ec2.ts"

const ec2Mock = mockClient(EC2Client)
const ec2 = makeEc2(new EC2Client({ region: "eu-west-1" }))

beforeEach(() => {
  ec2Mock.reset()
})

const sdkInstance = (id: string, overrides: Partial<Instance> = {}): Instance => ({
  InstanceId: id,
  ImageId: "ami-old",
  InstanceType: "m7g.large",
  Architecture: "arm64",
  Placement: { AvailabilityZone: "eu-west-1a" },
  State: { Name: "running", Code: 16 },
  LaunchTime: new Date("2026-01-02T03:04:05Z"),
  Tags: [{ Key: "Name", Value: "ecs" }],
  ...overrides,
})

describe("terminationProtectedIds", () => {
  it.effect(
    "asks DescribeInstanceAttribute for each instance and returns those with DisableApiTermination on",
    () =>
      Effect.gen(function* () {
        ec2Mock
          .on(DescribeInstanceAttributeCommand)
          .resolves({ DisableApiTermination: { Value: false } })
          .on(DescribeInstanceAttributeCommand, { InstanceId: "i-2" })
          .resolves({ InstanceId: "i-2", DisableApiTermination: { Value: true } })
        const found = yield* ec2.terminationProtectedIds(["i-1", "i-2", "i-3"])
        expect(found).toEqual(["i-2"])
        const inputs = ec2Mock
          .commandCalls(DescribeInstanceAttributeCommand)
          .map((call) => call.args[0].input)
        expect(inputs).toEqual(
          ["i-1", "i-2", "i-3"].map((InstanceId) => ({ InstanceId, Attribute: "disableApiTermination" })),
        )
      }),
  )
})

describe("describeInstances", () => {
  it.effect("maps an SDK instance to the domain view, spot lifecycle and unprotected by default", () =>
    Effect.gen(function* () {
      ec2Mock.on(DescribeInstancesCommand).resolves({
        Reservations: [
          { Instances: [sdkInstance("i-1", { InstanceLifecycle: "spot" }), sdkInstance("i-2")] },
        ],
      })
      const instances = yield* ec2.describeInstances(["i-1", "i-2"])
      expect(instances).toEqual([
        {
          instanceId: "i-1",
          imageId: "ami-old",
          instanceType: "m7g.large",
          architecture: "arm64",
          availabilityZone: "eu-west-1a",
          state: "running",
          launchTime: Date.parse("2026-01-02T03:04:05Z"),
          lifecycle: "spot",
          terminationProtected: false,
          tags: { Name: "ecs" },
        },
        expect.objectContaining({ instanceId: "i-2", lifecycle: "on-demand" }),
      ])
    }),
  )

  it.effect("given 2500 ids, sends them in calls of at most 1000 ids, without MaxResults", () =>
    Effect.gen(function* () {
      ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] })
      const ids = numberedIds("i-", 2500)
      yield* ec2.describeInstances(ids)
      const inputs = ec2Mock.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input)
      expect(sizes(inputs.map((input) => input.InstanceIds))).toEqual([1000, 1000, 500])
      expect(inputs.flatMap((input) => input.InstanceIds)).toEqual(ids)
      expect(inputs.every((input) => input.MaxResults === undefined)).toBe(true)
    }),
  )

  it.effect("follows NextToken to the last page", () =>
    Effect.gen(function* () {
      ec2Mock
        .on(DescribeInstancesCommand)
        .resolvesOnce({ Reservations: [{ Instances: [sdkInstance("i-1")] }], NextToken: "page-2" })
        .resolvesOnce({ Reservations: [{ Instances: [sdkInstance("i-2")] }] })
      const instances = yield* ec2.describeInstances(["i-1", "i-2"])
      expect(instances.map((instance) => instance.instanceId)).toEqual(["i-1", "i-2"])
      expect(
        ec2Mock.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input.NextToken),
      ).toEqual([undefined, "page-2"])
    }),
  )

  it.effect("given an id EC2 does not know yet, retries without it so the result simply omits it", () =>
    Effect.gen(function* () {
      ec2Mock
        .on(DescribeInstancesCommand)
        .rejectsOnce(
          sdkError("ec2", "InvalidInstanceID.NotFound", "The instance IDs 'i-new1, i-new2' do not exist"),
        )
        .resolvesOnce({ Reservations: [{ Instances: [sdkInstance("i-old")] }] })
      const instances = yield* ec2.describeInstances(["i-old", "i-new1", "i-new2"])
      expect(instances.map((instance) => instance.instanceId)).toEqual(["i-old"])
      expect(
        ec2Mock.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input.InstanceIds),
      ).toEqual([["i-old", "i-new1", "i-new2"], ["i-old"]])
    }),
  )

  it.effect("given only ids EC2 does not know, returns nothing after the one failed call", () =>
    Effect.gen(function* () {
      ec2Mock
        .on(DescribeInstancesCommand)
        .rejects(sdkError("ec2", "InvalidInstanceID.NotFound", "The instance ID 'i-new' does not exist"))
      expect(yield* ec2.describeInstances(["i-new"])).toEqual([])
      expect(ec2Mock.commandCalls(DescribeInstancesCommand)).toHaveLength(1)
    }),
  )

  it.effect(
    "given a not-found message that names none of the requested ids, fails with not-found instead of looping",
    () =>
      Effect.gen(function* () {
        ec2Mock
          .on(DescribeInstancesCommand)
          .rejects(sdkError("ec2", "InvalidInstanceID.NotFound", "something does not exist"))
        const error = yield* Effect.flip(ec2.describeInstances(["i-1"]))
        expect({ kind: error.kind, code: error.code, operation: error.operation }).toEqual({
          kind: "not-found",
          code: "InvalidInstanceID.NotFound",
          operation: "ec2:DescribeInstances",
        })
      }),
  )

  it.effect("given throttling, fails with a retryable throttled error", () =>
    Effect.gen(function* () {
      ec2Mock.on(DescribeInstancesCommand).rejects(sdkError("ec2", "RequestLimitExceeded"))
      const error = yield* Effect.flip(ec2.describeInstances(["i-1"]))
      expect({ kind: error.kind, retryable: error.retryable }).toEqual({ kind: "throttled", retryable: true })
    }),
  )

  it.effect(
    "given an instance without an architecture, fails with a malformed response naming the field",
    () =>
      Effect.gen(function* () {
        ec2Mock
          .on(DescribeInstancesCommand)
          .resolves({ Reservations: [{ Instances: [sdkInstance("i-1", { Architecture: undefined })] }] })
        const error = yield* Effect.flip(ec2.describeInstances(["i-1"]))
        expect(error.code).toBe("MalformedResponse")
        expect(error.message).toMatch(/architecture/)
      }),
  )
})

describe("idsNamedIn", () => {
  it("finds the requested ids among those an error message lists", () => {
    expect(idsNamedIn("The instance IDs 'i-0a1, i-0b2' do not exist", ["i-0a1", "i-0b2", "i-0c3"])).toEqual([
      "i-0a1",
      "i-0b2",
    ])
    expect(idsNamedIn("The image id '[ami-123]' does not exist", ["ami-123", "ami-456"])).toEqual(["ami-123"])
  })
})

describe("describeImages", () => {
  it.effect(
    "by filter: sends owners, name, architecture, tags and deprecation, paginates, and folds EC2's image states",
    () =>
      Effect.gen(function* () {
        ec2Mock
          .on(DescribeImagesCommand)
          .resolvesOnce({
            Images: [
              {
                ImageId: "ami-1",
                Name: "al2023-ami-ecs-hvm-2026.1-arm64",
                OwnerId: "amazon",
                CreationDate: "2026-01-01T00:00:00.000Z",
                DeprecationTime: "2028-01-01T00:00:00.000Z",
                Architecture: "arm64",
                State: "available",
              },
            ],
            NextToken: "more",
          })
          .resolvesOnce({
            Images: [
              {
                ImageId: "ami-2",
                Name: "n",
                OwnerId: "o",
                CreationDate: "2026-02-01T00:00:00.000Z",
                Architecture: "arm64",
                State: "disabled",
              },
            ],
          })
        const images = yield* ec2.describeImages({
          _tag: "ByFilter",
          namePattern: "al2023-ami-ecs-hvm-*-arm64",
          owners: ["amazon"],
          architecture: "arm64",
          tags: { team: "platform" },
          includeDeprecated: false,
        })
        expect(images).toEqual([
          {
            imageId: "ami-1",
            name: "al2023-ami-ecs-hvm-2026.1-arm64",
            ownerId: "amazon",
            creationDate: Date.parse("2026-01-01T00:00:00.000Z"),
            deprecationTime: Date.parse("2028-01-01T00:00:00.000Z"),
            architecture: "arm64",
            state: "available",
            tags: {},
          },
          expect.objectContaining({ imageId: "ami-2", state: "deregistered" }),
        ])
        const inputs = ec2Mock.commandCalls(DescribeImagesCommand).map((call) => call.args[0].input)
        expect(inputs[0]).toEqual({
          Owners: ["amazon"],
          Filters: [
            { Name: "name", Values: ["al2023-ami-ecs-hvm-*-arm64"] },
            { Name: "architecture", Values: ["arm64"] },
            { Name: "tag:team", Values: ["platform"] },
          ],
          IncludeDeprecated: false,
          MaxResults: ec2Limits.describeImagesPage,
        })
        expect(inputs[1]?.NextToken).toBe("more")
      }),
  )

  it.effect("by ids: an unknown AMI is left out", () =>
    Effect.gen(function* () {
      ec2Mock
        .on(DescribeImagesCommand)
        .rejectsOnce(sdkError("ec2", "InvalidAMIID.NotFound", "The image id '[ami-gone]' does not exist"))
        .resolvesOnce({ Images: [] })
      yield* ec2.describeImages({ _tag: "ByIds", imageIds: ["ami-1", "ami-gone"] })
      expect(ec2Mock.commandCalls(DescribeImagesCommand).map((call) => call.args[0].input.ImageIds)).toEqual([
        ["ami-1", "ami-gone"],
        ["ami-1"],
      ])
    }),
  )
})

describe("tags, terminations and launch templates", () => {
  it.effect("terminateInstances sends at most 1000 ids per call", () =>
    Effect.gen(function* () {
      ec2Mock.on(TerminateInstancesCommand).resolves({})
      yield* ec2.terminateInstances(numberedIds("i-", 2001))
      expect(
        sizes(ec2Mock.commandCalls(TerminateInstancesCommand).map((call) => call.args[0].input.InstanceIds)),
      ).toEqual([1000, 1000, 1])
    }),
  )

  it.effect("createTags sends every tag with each batch of resources", () =>
    Effect.gen(function* () {
      ec2Mock.on(CreateTagsCommand).resolves({})
      yield* ec2.createTags(numberedIds("i-", 1500), { rollout: "r-1", phase: "old" })
      const inputs = ec2Mock.commandCalls(CreateTagsCommand).map((call) => call.args[0].input)
      expect(sizes(inputs.map((input) => input.Resources))).toEqual([1000, 500])
      expect(inputs.map((input) => input.Tags)).toEqual([
        [
          { Key: "rollout", Value: "r-1" },
          { Key: "phase", Value: "old" },
        ],
        [
          { Key: "rollout", Value: "r-1" },
          { Key: "phase", Value: "old" },
        ],
      ])
    }),
  )

  it.effect(
    "createLaunchTemplateVersion copies the source version with the new image, keyed for idempotency",
    () =>
      Effect.gen(function* () {
        ec2Mock.on(CreateLaunchTemplateVersionCommand).resolves({
          LaunchTemplateVersion: {
            LaunchTemplateId: "lt-1",
            VersionNumber: 8,
            CreateTime: new Date("2026-03-01T00:00:00Z"),
            DefaultVersion: false,
            VersionDescription: "ecs-ami-deploy r-1",
            LaunchTemplateData: { ImageId: "ami-new", InstanceType: "m7g.large" },
          },
        })
        const version = yield* ec2.createLaunchTemplateVersion({
          launchTemplateId: "lt-1",
          sourceVersion: "7",
          imageId: "ami-new",
          description: "ecs-ami-deploy r-1",
          idempotencyKey: "r-1/create-version/1",
        })
        expect(ec2Mock.commandCalls(CreateLaunchTemplateVersionCommand)[0]?.args[0].input).toEqual({
          LaunchTemplateId: "lt-1",
          SourceVersion: "7",
          VersionDescription: "ecs-ami-deploy r-1",
          LaunchTemplateData: { ImageId: "ami-new" },
          ClientToken: "r-1/create-version/1",
        })
        expect(version).toEqual({
          launchTemplateId: "lt-1",
          versionNumber: 8,
          imageId: "ami-new",
          instanceType: "m7g.large",
          createdAt: Date.parse("2026-03-01T00:00:00Z"),
          isDefault: false,
          description: "ecs-ami-deploy r-1",
        })
      }),
  )

  it.effect("describeLaunchTemplate fails with not-found when the name matches nothing", () =>
    Effect.gen(function* () {
      ec2Mock
        .on(DescribeLaunchTemplatesCommand)
        .rejects(sdkError("ec2", "InvalidLaunchTemplateName.NotFoundException"))
      const error = yield* Effect.flip(ec2.describeLaunchTemplate({ name: "ecs-nodes" }))
      expect(error.kind).toBe("not-found")
      expect(ec2Mock.commandCalls(DescribeLaunchTemplatesCommand)[0]?.args[0].input).toEqual({
        LaunchTemplateNames: ["ecs-nodes"],
      })
    }),
  )

  it.effect("deleteLaunchTemplateVersions accepts versions already gone and fails on any other refusal", () =>
    Effect.gen(function* () {
      ec2Mock
        .on(DeleteLaunchTemplateVersionsCommand)
        .resolvesOnce({
          UnsuccessfullyDeletedLaunchTemplateVersions: [
            {
              VersionNumber: 3,
              ResponseError: { Code: "launchTemplateVersionDoesNotExist", Message: "gone" },
            },
          ],
        })
        .resolvesOnce({
          UnsuccessfullyDeletedLaunchTemplateVersions: [
            { VersionNumber: 4, ResponseError: { Code: "unexpectedError", Message: "is the default" } },
          ],
        })
      yield* ec2.deleteLaunchTemplateVersions("lt-1", [3])
      const error = yield* Effect.flip(ec2.deleteLaunchTemplateVersions("lt-1", [4]))
      expect({ code: error.code, message: error.message }).toEqual({
        code: "unexpectedError",
        message: "version 4: is the default",
      })
      expect(
        ec2Mock.commandCalls(DeleteLaunchTemplateVersionsCommand).map((call) => call.args[0].input.Versions),
      ).toEqual([["3"], ["4"]])
    }),
  )

  it.effect(
    "describeLaunchTemplateVersions reads the instance profile a version names, by ARN or by name",
    () =>
      Effect.gen(function* () {
        const profileArn = "arn:aws:iam::123456789012:instance-profile/ecs/ecs-instance"
        ec2Mock.on(DescribeLaunchTemplateVersionsCommand).resolves({
          LaunchTemplateVersions: [
            {
              LaunchTemplateId: "lt-1",
              VersionNumber: 1,
              LaunchTemplateData: { IamInstanceProfile: { Arn: profileArn } },
            },
            {
              LaunchTemplateId: "lt-1",
              VersionNumber: 2,
              LaunchTemplateData: { IamInstanceProfile: { Name: "ecs-node" } },
            },
            { LaunchTemplateId: "lt-1", VersionNumber: 3, LaunchTemplateData: { ImageId: "ami-3" } },
          ],
        })
        const versions = yield* ec2.describeLaunchTemplateVersions("lt-1", ["1", "2", "3"])
        expect(versions.map((found) => found.iamInstanceProfile)).toEqual([profileArn, "ecs-node", undefined])
      }),
  )

  it.effect(
    "describeLaunchTemplateVersions pages with MaxResults when listing every version, and sends Versions alone otherwise",
    () =>
      Effect.gen(function* () {
        const version = (VersionNumber: number) => ({
          LaunchTemplateId: "lt-1",
          VersionNumber,
          CreateTime: new Date("2026-01-01T00:00:00Z"),
          DefaultVersion: VersionNumber === 1,
          LaunchTemplateData: { ImageId: `ami-${VersionNumber}` },
        })
        ec2Mock
          .on(DescribeLaunchTemplateVersionsCommand)
          .resolvesOnce({ LaunchTemplateVersions: [version(1)], NextToken: "v" })
          .resolvesOnce({ LaunchTemplateVersions: [version(2)] })
          .resolvesOnce({ LaunchTemplateVersions: [version(2)] })
        const every = yield* ec2.describeLaunchTemplateVersions("lt-1")
        const latest = yield* ec2.describeLaunchTemplateVersions("lt-1", ["$Latest"])
        expect(every.map((found) => [found.versionNumber, found.imageId, found.isDefault])).toEqual([
          [1, "ami-1", true],
          [2, "ami-2", false],
        ])
        expect(latest.map((found) => found.versionNumber)).toEqual([2])
        expect(
          ec2Mock.commandCalls(DescribeLaunchTemplateVersionsCommand).map((call) => call.args[0].input),
        ).toEqual([
          { LaunchTemplateId: "lt-1", MaxResults: ec2Limits.describeLaunchTemplateVersionsPage },
          {
            LaunchTemplateId: "lt-1",
            MaxResults: ec2Limits.describeLaunchTemplateVersionsPage,
            NextToken: "v",
          },
          { LaunchTemplateId: "lt-1", Versions: ["$Latest"] },
        ])
      }),
  )
})
