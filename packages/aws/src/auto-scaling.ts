/**
 * The `AutoScaling` port on the AWS SDK: groups, capacity and launch specs, attaching, detaching and
 * terminating instances, process suspension and the legacy launch configurations. Instance ids are batched to each API's limit and every describe is paginated.
 */
import {
  AttachInstancesCommand,
  type AutoScalingClient,
  type AutoScalingGroup as SdkGroup,
  CreateLaunchConfigurationCommand,
  DeleteLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
  DetachInstancesCommand,
  type LaunchConfiguration as SdkLaunchConfiguration,
  type LaunchTemplateSpecification,
  ResumeProcessesCommand,
  SuspendProcessesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
  type UpdateAutoScalingGroupCommandInput,
} from "@aws-sdk/client-auto-scaling"
import {
  AutoScalingGroupDescription,
  AwsCallError,
  type LaunchSpec,
  type LaunchTemplateRef,
} from "@ecs-ami-deploy/domain"
import { AutoScaling, type LaunchConfiguration } from "@ecs-ami-deploy/ports"
import { Effect, Layer } from "effect"
import { chunksOf, decodeAll, epochMillis, inBatches, paginate, request, tagRecord } from "./call.ts"
import { type AwsConfig, makeAutoScalingClient } from "./config.ts"
import { mapAutoScalingError } from "./errors.ts"

/** Every IAM action this module's calls need, one per SDK command it sends. */
export const autoScalingActions = [
  "autoscaling:DescribeAutoScalingGroups",
  "autoscaling:UpdateAutoScalingGroup",
  "autoscaling:AttachInstances",
  "autoscaling:DetachInstances",
  "autoscaling:TerminateInstanceInAutoScalingGroup",
  "autoscaling:SuspendProcesses",
  "autoscaling:ResumeProcesses",
  "autoscaling:DescribeLaunchConfigurations",
  "autoscaling:CreateLaunchConfiguration",
  "autoscaling:DeleteLaunchConfiguration",
] as const
type AutoScalingAction = (typeof autoScalingActions)[number]

/** Per-call limits (AWS API reference); ids beyond them are sent in further calls. */
export const autoScalingLimits = {
  describeGroupsNames: 100,
  describeGroupsPage: 100,
  attachInstancesIds: 20,
  detachInstancesIds: 20,
  describeLaunchConfigurationsNames: 50,
  describeLaunchConfigurationsPage: 100,
} as const

const call = <A>(operation: AutoScalingAction, send: (abortSignal: AbortSignal) => Promise<A>) =>
  request(operation, mapAutoScalingError, send)

const templateRef = (spec: LaunchTemplateSpecification | undefined) => ({
  launchTemplateId: spec?.LaunchTemplateId,
  launchTemplateName: spec?.LaunchTemplateName,
  // An omitted version means the template's default version.
  version: spec?.Version ?? "$Default",
})

const launchSpecView = (group: SdkGroup) => {
  const mixed = group.MixedInstancesPolicy?.LaunchTemplate
  if (mixed !== undefined) {
    return {
      _tag: "MixedInstancesPolicy",
      template: templateRef(mixed.LaunchTemplateSpecification),
      overrides: (mixed.Overrides ?? []).map((override) => ({
        instanceType: override.InstanceType,
        ...(override.LaunchTemplateSpecification === undefined
          ? {}
          : { launchTemplate: templateRef(override.LaunchTemplateSpecification) }),
      })),
    }
  }
  if (group.LaunchTemplate !== undefined)
    return { _tag: "LaunchTemplate", template: templateRef(group.LaunchTemplate) }
  return { _tag: "LaunchConfiguration", launchConfigurationName: group.LaunchConfigurationName }
}

const groupView = (group: SdkGroup) => ({
  name: group.AutoScalingGroupName,
  minSize: group.MinSize,
  maxSize: group.MaxSize,
  desiredCapacity: group.DesiredCapacity,
  availabilityZones: group.AvailabilityZones ?? [],
  suspendedProcesses: (group.SuspendedProcesses ?? []).flatMap((process) =>
    process.ProcessName === undefined ? [] : [process.ProcessName],
  ),
  launchSpec: launchSpecView(group),
  instances: (group.Instances ?? []).map((instance) => ({
    instanceId: instance.InstanceId,
    availabilityZone: instance.AvailabilityZone,
    lifecycleState: instance.LifecycleState,
    healthStatus: instance.HealthStatus,
    protectedFromScaleIn: instance.ProtectedFromScaleIn ?? false,
    instanceType: instance.InstanceType,
  })),
  tags: tagRecord(group.Tags),
})

/** Only a template id or a name may be sent, not both: the id is stable across renames. */
const templateSpecification = (template: LaunchTemplateRef): LaunchTemplateSpecification =>
  template.launchTemplateId === ""
    ? { LaunchTemplateName: template.launchTemplateName, Version: template.version }
    : { LaunchTemplateId: template.launchTemplateId, Version: template.version }

const launchSpecInput = (spec: LaunchSpec): Partial<UpdateAutoScalingGroupCommandInput> => {
  switch (spec._tag) {
    case "LaunchTemplate":
      return { LaunchTemplate: templateSpecification(spec.template) }
    case "LaunchConfiguration":
      return { LaunchConfigurationName: spec.launchConfigurationName }
    case "MixedInstancesPolicy":
      return {
        MixedInstancesPolicy: {
          LaunchTemplate: {
            LaunchTemplateSpecification: templateSpecification(spec.template),
            Overrides: spec.overrides.map((override) => ({
              InstanceType: override.instanceType,
              ...(override.launchTemplate === undefined
                ? {}
                : { LaunchTemplateSpecification: templateSpecification(override.launchTemplate) }),
            })),
          },
        },
      }
  }
}

const launchConfigurationView = (configuration: SdkLaunchConfiguration): LaunchConfiguration => ({
  name: configuration.LaunchConfigurationName ?? "",
  imageId: configuration.ImageId ?? "",
  instanceType: configuration.InstanceType ?? "",
  createdAt: epochMillis(configuration.CreatedTime) ?? 0,
  ...(configuration.IamInstanceProfile === undefined
    ? {}
    : { iamInstanceProfile: configuration.IamInstanceProfile }),
})

/** The fields of a described launch configuration that CreateLaunchConfiguration accepts, minus the name and image. */
const copiedSettings = (source: SdkLaunchConfiguration) => {
  const present = <K extends string, V>(key: K, value: V | undefined | "") =>
    value === undefined || value === "" ? {} : ({ [key]: value } as Record<K, V>)
  return {
    ...present("InstanceType", source.InstanceType),
    ...present("KeyName", source.KeyName),
    ...present("SecurityGroups", source.SecurityGroups),
    // Described user data is already base64, as CreateLaunchConfiguration expects it.
    ...present("UserData", source.UserData),
    ...present("KernelId", source.KernelId),
    ...present("RamdiskId", source.RamdiskId),
    ...present("BlockDeviceMappings", source.BlockDeviceMappings),
    ...present("InstanceMonitoring", source.InstanceMonitoring),
    ...present("SpotPrice", source.SpotPrice),
    ...present("IamInstanceProfile", source.IamInstanceProfile),
    ...present("EbsOptimized", source.EbsOptimized),
    ...present("AssociatePublicIpAddress", source.AssociatePublicIpAddress),
    ...present("PlacementTenancy", source.PlacementTenancy),
    ...present("MetadataOptions", source.MetadataOptions),
  }
}

/** The `AutoScaling` port over the given client. */
export const makeAutoScaling = (client: AutoScalingClient): AutoScaling["Service"] => {
  const describeLaunchConfigurationsRaw = (names?: ReadonlyArray<string>) => {
    const page = (batch: ReadonlyArray<string> | undefined) =>
      paginate(
        (NextToken) =>
          call("autoscaling:DescribeLaunchConfigurations", (abortSignal) =>
            client.send(
              new DescribeLaunchConfigurationsCommand({
                ...(batch === undefined ? {} : { LaunchConfigurationNames: [...batch] }),
                MaxRecords: autoScalingLimits.describeLaunchConfigurationsPage,
                ...(NextToken === undefined ? {} : { NextToken }),
              }),
              { abortSignal },
            ),
          ),
        (output) => output.NextToken,
        (output) => output.LaunchConfigurations ?? [],
      )
    return names === undefined
      ? page(undefined)
      : inBatches(names, autoScalingLimits.describeLaunchConfigurationsNames, page)
  }

  const notFound = (operation: string, code: string, message: string) =>
    new AwsCallError({ operation, kind: "not-found", code, message })

  return AutoScaling.of({
    describeGroups: (names) => {
      const describe = (batch: ReadonlyArray<string> | undefined) =>
        paginate(
          (NextToken) =>
            call("autoscaling:DescribeAutoScalingGroups", (abortSignal) =>
              client.send(
                new DescribeAutoScalingGroupsCommand({
                  ...(batch === undefined ? {} : { AutoScalingGroupNames: [...batch] }),
                  MaxRecords: autoScalingLimits.describeGroupsPage,
                  ...(NextToken === undefined ? {} : { NextToken }),
                }),
                { abortSignal },
              ),
            ),
          (output) => output.NextToken,
          (output) => output.AutoScalingGroups ?? [],
        )
      // No names means every group of the Region, as in AWS.
      return (
        names.length === 0
          ? describe(undefined)
          : inBatches(names, autoScalingLimits.describeGroupsNames, describe)
      ).pipe(
        Effect.flatMap((groups) =>
          decodeAll(
            AutoScalingGroupDescription,
            "autoscaling:DescribeAutoScalingGroups",
          )(groups.map(groupView)),
        ),
      )
    },

    updateGroup: (input) =>
      call("autoscaling:UpdateAutoScalingGroup", (abortSignal) =>
        client.send(
          new UpdateAutoScalingGroupCommand({
            AutoScalingGroupName: input.asgName,
            ...(input.desiredCapacity === undefined ? {} : { DesiredCapacity: input.desiredCapacity }),
            ...(input.minSize === undefined ? {} : { MinSize: input.minSize }),
            ...(input.maxSize === undefined ? {} : { MaxSize: input.maxSize }),
            ...(input.launchSpec === undefined ? {} : launchSpecInput(input.launchSpec)),
          }),
          { abortSignal },
        ),
      ).pipe(Effect.asVoid),

    attachInstances: (asgName, instanceIds) =>
      Effect.forEach(
        chunksOf(instanceIds, autoScalingLimits.attachInstancesIds),
        (ids) =>
          call("autoscaling:AttachInstances", (abortSignal) =>
            client.send(
              new AttachInstancesCommand({ AutoScalingGroupName: asgName, InstanceIds: [...ids] }),
              { abortSignal },
            ),
          ),
        { discard: true },
      ),

    detachInstances: (asgName, instanceIds, decrementDesiredCapacity) =>
      Effect.forEach(
        chunksOf(instanceIds, autoScalingLimits.detachInstancesIds),
        (ids) =>
          call("autoscaling:DetachInstances", (abortSignal) =>
            client.send(
              new DetachInstancesCommand({
                AutoScalingGroupName: asgName,
                InstanceIds: [...ids],
                ShouldDecrementDesiredCapacity: decrementDesiredCapacity,
              }),
              { abortSignal },
            ),
          ),
        { discard: true },
      ),

    terminateInstanceInGroup: (instanceId, decrementDesiredCapacity) =>
      call("autoscaling:TerminateInstanceInAutoScalingGroup", (abortSignal) =>
        client.send(
          new TerminateInstanceInAutoScalingGroupCommand({
            InstanceId: instanceId,
            ShouldDecrementDesiredCapacity: decrementDesiredCapacity,
          }),
          { abortSignal },
        ),
      ).pipe(Effect.asVoid),

    suspendProcesses: (asgName, processes) =>
      call("autoscaling:SuspendProcesses", (abortSignal) =>
        client.send(
          new SuspendProcessesCommand({ AutoScalingGroupName: asgName, ScalingProcesses: [...processes] }),
          { abortSignal },
        ),
      ).pipe(Effect.asVoid),

    resumeProcesses: (asgName, processes) =>
      call("autoscaling:ResumeProcesses", (abortSignal) =>
        client.send(
          new ResumeProcessesCommand({ AutoScalingGroupName: asgName, ScalingProcesses: [...processes] }),
          { abortSignal },
        ),
      ).pipe(Effect.asVoid),

    describeLaunchConfigurations: (names) =>
      Effect.map(describeLaunchConfigurationsRaw(names), (found) => found.map(launchConfigurationView)),

    copyLaunchConfiguration: (input) =>
      Effect.gen(function* () {
        const operation = "autoscaling:CreateLaunchConfiguration"
        const [source] = yield* describeLaunchConfigurationsRaw([input.sourceName])
        if (source === undefined) {
          return yield* Effect.fail(
            notFound(operation, "LaunchConfigurationNotFound", `no launch configuration ${input.sourceName}`),
          )
        }
        yield* call(operation, (abortSignal) =>
          client.send(
            new CreateLaunchConfigurationCommand({
              ...copiedSettings(source),
              LaunchConfigurationName: input.name,
              ImageId: input.imageId,
            }),
            { abortSignal },
          ),
        ).pipe(
          // A retry after a lost response finds its own copy: accepted when it carries the same image.
          Effect.catchIf(
            (error) => error.code === "AlreadyExists",
            (error) =>
              Effect.flatMap(describeLaunchConfigurationsRaw([input.name]), ([existing]) =>
                existing?.ImageId === input.imageId ? Effect.void : Effect.fail(error),
              ),
          ),
        )
        const [created] = yield* describeLaunchConfigurationsRaw([input.name])
        if (created === undefined) {
          return yield* Effect.fail(
            notFound(
              operation,
              "LaunchConfigurationNotFound",
              `launch configuration ${input.name} not visible after creation`,
            ),
          )
        }
        return launchConfigurationView(created)
      }),

    deleteLaunchConfiguration: (name) =>
      call("autoscaling:DeleteLaunchConfiguration", (abortSignal) =>
        client.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: name }), { abortSignal }),
      ).pipe(Effect.asVoid),
  })
}

/** The `AutoScaling` port on a client built from the default chain and `config`. */
export const AutoScalingLive = (config: AwsConfig = {}): Layer.Layer<AutoScaling> =>
  Layer.sync(AutoScaling, () => makeAutoScaling(makeAutoScalingClient(config)))
