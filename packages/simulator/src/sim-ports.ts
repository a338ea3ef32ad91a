/**
 * The AWS ports (Ec2, AutoScaling, Ecs, Ssm, CloudWatch, LoadBalancing, Identity, Iam) implemented over the simulated world. Every call is
 * logged (time, operation, mutating or not, inputs, outcome) before faults are applied, may wait a
 * simulated latency, may hang (an injected hung call: abandoned by a caller that gives up, it changes
 * nothing), may be refused by injected throttling or 5xx faults (nothing changes then), and
 * otherwise runs against the world; a `Refusal` becomes an `AwsCallError` with an AWS-like code.
 * Like the AWS adapters, the ports split id lists to each API's limit (Attach/DetachInstances ≤ 20 ids,
 * UpdateContainerInstancesState ≤ 10) and count one AWS request per batch;
 * the world itself refuses an oversized request, as AWS does.
 */
import {
  AwsCallError,
  type AsgInstance,
  type AutoScalingGroupDescription,
  type ContainerInstance,
  type Ec2Instance,
  type Image,
  type Service,
  type Task,
} from "@ecs-ami-deploy/domain"
import {
  AutoScaling,
  CloudWatch,
  Ec2,
  Ecs,
  Iam,
  Identity,
  LoadBalancing,
  Ssm,
  type ImageQuery,
  type LaunchTemplateVersion,
} from "@ecs-ami-deploy/ports"
import { Duration, Effect, Layer } from "effect"
import { makeSimulatedCloudWatch, type ScenarioAlarm } from "./alarms.ts"
import { makeSimulatedIam } from "./sim-iam.ts"
import { makeSimulatedLoadBalancing, targetGroupArnOf } from "./target-groups.ts"
import type { VirtualClock } from "./virtual-clock.ts"
import {
  Refusal,
  type ContainerInstanceRecord,
  type GroupRecord,
  type ImageRecord,
  type InstanceRecord,
  type ServiceRecord,
  type TaskRecord,
  type TemplateRecord,
  type TemplateVersionRecord,
} from "./records.ts"
import type { World } from "./world.ts"
import { memberRecords } from "./world/auto-scaling.ts"
import {
  attachInstances,
  detachInstances,
  setProcesses,
  terminateInstanceInGroup,
  updateGroup,
} from "./world/auto-scaling-requests.ts"
import { isVisible, terminateInstances } from "./world/ec2.ts"
import { templateVersion } from "./world/launch-specs.ts"
import { apiFaultFor, drawApiLatencyMs, type ApiFault } from "./world/faults.ts"
import {
  batchCount,
  logSucceededRequest,
  pages,
  recordMeasurements,
  type CallRecord,
} from "./world/measurements.ts"
import {
  clusterNamed,
  remainingResources,
  updateContainerInstancesState,
} from "./world/container-instances.ts"
import { serviceTasks } from "./world/ecs-scheduler.ts"
import { stopTask } from "./world/tasks.ts"

export type SimulatedPorts = Ec2 | AutoScaling | Ecs | Ssm | CloudWatch | LoadBalancing | Identity | Iam

/** Applies `apply` to consecutive slices of at most `size` ids, as the AWS adapters do. */
const inBatches = (
  ids: ReadonlyArray<string>,
  size: number,
  apply: (batch: ReadonlyArray<string>) => void,
): void => {
  for (let start = 0; start < ids.length; start += size) apply(ids.slice(start, start + size))
}

/** Builds the port services over `world`, recording every call in `callLog`. */
export const makeSimulatedPorts = (
  world: World,
  clock: VirtualClock,
  callLog: Array<CallRecord>,
  alarms: ReadonlyArray<ScenarioAlarm> = [],
): Layer.Layer<SimulatedPorts> => {
  const readDefinitions = new Set<string>()
  const hangsToCome = [...(world.faults.hungCalls ?? [])]

  const call = <A>(
    operation: string,
    mutating: boolean,
    input: unknown,
    run: () => A,
    requestsFor: (result: A) => Readonly<Record<string, number>> = () => ({ [operation]: 1 }),
  ): Effect.Effect<A, AwsCallError> => {
    const log = (outcome: string, awsRequests: Readonly<Record<string, number>>, madeAt?: number) =>
      callLog.push({
        at: world.now,
        operation,
        mutating,
        input: structuredClone(input),
        outcome,
        awsRequests,
        ...(madeAt === undefined ? {} : { madeAt }),
      })
    // A hung call: no answer for the fault's duration; a caller that gives up first abandons the request.
    const hang = Effect.suspend(() => {
      const index = hangsToCome.findIndex(
        (fault) => fault.operation === operation && world.now - world.startTime >= fault.atMs,
      )
      if (index < 0) return Effect.void
      const [fault] = hangsToCome.splice(index, 1)
      const madeAt = world.now
      return clock
        .sleep(Duration.millis(fault?.durationMs ?? 0))
        .pipe(Effect.onInterrupt(() => Effect.sync(() => log("abandoned", { [operation]: 1 }, madeAt))))
    })
    const wait =
      world.faults.apiLatency === undefined
        ? Effect.void
        : Effect.suspend(() => clock.sleep(Duration.millis(drawApiLatencyMs(world))))
    const attempt = Effect.suspend((): Effect.Effect<A, AwsCallError> => {
      clock.noteActivity()
      const refuse = ({ kind, code, message }: ApiFault) => {
        log(code, { [operation]: 1 })
        return Effect.fail(new AwsCallError({ operation, kind, code, message }))
      }
      const fault = apiFaultFor(world, operation)
      if (fault !== undefined) return refuse(fault)
      try {
        const result = run()
        recordMeasurements(world)
        log("ok", requestsFor(result))
        return Effect.succeed(result)
      } catch (error) {
        if (error instanceof Refusal) return refuse(error)
        throw error
      }
    })
    return Effect.andThen(Effect.andThen(hang, wait), attempt)
  }

  const ec2 = Ec2.of({
    describeInstances: (instanceIds) =>
      call("ec2:DescribeInstances", false, { instanceIds }, () =>
        instanceIds
          .map((id) => world.instances.get(id))
          .filter((i): i is InstanceRecord => i !== undefined && isVisible(world, i))
          .map(instanceView),
      ),
    describeImages: (query) => call("ec2:DescribeImages", false, query, () => describeImages(world, query)),
    createTags: (resourceIds, tags) =>
      call("ec2:CreateTags", true, { resourceIds, tags }, () => {
        const reserved = Object.keys(tags).filter((key) => key.toLowerCase().startsWith("aws:"))
        if (reserved.length > 0)
          throw new Refusal(
            "invalid-parameter",
            "InvalidParameterValue",
            `Tag keys starting with 'aws:' are reserved for internal use: ${reserved.join(", ")}`,
          )
        const records = resourceIds.map((id) => {
          const instance = world.instances.get(id)
          if (instance === undefined || !isVisible(world, instance)) {
            throw new Refusal(
              "not-found",
              "InvalidInstanceID.NotFound",
              `The instance ID '${id}' does not exist`,
            )
          }
          return instance
        })
        for (const instance of records) Object.assign(instance.tags, tags)
      }),
    terminationProtectedIds: (instanceIds) =>
      Effect.forEach(instanceIds, (instanceId) =>
        call(
          "ec2:DescribeInstanceAttribute",
          false,
          { instanceId, attribute: "disableApiTermination" },
          () => {
            const instance = world.instances.get(instanceId)
            if (instance === undefined || !isVisible(world, instance))
              throw new Refusal(
                "not-found",
                "InvalidInstanceID.NotFound",
                `The instance ID '${instanceId}' does not exist`,
              )
            return instance.terminationProtected ? [instanceId] : []
          },
        ),
      ).pipe(Effect.map((found) => found.flat())),
    terminateInstances: (instanceIds) =>
      call("ec2:TerminateInstances", true, { instanceIds }, () => terminateInstances(world, instanceIds)),
    describeLaunchTemplate: (ref) =>
      call("ec2:DescribeLaunchTemplates", false, ref, () => {
        const template = findTemplate(world, ref)
        return {
          launchTemplateId: template.launchTemplateId,
          launchTemplateName: template.launchTemplateName,
          defaultVersionNumber: template.defaultVersion,
          latestVersionNumber: template.latestVersion,
        }
      }),
    describeLaunchTemplateVersions: (launchTemplateId, versions) =>
      call("ec2:DescribeLaunchTemplateVersions", false, { launchTemplateId, versions }, () => {
        const template = findTemplate(world, { id: launchTemplateId })
        const records =
          versions === undefined
            ? [...template.versions.values()]
            : versions.map((v) => templateVersion(template, v))
        return records.map((record) => templateVersionView(template, record))
      }),
    createLaunchTemplateVersion: (input) =>
      call("ec2:CreateLaunchTemplateVersion", true, input, () => {
        const template = findTemplate(world, { id: input.launchTemplateId })
        if (input.idempotencyKey.length > 64) {
          throw new Refusal(
            "invalid-parameter",
            "InvalidParameterValue",
            "ClientToken must be at most 64 characters",
          )
        }
        const request = JSON.stringify([input.sourceVersion, input.imageId, input.description])
        const previous = template.clientTokens.get(input.idempotencyKey)
        if (previous !== undefined) {
          if (previous.request !== request) {
            throw new Refusal(
              "invalid-parameter",
              "IdempotentParameterMismatch",
              "The client token was already used with different parameters",
            )
          }
          return templateVersionView(template, templateVersion(template, String(previous.versionNumber)))
        }
        const source = templateVersion(template, input.sourceVersion)
        const versionNumber = template.latestVersion + 1
        const created = {
          versionNumber,
          imageId: input.imageId,
          instanceType: source.instanceType,
          ...(source.iamInstanceProfile === undefined
            ? {}
            : { iamInstanceProfile: source.iamInstanceProfile }),
          description: input.description,
          createdAt: world.now,
        }
        template.versions.set(versionNumber, created)
        template.latestVersion = versionNumber
        template.clientTokens.set(input.idempotencyKey, { versionNumber, request })
        return templateVersionView(template, created)
      }),
    setDefaultLaunchTemplateVersion: (launchTemplateId, versionNumber) =>
      call("ec2:ModifyLaunchTemplate", true, { launchTemplateId, versionNumber }, () => {
        const template = findTemplate(world, { id: launchTemplateId })
        templateVersion(template, String(versionNumber))
        template.defaultVersion = versionNumber
      }),
    deleteLaunchTemplateVersions: (launchTemplateId, versionNumbers) =>
      call("ec2:DeleteLaunchTemplateVersions", true, { launchTemplateId, versionNumbers }, () => {
        const template = findTemplate(world, { id: launchTemplateId })
        for (const version of versionNumbers) {
          if (version === template.defaultVersion) {
            throw new Refusal(
              "invalid-parameter",
              "launchTemplateVersionIsDefault",
              `Version ${version} is the default version and cannot be deleted`,
            )
          }
          templateVersion(template, String(version))
        }
        for (const version of versionNumbers) template.versions.delete(version)
      }),
  })

  const autoScaling = AutoScaling.of({
    describeGroups: (names) =>
      call(
        "autoscaling:DescribeAutoScalingGroups",
        false,
        { names },
        () =>
          names.flatMap((name) => {
            const group = world.groups.get(name)
            return group === undefined ? [] : [groupView(world, group)]
          }),
        () => ({ "autoscaling:DescribeAutoScalingGroups": pages(names.length, 100) }),
      ),
    updateGroup: (input) =>
      call("autoscaling:UpdateAutoScalingGroup", true, input, () => updateGroup(world, input)),
    attachInstances: (asgName, instanceIds) =>
      call(
        "autoscaling:AttachInstances",
        true,
        { asgName, instanceIds },
        () => inBatches(instanceIds, 20, (batch) => attachInstances(world, asgName, batch)),
        () => ({ "autoscaling:AttachInstances": batchCount(instanceIds, 20) }),
      ),
    detachInstances: (asgName, instanceIds, decrementDesiredCapacity) =>
      call(
        "autoscaling:DetachInstances",
        true,
        { asgName, instanceIds, decrementDesiredCapacity },
        () =>
          inBatches(instanceIds, 20, (batch) =>
            detachInstances(world, asgName, batch, decrementDesiredCapacity),
          ),
        () => ({ "autoscaling:DetachInstances": batchCount(instanceIds, 20) }),
      ),
    terminateInstanceInGroup: (instanceId, decrementDesiredCapacity) =>
      call(
        "autoscaling:TerminateInstanceInAutoScalingGroup",
        true,
        { instanceId, decrementDesiredCapacity },
        () => terminateInstanceInGroup(world, instanceId, decrementDesiredCapacity),
      ),
    suspendProcesses: (asgName, processes) =>
      call("autoscaling:SuspendProcesses", true, { asgName, processes }, () =>
        setProcesses(world, asgName, processes, true),
      ),
    resumeProcesses: (asgName, processes) =>
      call("autoscaling:ResumeProcesses", true, { asgName, processes }, () =>
        setProcesses(world, asgName, processes, false),
      ),
    describeLaunchConfigurations: (names) =>
      call("autoscaling:DescribeLaunchConfigurations", false, { names }, () =>
        [...world.launchConfigurations.values()]
          .filter((c) => names === undefined || names.includes(c.name))
          .map((c) => ({ ...c })),
      ),
    copyLaunchConfiguration: (input) =>
      call("autoscaling:CreateLaunchConfiguration", true, input, () => {
        const source = world.launchConfigurations.get(input.sourceName)
        if (source === undefined)
          throw new Refusal(
            "invalid-parameter",
            "ValidationError",
            `Launch configuration ${input.sourceName} not found`,
          )
        if (world.launchConfigurations.has(input.name)) {
          throw new Refusal(
            "conflict",
            "AlreadyExists",
            `Launch Configuration by this name already exists - ${input.name}`,
          )
        }
        const created = {
          name: input.name,
          imageId: input.imageId,
          instanceType: source.instanceType,
          ...(source.iamInstanceProfile === undefined
            ? {}
            : { iamInstanceProfile: source.iamInstanceProfile }),
          createdAt: world.now,
        }
        world.launchConfigurations.set(input.name, created)
        return { ...created }
      }),
    deleteLaunchConfiguration: (name) =>
      call("autoscaling:DeleteLaunchConfiguration", true, { name }, () => {
        if (!world.launchConfigurations.has(name))
          throw new Refusal("invalid-parameter", "ValidationError", `Launch configuration ${name} not found`)
        const inUse = [...world.groups.values()].some(
          (g) => g.launchSpec._tag === "LaunchConfiguration" && g.launchSpec.launchConfigurationName === name,
        )
        if (inUse)
          throw new Refusal(
            "conflict",
            "ResourceInUse",
            `Cannot delete launch configuration ${name} because it is attached to AutoScalingGroup`,
          )
        world.launchConfigurations.delete(name)
      }),
  })

  const ecs = Ecs.of({
    listClusters: () => call("ecs:ListClusters", false, {}, () => [...world.clusters.keys()]),
    describeCluster: (clusterName) =>
      call("ecs:DescribeClusters", false, { clusterName }, () => {
        const cluster = clusterNamed(world, clusterName)
        const instances = [...world.containerInstances.values()].filter(
          (ci) => ci.clusterName === clusterName,
        )
        const tasks = [...world.tasks.values()].filter((t) => t.clusterName === clusterName)
        return {
          clusterName,
          status: "ACTIVE" as const,
          capacityProviders: cluster.capacityProviders.map((p) => p.name),
          registeredContainerInstancesCount: instances.filter((ci) => ci.status !== "INACTIVE").length,
          runningTasksCount: tasks.filter((t) => t.lastStatus === "RUNNING").length,
          pendingTasksCount: tasks.filter(
            (t) => t.lastStatus === "PENDING" || t.lastStatus === "PROVISIONING",
          ).length,
          activeServicesCount: [...world.services.values()].filter((s) => s.clusterName === clusterName)
            .length,
        }
      }),
    describeCapacityProviders: (names) =>
      call("ecs:DescribeCapacityProviders", false, { names }, () =>
        [...world.clusters.values()]
          .flatMap((c) => c.capacityProviders)
          .filter((p) => names.includes(p.name))
          .map((p) => ({
            name: p.name,
            asgName: p.asgName,
            managedScaling: p.managedScaling,
            managedTerminationProtection: p.managedTerminationProtection,
            managedDraining: p.managedDraining,
          })),
      ),
    containerInstances: (clusterName, containerInstanceArns) =>
      call(
        "ecs:DescribeContainerInstances",
        false,
        { clusterName, ...(containerInstanceArns === undefined ? {} : { containerInstanceArns }) },
        () => {
          clusterNamed(world, clusterName)
          // ListContainerInstances without a status filter lists every status but INACTIVE (deregistered);
          // DescribeContainerInstances by ARN reports a deregistered one as a MISSING failure (absent here).
          const wanted = containerInstanceArns === undefined ? undefined : new Set(containerInstanceArns)
          return [...world.containerInstances.values()]
            .filter(
              (ci) =>
                ci.clusterName === clusterName &&
                ci.status !== "INACTIVE" &&
                (wanted === undefined || wanted.has(ci.containerInstanceArn)),
            )
            .map((ci) => containerInstanceView(world, ci))
        },
        (found) =>
          containerInstanceArns === undefined
            ? {
                "ecs:ListContainerInstances": pages(found.length, 100),
                "ecs:DescribeContainerInstances": pages(found.length, 100, false),
              }
            : { "ecs:DescribeContainerInstances": pages(containerInstanceArns.length, 100, false) },
      ),
    services: (clusterName, serviceArns) =>
      call(
        "ecs:DescribeServices",
        false,
        { clusterName, serviceArns },
        () => {
          clusterNamed(world, clusterName)
          return [...world.services.values()]
            .filter(
              (s) =>
                s.clusterName === clusterName &&
                (serviceArns === undefined || serviceArns.includes(s.serviceArn)),
            )
            .map((s) => serviceView(world, s))
        },
        (found) => {
          // One DescribeTaskDefinition per definition these ports have not read before (the adapter
          // caches them by ARN: a revision never changes); a simulated service has one definition.
          const unread = found.filter((service) => !readDefinitions.has(service.serviceArn))
          for (const service of unread) readDefinitions.add(service.serviceArn)
          return {
            ...(serviceArns === undefined ? { "ecs:ListServices": pages(found.length, 100) } : {}),
            "ecs:DescribeServices": pages(serviceArns?.length ?? found.length, 10, false),
            ...(unread.length === 0 ? {} : { "ecs:DescribeTaskDefinition": unread.length }),
          }
        },
      ),
    tasks: (clusterName) =>
      call(
        "ecs:DescribeTasks",
        false,
        { clusterName },
        () => {
          clusterNamed(world, clusterName)
          return [...world.tasks.values()].filter((t) => t.clusterName === clusterName).map(taskView)
        },
        (found) => {
          // ListTasks lists one desired status at a time: RUNNING, then STOPPED.
          const stopped = found.filter((t) => t.desiredStatus === "STOPPED").length
          return {
            "ecs:ListTasks": pages(found.length - stopped, 100) + pages(stopped, 100),
            "ecs:DescribeTasks": pages(found.length, 100, false),
          }
        },
      ),
    listTaskArns: (clusterName, desiredStatus) =>
      call(
        "ecs:ListTasks",
        false,
        { clusterName, desiredStatus },
        () => {
          clusterNamed(world, clusterName)
          return [...world.tasks.values()]
            .filter((t) => t.clusterName === clusterName && t.desiredStatus === desiredStatus)
            .map((t) => t.taskArn)
        },
        (found) => ({ "ecs:ListTasks": pages(found.length, 100) }),
      ),
    describeTasks: (clusterName, taskArns) =>
      call(
        "ecs:DescribeTasks",
        false,
        { clusterName, taskArns },
        () => {
          clusterNamed(world, clusterName)
          return taskArns.flatMap((arn) => {
            const task = world.tasks.get(arn)
            return task === undefined || task.clusterName !== clusterName ? [] : [taskView(task)]
          })
        },
        () => ({ "ecs:DescribeTasks": pages(taskArns.length, 100, false) }),
      ),
    updateContainerInstancesState: (clusterName, containerInstanceArns, status) =>
      call(
        "ecs:UpdateContainerInstancesState",
        true,
        { clusterName, containerInstanceArns, status },
        () =>
          inBatches(containerInstanceArns, 10, (batch) =>
            updateContainerInstancesState(world, clusterName, batch, status),
          ),
        () => ({ "ecs:UpdateContainerInstancesState": batchCount(containerInstanceArns, 10) }),
      ),
    stopTask: (clusterName, taskArn, reason) =>
      call("ecs:StopTask", true, { clusterName, taskArn, reason }, () => {
        clusterNamed(world, clusterName)
        const task = world.tasks.get(taskArn)
        if (task === undefined || task.clusterName !== clusterName)
          throw new Refusal(
            "invalid-parameter",
            "InvalidParameterException",
            "The referenced task was not found.",
          )
        stopTask(world, task, reason)
      }),
  })

  const ssm = Ssm.of({
    getParameter: (name) =>
      call("ssm:GetParameter", false, { name }, () => {
        const parameter = world.ssmParameters.get(name)
        if (parameter === undefined)
          throw new Refusal("not-found", "ParameterNotFound", `Parameter ${name} not found.`)
        return { ...parameter }
      }),
  })

  // STS answers from the scenario's account and Region. Logged as the request it is, but outside the
  // fault model (which injects EC2, Auto Scaling, ECS and SSM failures).
  const identity = Identity.of({
    callerIdentity: Effect.sync(() => {
      logSucceededRequest(world, callLog, "sts:GetCallerIdentity", false, {})
      return {
        accountId: world.accountId,
        arn: `arn:aws:iam::${world.accountId}:user/simulated-operator`,
        region: world.region,
      }
    }),
  })

  return Layer.mergeAll(
    Layer.succeed(Ec2, ec2),
    Layer.succeed(AutoScaling, autoScaling),
    Layer.succeed(Ecs, ecs),
    Layer.succeed(Ssm, ssm),
    Layer.succeed(Identity, identity),
    Layer.succeed(CloudWatch, makeSimulatedCloudWatch(world, alarms, call)),
    Layer.succeed(LoadBalancing, makeSimulatedLoadBalancing(world, call)),
    Layer.succeed(Iam, makeSimulatedIam(world, callLog)),
  )
}

const findTemplate = (
  world: World,
  ref: { readonly id?: string; readonly name?: string },
): TemplateRecord => {
  const template = [...world.templates.values()].find(
    (t) => t.launchTemplateId === ref.id || t.launchTemplateName === ref.name,
  )
  if (template === undefined) {
    throw new Refusal(
      "not-found",
      "InvalidLaunchTemplateId.NotFound",
      `The specified launch template, with template ID ${ref.id ?? ref.name ?? "?"}, does not exist.`,
    )
  }
  return template
}

const templateVersionView = (
  template: TemplateRecord,
  record: TemplateVersionRecord,
): LaunchTemplateVersion => ({
  launchTemplateId: template.launchTemplateId,
  versionNumber: record.versionNumber,
  imageId: record.imageId,
  instanceType: record.instanceType,
  createdAt: record.createdAt,
  isDefault: record.versionNumber === template.defaultVersion,
  ...(record.description === undefined ? {} : { description: record.description }),
  ...(record.iamInstanceProfile === undefined ? {} : { iamInstanceProfile: record.iamInstanceProfile }),
})

/** `*` matches any run of characters, `?` one character, as in EC2 name filters. */
export const globMatches = (pattern: string, value: string): boolean => {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replaceAll("*", ".*")
    .replaceAll("?", ".")
  return new RegExp(`^${escaped}$`).test(value)
}

const describeImages = (world: World, query: ImageQuery): Array<Image> => {
  const all = [...world.images.values()]
  if (query._tag === "ByIds") {
    return query.imageIds.flatMap((id) => {
      const image = world.images.get(id)
      return image === undefined ? [] : [imageView(image)]
    })
  }
  return all
    .filter(
      (image) =>
        image.state === "available" &&
        globMatches(query.namePattern, image.name) &&
        (query.owners.length === 0 ||
          query.owners.some((owner) => owner === image.ownerId || owner === image.ownerAlias)) &&
        (query.architecture === undefined || query.architecture === image.architecture) &&
        Object.entries(query.tags ?? {}).every(([key, value]) => image.tags[key] === value) &&
        (query.includeDeprecated || image.deprecationTime === undefined || image.deprecationTime > world.now),
    )
    .map(imageView)
}

const imageView = (image: ImageRecord): Image => ({
  imageId: image.imageId,
  name: image.name,
  ownerId: image.ownerId,
  creationDate: image.creationDate,
  architecture: image.architecture,
  ...(image.deprecationTime === undefined ? {} : { deprecationTime: image.deprecationTime }),
  state: image.state,
  tags: { ...image.tags },
})

const instanceView = (instance: InstanceRecord): Ec2Instance => ({
  instanceId: instance.instanceId,
  imageId: instance.imageId,
  instanceType: instance.instanceType,
  architecture: instance.architecture,
  availabilityZone: instance.availabilityZone,
  state: instance.state,
  launchTime: instance.launchTime,
  lifecycle: instance.lifecycle,
  // Like EC2: DescribeInstances does not report DisableApiTermination (DescribeInstanceAttribute does).
  terminationProtected: false,
  tags: { ...instance.tags },
})

export const groupView = (world: World, group: GroupRecord): AutoScalingGroupDescription => {
  const instances: Array<AsgInstance> = memberRecords(world, group).map((instance) => ({
    instanceId: instance.instanceId,
    availabilityZone: instance.availabilityZone,
    lifecycleState: instance.membership.lifecycle,
    healthStatus: instance.membership.health,
    protectedFromScaleIn: instance.membership.protectedFromScaleIn,
    instanceType: instance.instanceType,
  }))
  return {
    name: group.name,
    minSize: group.minSize,
    maxSize: group.maxSize,
    desiredCapacity: group.desiredCapacity,
    availabilityZones: [...group.availabilityZones],
    suspendedProcesses: [...group.suspendedProcesses].sort(),
    launchSpec: group.launchSpec,
    instances,
    tags: { ...group.tags },
  }
}

export const containerInstanceView = (world: World, ci: ContainerInstanceRecord): ContainerInstance => {
  const tasks = [...ci.taskArns]
    .map((arn) => world.tasks.get(arn))
    .filter((t): t is TaskRecord => t !== undefined)
  const instance = world.instances.get(ci.ec2InstanceId)
  const remaining = remainingResources(ci)
  return {
    containerInstanceArn: ci.containerInstanceArn,
    ec2InstanceId: ci.ec2InstanceId,
    status: ci.status,
    agentConnected: ci.agentConnected,
    registered: { cpu: ci.registered.cpu, memory: ci.registered.memory, ports: [...ci.registered.ports] },
    remaining: {
      cpu: Math.max(0, remaining.cpu),
      memory: Math.max(0, remaining.memory),
      ports: [...remaining.ports],
    },
    runningTasksCount: tasks.filter((t) => t.lastStatus === "RUNNING").length,
    pendingTasksCount: tasks.filter((t) => t.lastStatus === "PENDING" || t.lastStatus === "PROVISIONING")
      .length,
    availabilityZone: ci.availabilityZone,
    attributes: {
      "ecs.availability-zone": ci.availabilityZone,
      "ecs.instance-type": instance?.instanceType ?? "",
      "ecs.ami-id": instance?.imageId ?? "",
    },
  }
}

/** The stop reason of a task that failed its health check (world.ts). */
const FAILED_HEALTH_CHECK = "Task failed ELB health checks"

export const serviceView = (world: World, service: ServiceRecord): Service => {
  const tasks = serviceTasks(world, service)
  const runningCount = tasks.filter((t) => t.lastStatus === "RUNNING").length
  const pendingCount = tasks.filter(
    (t) => t.lastStatus === "PENDING" || t.lastStatus === "PROVISIONING",
  ).length
  return {
    serviceArn: service.serviceArn,
    serviceName: service.serviceName,
    status: "ACTIVE",
    schedulingStrategy: service.schedulingStrategy,
    desiredCount: service.desiredCount,
    runningCount,
    pendingCount,
    minimumHealthyPercent: service.minimumHealthyPercent,
    maximumPercent: service.maximumPercent,
    deployments: [
      {
        id: `ecs-svc/${service.serviceName}`,
        status: "PRIMARY",
        rolloutState: "COMPLETED",
        desiredCount: service.desiredCount,
        runningCount,
        pendingCount,
        // ECS counts tasks stopped for failing their health checks; the model counts those still
        // retained (never reset by a success, unlike ECS's consecutive count).
        failedTasks: tasks.filter((t) => t.stopReason === FAILED_HEALTH_CHECK).length,
      },
    ],
    placementConstraints: service.placementConstraints.map((c) => ({ ...c })),
    placementStrategy: service.placementStrategy.map((s) => ({ ...s })),
    loadBalanced: service.loadBalanced,
    targetGroupArns: service.loadBalanced ? [targetGroupArnOf(world, service)] : [],
    taskCpu: service.cpu,
    taskMemory: service.memory,
    taskHostPorts: [...service.hostPorts],
  }
}

export const taskView = (task: TaskRecord): Task => ({
  taskArn: task.taskArn,
  group: task.group,
  ...(task.serviceKey === undefined ? {} : { serviceName: task.group.slice("service:".length) }),
  ...(task.containerInstanceArn === undefined ? {} : { containerInstanceArn: task.containerInstanceArn }),
  lastStatus: task.lastStatus,
  desiredStatus: task.desiredStatus,
  healthStatus: task.health,
  cpu: task.cpu,
  memory: task.memory,
  hostPorts: [...task.hostPorts],
  ...(task.startedAt === undefined ? {} : { startedAt: task.startedAt }),
  ...(task.startedBy === undefined ? {} : { startedBy: task.startedBy }),
})
