/**
 * The `Ec2` port on the AWS SDK: instances, images, tags and launch templates. Reads are batched
 * (one DescribeInstances call per 1000 ids, never one per instance) and paginated; ids EC2 does not
 * know yet (eventual consistency right after a launch) are dropped from the request and retried, so
 * they are simply absent from the result.
 *
 * Termination protection: DescribeInstances does not return `DisableApiTermination`, so every
 * instance is reported with `terminationProtected: false`; `terminationProtectedIds` asks
 * DescribeInstanceAttribute, one request per instance, for the few calls that need to know.
 */
import {
  CreateLaunchTemplateVersionCommand,
  CreateTagsCommand,
  DeleteLaunchTemplateVersionsCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  type EC2Client,
  type Filter,
  type Image as SdkImage,
  type Instance as SdkInstance,
  type LaunchTemplateIamInstanceProfileSpecification,
  type LaunchTemplateVersion as SdkLaunchTemplateVersion,
  ModifyLaunchTemplateCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2"
import { AwsCallError, Ec2Instance, Image, type Tags } from "@ecs-ami-deploy/domain"
import { Ec2, type ImageQuery, type LaunchTemplateVersion } from "@ecs-ami-deploy/ports"
import { Effect, Layer } from "effect"
import { chunksOf, decodeAll, epochMillis, inBatches, paginate, request, tagRecord } from "./call.ts"
import { type AwsConfig, makeEc2Client } from "./config.ts"
import { mapEc2Error } from "./errors.ts"

/** Every IAM action this module's calls need, one per SDK command it sends. */
export const ec2Actions = [
  "ec2:DescribeInstances",
  "ec2:DescribeImages",
  "ec2:DescribeInstanceAttribute",
  "ec2:CreateTags",
  "ec2:TerminateInstances",
  "ec2:DescribeLaunchTemplates",
  "ec2:DescribeLaunchTemplateVersions",
  "ec2:CreateLaunchTemplateVersion",
  "ec2:ModifyLaunchTemplate",
  "ec2:DeleteLaunchTemplateVersions",
] as const
type Ec2Action = (typeof ec2Actions)[number]

/** Per-call limits (AWS API reference); ids beyond them are sent in further calls. */
export const ec2Limits = {
  describeInstancesIds: 1000,
  describeImagesIds: 1000,
  describeImagesPage: 1000,
  describeLaunchTemplateVersionsPage: 200,
  terminateInstancesIds: 1000,
  createTagsResources: 1000,
  deleteLaunchTemplateVersions: 200,
} as const

const call = <A>(operation: Ec2Action, send: (abortSignal: AbortSignal) => Promise<A>) =>
  request(operation, mapEc2Error, send)

const onDemandOrSpot = (lifecycle: string | undefined) => (lifecycle === "spot" ? "spot" : "on-demand")

const instanceView = (instance: SdkInstance) => ({
  instanceId: instance.InstanceId,
  imageId: instance.ImageId,
  instanceType: instance.InstanceType,
  architecture: instance.Architecture,
  availabilityZone: instance.Placement?.AvailabilityZone,
  state: instance.State?.Name,
  launchTime: epochMillis(instance.LaunchTime),
  // Scheduled and capacity-block instances are not interrupted like spot ones: on-demand for our purposes.
  lifecycle: onDemandOrSpot(instance.InstanceLifecycle),
  terminationProtected: false,
  tags: tagRecord(instance.Tags),
})

/** EC2's image states folded onto the domain's four: anything unusable is `failed` or `deregistered`. */
const imageState = (state: string | undefined) => {
  switch (state) {
    case "available":
    case "pending":
    case "failed":
    case "deregistered":
      return state
    case "transient":
      return "pending"
    case "disabled":
      return "deregistered"
    default:
      return "failed"
  }
}

const imageView = (image: SdkImage) => ({
  imageId: image.ImageId,
  name: image.Name,
  ownerId: image.OwnerId,
  creationDate: epochMillis(image.CreationDate),
  architecture: image.Architecture,
  ...(image.DeprecationTime === undefined ? {} : { deprecationTime: epochMillis(image.DeprecationTime) }),
  state: imageState(image.State),
  tags: tagRecord(image.Tags),
})

/** A launch template names its instance profile by ARN or by name. */
const instanceProfileOf = (profile: LaunchTemplateIamInstanceProfileSpecification | undefined) => {
  const named = profile?.Arn ?? profile?.Name
  return named === undefined ? {} : { iamInstanceProfile: named }
}

const launchTemplateVersionView = (version: SdkLaunchTemplateVersion): LaunchTemplateVersion => ({
  launchTemplateId: version.LaunchTemplateId ?? "",
  versionNumber: version.VersionNumber ?? 0,
  // Empty when the version names no image: such a version cannot launch instances on its own.
  imageId: version.LaunchTemplateData?.ImageId ?? "",
  ...(version.LaunchTemplateData?.InstanceType === undefined
    ? {}
    : { instanceType: version.LaunchTemplateData.InstanceType }),
  createdAt: epochMillis(version.CreateTime) ?? 0,
  isDefault: version.DefaultVersion ?? false,
  ...(version.VersionDescription === undefined ? {} : { description: version.VersionDescription }),
  ...instanceProfileOf(version.LaunchTemplateData?.IamInstanceProfile),
})

/**
 * The ids a `*.NotFound` error names, among those requested. EC2 fails the whole call for one
 * unknown id and lists the unknown ones in the message ("The instance IDs 'i-1, i-2' do not exist").
 */
export const idsNamedIn = (message: string, requested: ReadonlyArray<string>): ReadonlyArray<string> => {
  const mentioned = new Set(message.match(/[a-z]+-[0-9a-zA-Z]+/g) ?? [])
  return requested.filter((id) => mentioned.has(id))
}

/**
 * Describes `ids` with `describe`, and when EC2 answers `notFoundCode` for some of them, asks again
 * without those: they are absent from the result. Gives up (with the error) if the message names none.
 */
const describeKnown = <A>(
  ids: ReadonlyArray<string>,
  notFoundCode: string,
  describe: (ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<A>, AwsCallError>,
): Effect.Effect<ReadonlyArray<A>, AwsCallError> =>
  ids.length === 0
    ? Effect.succeed([])
    : describe(ids).pipe(
        Effect.catchIf(
          (error) => error.code === notFoundCode,
          (error) => {
            const unknown = new Set(idsNamedIn(error.message, ids))
            return unknown.size === 0
              ? Effect.fail(error)
              : describeKnown(
                  ids.filter((id) => !unknown.has(id)),
                  notFoundCode,
                  describe,
                )
          },
        ),
      )

const imageFilters = (query: Extract<ImageQuery, { _tag: "ByFilter" }>): Array<Filter> => [
  { Name: "name", Values: [query.namePattern] },
  ...(query.architecture === undefined ? [] : [{ Name: "architecture", Values: [query.architecture] }]),
  ...Object.entries(query.tags ?? {}).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
]

const ec2TagList = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))

/** The `Ec2` port over the given client. */
export const makeEc2 = (client: EC2Client): Ec2["Service"] => {
  const describeInstancesOnce = (ids: ReadonlyArray<string>) =>
    paginate(
      (NextToken) =>
        call("ec2:DescribeInstances", (abortSignal) =>
          client.send(
            new DescribeInstancesCommand({
              InstanceIds: [...ids],
              ...(NextToken === undefined ? {} : { NextToken }),
            }),
            { abortSignal },
          ),
        ),
      (page) => page.NextToken,
      (page) => (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []),
    )

  const describeImagesOnce = (ids: ReadonlyArray<string>) =>
    paginate(
      (NextToken) =>
        call("ec2:DescribeImages", (abortSignal) =>
          client.send(
            new DescribeImagesCommand({
              ImageIds: [...ids],
              ...(NextToken === undefined ? {} : { NextToken }),
            }),
            { abortSignal },
          ),
        ),
      (page) => page.NextToken,
      (page) => page.Images ?? [],
    )

  const describeLaunchTemplateVersions = (launchTemplateId: string, versions?: ReadonlyArray<string>) =>
    paginate(
      (NextToken) =>
        call("ec2:DescribeLaunchTemplateVersions", (abortSignal) =>
          client.send(
            new DescribeLaunchTemplateVersionsCommand({
              LaunchTemplateId: launchTemplateId,
              // Versions and MaxResults cannot be combined.
              ...(versions === undefined
                ? { MaxResults: ec2Limits.describeLaunchTemplateVersionsPage }
                : { Versions: [...versions] }),
              ...(NextToken === undefined ? {} : { NextToken }),
            }),
            { abortSignal },
          ),
        ),
      (page) => page.NextToken,
      (page) => page.LaunchTemplateVersions ?? [],
    ).pipe(Effect.map((found) => found.map(launchTemplateVersionView)))

  return Ec2.of({
    describeInstances: (instanceIds) =>
      inBatches(instanceIds, ec2Limits.describeInstancesIds, (ids) =>
        describeKnown(ids, "InvalidInstanceID.NotFound", describeInstancesOnce),
      ).pipe(
        Effect.flatMap((found) => decodeAll(Ec2Instance, "ec2:DescribeInstances")(found.map(instanceView))),
      ),

    describeImages: (query) =>
      (query._tag === "ByIds"
        ? inBatches(query.imageIds, ec2Limits.describeImagesIds, (ids) =>
            describeKnown(ids, "InvalidAMIID.NotFound", describeImagesOnce),
          )
        : paginate(
            (NextToken) =>
              call("ec2:DescribeImages", (abortSignal) =>
                client.send(
                  new DescribeImagesCommand({
                    Owners: [...query.owners],
                    Filters: imageFilters(query),
                    IncludeDeprecated: query.includeDeprecated,
                    MaxResults: ec2Limits.describeImagesPage,
                    ...(NextToken === undefined ? {} : { NextToken }),
                  }),
                  { abortSignal },
                ),
              ),
            (page) => page.NextToken,
            (page) => page.Images ?? [],
          )
      ).pipe(Effect.flatMap((found) => decodeAll(Image, "ec2:DescribeImages")(found.map(imageView)))),

    createTags: (resourceIds, tags) =>
      Effect.forEach(
        chunksOf(resourceIds, ec2Limits.createTagsResources),
        (ids) =>
          call("ec2:CreateTags", (abortSignal) =>
            client.send(new CreateTagsCommand({ Resources: [...ids], Tags: ec2TagList(tags) }), {
              abortSignal,
            }),
          ),
        { discard: true },
      ),

    terminateInstances: (instanceIds) =>
      Effect.forEach(
        chunksOf(instanceIds, ec2Limits.terminateInstancesIds),
        (ids) =>
          call("ec2:TerminateInstances", (abortSignal) =>
            client.send(new TerminateInstancesCommand({ InstanceIds: [...ids] }), { abortSignal }),
          ),
        { discard: true },
      ),

    terminationProtectedIds: (instanceIds) =>
      Effect.forEach(instanceIds, (instanceId) =>
        call("ec2:DescribeInstanceAttribute", (abortSignal) =>
          client.send(
            new DescribeInstanceAttributeCommand({
              InstanceId: instanceId,
              Attribute: "disableApiTermination",
            }),
            { abortSignal },
          ),
        ).pipe(Effect.map((answer) => (answer.DisableApiTermination?.Value === true ? [instanceId] : []))),
      ).pipe(Effect.map((found) => found.flat())),

    describeLaunchTemplate: (ref) => {
      const operation = "ec2:DescribeLaunchTemplates"
      if (ref.id === undefined && ref.name === undefined) {
        return Effect.fail(
          new AwsCallError({
            operation,
            kind: "invalid-parameter",
            code: "MissingParameter",
            message: "a launch template id or name is required",
          }),
        )
      }
      return call(operation, (abortSignal) =>
        client.send(
          new DescribeLaunchTemplatesCommand(
            ref.id === undefined
              ? { LaunchTemplateNames: [ref.name ?? ""] }
              : { LaunchTemplateIds: [ref.id] },
          ),
          { abortSignal },
        ),
      ).pipe(
        Effect.flatMap((output) => {
          const template = output.LaunchTemplates?.[0]
          return template === undefined
            ? Effect.fail(
                new AwsCallError({
                  operation,
                  kind: "not-found",
                  code: "LaunchTemplateNotFound",
                  message: `no launch template ${ref.id ?? ref.name ?? ""}`,
                }),
              )
            : Effect.succeed({
                launchTemplateId: template.LaunchTemplateId ?? "",
                launchTemplateName: template.LaunchTemplateName ?? "",
                defaultVersionNumber: template.DefaultVersionNumber ?? 0,
                latestVersionNumber: template.LatestVersionNumber ?? 0,
              })
        }),
      )
    },

    describeLaunchTemplateVersions,

    createLaunchTemplateVersion: (input) =>
      call("ec2:CreateLaunchTemplateVersion", (abortSignal) =>
        client.send(
          new CreateLaunchTemplateVersionCommand({
            LaunchTemplateId: input.launchTemplateId,
            SourceVersion: input.sourceVersion,
            VersionDescription: input.description,
            LaunchTemplateData: { ImageId: input.imageId },
            // A retried attempt with the same key returns the version the first attempt created.
            ClientToken: input.idempotencyKey,
          }),
          { abortSignal },
        ),
      ).pipe(
        Effect.flatMap((output) =>
          output.LaunchTemplateVersion === undefined
            ? Effect.fail(
                new AwsCallError({
                  operation: "ec2:CreateLaunchTemplateVersion",
                  kind: "unknown",
                  code: "MalformedResponse",
                  message: "CreateLaunchTemplateVersion returned no version",
                }),
              )
            : Effect.succeed(launchTemplateVersionView(output.LaunchTemplateVersion)),
        ),
      ),

    setDefaultLaunchTemplateVersion: (launchTemplateId, versionNumber) =>
      call("ec2:ModifyLaunchTemplate", (abortSignal) =>
        client.send(
          new ModifyLaunchTemplateCommand({
            LaunchTemplateId: launchTemplateId,
            DefaultVersion: String(versionNumber),
          }),
          {
            abortSignal,
          },
        ),
      ).pipe(Effect.asVoid),

    deleteLaunchTemplateVersions: (launchTemplateId, versionNumbers) =>
      Effect.forEach(
        chunksOf(versionNumbers, ec2Limits.deleteLaunchTemplateVersions),
        (numbers) =>
          call("ec2:DeleteLaunchTemplateVersions", (abortSignal) =>
            client.send(
              new DeleteLaunchTemplateVersionsCommand({
                LaunchTemplateId: launchTemplateId,
                Versions: numbers.map(String),
              }),
              {
                abortSignal,
              },
            ),
          ).pipe(
            Effect.flatMap((output) => {
              // A version already gone is what deleting it wanted: deletion stays idempotent on retry.
              const failed = (output.UnsuccessfullyDeletedLaunchTemplateVersions ?? []).filter(
                (entry) => entry.ResponseError?.Code !== "launchTemplateVersionDoesNotExist",
              )
              const first = failed[0]
              return first === undefined
                ? Effect.void
                : Effect.fail(
                    new AwsCallError({
                      operation: "ec2:DeleteLaunchTemplateVersions",
                      kind:
                        first.ResponseError?.Code?.endsWith("DoesNotExist") === true
                          ? "not-found"
                          : "unknown",
                      code: first.ResponseError?.Code ?? "unexpectedError",
                      message: failed
                        .map(
                          (entry) =>
                            `version ${entry.VersionNumber ?? "?"}: ${entry.ResponseError?.Message ?? "not deleted"}`,
                        )
                        .join("; "),
                    }),
                  )
            }),
          ),
        { discard: true },
      ),
  })
}

/** The `Ec2` port on a client built from the default chain and `config`. */
export const Ec2Live = (config: AwsConfig = {}): Layer.Layer<Ec2> =>
  Layer.sync(Ec2, () => makeEc2(makeEc2Client(config)))
