/**
 * The `Ecs` port on the AWS SDK: clusters, capacity providers, container instances, services and
 * tasks, and the two mutations a rollout needs (draining container instances, stopping a task).
 * Lists are paginated at 100; describes are batched to each API's limit; a resource that vanished
 * between list and describe (`failures[]` reason `MISSING`) is left out, any other failure fails the call.
 */
import {
  type Container,
  type ContainerInstance as SdkContainerInstance,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type DesiredStatus,
  type ECSClient,
  type Failure,
  ListClustersCommand,
  ListContainerInstancesCommand,
  ListServicesCommand,
  ListTasksCommand,
  type Resource,
  type Service as SdkService,
  StopTaskCommand,
  type Task as SdkTask,
  type TaskDefinition,
  UpdateContainerInstancesStateCommand,
} from "@aws-sdk/client-ecs"
import { AwsCallError, ContainerInstance, Service, Task } from "@ecs-ami-deploy/domain"
import { type CapacityProvider, type ClusterDescription, Ecs, ecsLimits } from "@ecs-ami-deploy/ports"
import { Effect, Layer } from "effect"
import { chunksOf, decodeAll, epochMillis, inBatches, paginate, request } from "./call.ts"
import { type AwsConfig, makeEcsClient } from "./config.ts"
import { ecsFailuresError, mapEcsError } from "./errors.ts"

/** Every IAM action this module's calls need, one per SDK command it sends. */
export const ecsActions = [
  "ecs:ListClusters",
  "ecs:DescribeClusters",
  "ecs:DescribeCapacityProviders",
  "ecs:ListContainerInstances",
  "ecs:DescribeContainerInstances",
  "ecs:ListServices",
  "ecs:DescribeServices",
  "ecs:DescribeTaskDefinition",
  "ecs:ListTasks",
  "ecs:DescribeTasks",
  "ecs:UpdateContainerInstancesState",
  "ecs:StopTask",
] as const
type EcsAction = (typeof ecsActions)[number]

const call = <A>(operation: EcsAction, send: (abortSignal: AbortSignal) => Promise<A>) =>
  request(operation, mapEcsError, send)

/** Fails on any failure but `MISSING`: a resource deleted since it was listed is simply not there. */
const failUnlessMissing = (
  operation: EcsAction,
  failures: ReadonlyArray<Failure> | undefined,
): Effect.Effect<void, AwsCallError> => {
  const serious = (failures ?? []).filter((failure) => failure.reason !== "MISSING")
  return serious.length === 0 ? Effect.void : Effect.fail(ecsFailuresError(operation, serious))
}

const lastArnSegment = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1)

const integerResource = (resources: ReadonlyArray<Resource> | undefined, name: string) =>
  resources?.find((resource) => resource.name === name)?.integerValue ?? 0

const resourcesView = (resources: ReadonlyArray<Resource> | undefined) => ({
  cpu: integerResource(resources, "CPU"),
  memory: integerResource(resources, "MEMORY"),
  ports: (resources?.find((resource) => resource.name === "PORTS")?.stringSetValue ?? []).map(Number),
})

const containerInstanceView = (instance: SdkContainerInstance) => {
  const attributes = Object.fromEntries(
    (instance.attributes ?? []).map((attribute) => [attribute.name, attribute.value ?? ""]),
  )
  return {
    containerInstanceArn: instance.containerInstanceArn,
    ec2InstanceId: instance.ec2InstanceId,
    status: instance.status,
    agentConnected: instance.agentConnected ?? false,
    registered: resourcesView(instance.registeredResources),
    remaining: resourcesView(instance.remainingResources),
    runningTasksCount: instance.runningTasksCount ?? 0,
    pendingTasksCount: instance.pendingTasksCount ?? 0,
    availabilityZone: attributes["ecs.availability-zone"],
    attributes,
  }
}

/** What one task of a definition reserves on a container instance. */
export const taskReservation = (definition: TaskDefinition) => {
  const containers = definition.containerDefinitions ?? []
  const sum = (values: ReadonlyArray<number>) => values.reduce((total, value) => total + value, 0)
  // Task-level sizes win; without them the scheduler reserves the sum of the containers' own.
  const cpu =
    definition.cpu === undefined
      ? sum(containers.map((container) => container.cpu ?? 0))
      : Number(definition.cpu)
  const memory =
    definition.memory === undefined
      ? sum(containers.map((container) => container.memory ?? container.memoryReservation ?? 0))
      : Number(definition.memory)
  // awsvpc tasks get their own network interface: they hold no host port. In host mode the host
  // port is the container port; in bridge mode a missing or zero host port is a dynamic one.
  const hostPorts =
    definition.networkMode === "awsvpc"
      ? []
      : containers.flatMap((container) =>
          (container.portMappings ?? []).flatMap((mapping) => {
            const port =
              definition.networkMode === "host"
                ? (mapping.hostPort ?? mapping.containerPort)
                : mapping.hostPort
            return port === undefined || port === 0 ? [] : [port]
          }),
        )
  return { taskCpu: cpu, taskMemory: memory, taskHostPorts: hostPorts }
}

const serviceView = (service: SdkService, definition: TaskDefinition) => {
  const daemon = service.schedulingStrategy === "DAEMON"
  return {
    serviceArn: service.serviceArn,
    serviceName: service.serviceName,
    status: service.status,
    schedulingStrategy: service.schedulingStrategy ?? "REPLICA",
    desiredCount: service.desiredCount,
    runningCount: service.runningCount,
    pendingCount: service.pendingCount,
    // ECS's documented defaults when the deployment configuration leaves them out.
    minimumHealthyPercent: service.deploymentConfiguration?.minimumHealthyPercent ?? (daemon ? 0 : 100),
    maximumPercent: service.deploymentConfiguration?.maximumPercent ?? (daemon ? 100 : 200),
    deployments: (service.deployments ?? []).map((deployment) => ({
      id: deployment.id,
      status: deployment.status,
      // Deployments not run by the ECS deployment controller carry no rollout state: derived from the counts.
      rolloutState:
        deployment.rolloutState ??
        (deployment.runningCount === deployment.desiredCount ? "COMPLETED" : "IN_PROGRESS"),
      desiredCount: deployment.desiredCount,
      runningCount: deployment.runningCount,
      pendingCount: deployment.pendingCount,
      ...(deployment.failedTasks === undefined ? {} : { failedTasks: deployment.failedTasks }),
    })),
    placementConstraints: (service.placementConstraints ?? []).map((constraint) => ({
      type: constraint.type,
      ...(constraint.expression === undefined ? {} : { expression: constraint.expression }),
    })),
    placementStrategy: (service.placementStrategy ?? []).map((strategy) => ({
      type: strategy.type,
      ...(strategy.field === undefined ? {} : { field: strategy.field }),
    })),
    loadBalanced: (service.loadBalancers ?? []).length > 0,
    // A classic load balancer has a name instead of a target group: ELBv2 cannot describe it.
    targetGroupArns: [
      ...new Set((service.loadBalancers ?? []).flatMap((balancer) => balancer.targetGroupArn ?? [])),
    ],
    ...taskReservation(definition),
  }
}

const hostPortsOf = (containers: ReadonlyArray<Container> | undefined) =>
  (containers ?? []).flatMap((container) =>
    (container.networkBindings ?? []).flatMap((binding) =>
      binding.hostPort === undefined || binding.hostPort === 0 ? [] : [binding.hostPort],
    ),
  )

const taskView = (task: SdkTask) => {
  const group = task.group ?? ""
  const startedAt = epochMillis(task.startedAt)
  return {
    taskArn: task.taskArn,
    group,
    ...(group.startsWith("service:") ? { serviceName: group.slice("service:".length) } : {}),
    ...(task.containerInstanceArn === undefined ? {} : { containerInstanceArn: task.containerInstanceArn }),
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    healthStatus: task.healthStatus ?? "UNKNOWN",
    cpu: Number(task.cpu ?? 0),
    memory: Number(task.memory ?? 0),
    hostPorts: hostPortsOf(task.containers),
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(task.startedBy === undefined ? {} : { startedBy: task.startedBy }),
  }
}

/** Every cluster status but INACTIVE, which the port reports as `not-found`. */
const liveClusterStatuses = ["ACTIVE", "PROVISIONING", "DEPROVISIONING", "FAILED"] as const
const isLiveCluster = (status: string | undefined): status is (typeof liveClusterStatuses)[number] =>
  liveClusterStatuses.some((live) => live === status)

const asgNameFromArn = (arn: string | undefined) => {
  const marker = "autoScalingGroupName/"
  const at = arn?.indexOf(marker) ?? -1
  return arn === undefined || at < 0 ? undefined : arn.slice(at + marker.length)
}

/** The `Ecs` port over the given client. */
export const makeEcs = (client: ECSClient): Ecs["Service"] => {
  const listArns = <Page extends { readonly nextToken?: string | undefined }>(
    operation: EcsAction,
    send: (nextToken: string | undefined, abortSignal: AbortSignal) => Promise<Page>,
    arns: (page: Page) => ReadonlyArray<string> | undefined,
  ) =>
    paginate(
      (nextToken) => call(operation, (abortSignal) => send(nextToken, abortSignal)),
      (page) => page.nextToken,
      (page) => arns(page) ?? [],
    )

  const page = (nextToken: string | undefined) => ({
    maxResults: ecsLimits.listPage,
    ...(nextToken === undefined ? {} : { nextToken }),
  })

  const listContainerInstanceArns = (cluster: string) =>
    listArns(
      "ecs:ListContainerInstances",
      (nextToken, abortSignal) =>
        client.send(new ListContainerInstancesCommand({ cluster, ...page(nextToken) }), { abortSignal }),
      (output) => output.containerInstanceArns,
    )

  const listTaskArns = (
    cluster: string,
    desiredStatus: DesiredStatus,
  ): Effect.Effect<ReadonlyArray<string>, AwsCallError> =>
    listArns(
      "ecs:ListTasks",
      (nextToken, abortSignal) =>
        client.send(new ListTasksCommand({ cluster, desiredStatus, ...page(nextToken) }), { abortSignal }),
      (output) => output.taskArns,
    )

  const describeTasks = (clusterName: string, arns: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const described = yield* inBatches(arns, ecsLimits.describeTasks, (batch) =>
        call("ecs:DescribeTasks", (abortSignal) =>
          client.send(new DescribeTasksCommand({ cluster: clusterName, tasks: [...batch] }), { abortSignal }),
        ).pipe(
          Effect.tap((output) => failUnlessMissing("ecs:DescribeTasks", output.failures)),
          Effect.map((output) => output.tasks ?? []),
        ),
      )
      return yield* decodeAll(Task, "ecs:DescribeTasks")(described.map(taskView))
    })

  // A task definition revision never changes (its ARN names the revision): each is read once per client.
  const taskDefinitions = new Map<string, TaskDefinition>()
  const describeTaskDefinition = (taskDefinition: string) => {
    const known = taskDefinitions.get(taskDefinition)
    return known === undefined
      ? readTaskDefinition(taskDefinition)
      : Effect.succeed([taskDefinition, known] as const)
  }

  const readTaskDefinition = (taskDefinition: string) =>
    call("ecs:DescribeTaskDefinition", (abortSignal) =>
      client.send(new DescribeTaskDefinitionCommand({ taskDefinition }), { abortSignal }),
    ).pipe(
      Effect.flatMap(({ taskDefinition: definition }) =>
        definition === undefined
          ? Effect.fail(
              new AwsCallError({
                operation: "ecs:DescribeTaskDefinition",
                kind: "not-found",
                code: "MISSING",
                message: `no task definition ${taskDefinition}`,
              }),
            )
          : Effect.sync(() => {
              taskDefinitions.set(taskDefinition, definition)
              return [taskDefinition, definition] as const
            }),
      ),
    )

  return Ecs.of({
    listClusters: () =>
      listArns(
        "ecs:ListClusters",
        (nextToken, abortSignal) => client.send(new ListClustersCommand(page(nextToken)), { abortSignal }),
        (output) => output.clusterArns,
      ).pipe(Effect.map((arns) => arns.map(lastArnSegment))),

    describeCluster: (clusterName) =>
      call("ecs:DescribeClusters", (abortSignal) =>
        client.send(new DescribeClustersCommand({ clusters: [clusterName] }), { abortSignal }),
      ).pipe(
        Effect.flatMap((output): Effect.Effect<ClusterDescription, AwsCallError> => {
          const cluster = output.clusters?.[0]
          const status = cluster?.status
          if (cluster === undefined || !isLiveCluster(status)) {
            const failures = output.failures ?? []
            return Effect.fail(
              failures.length > 0
                ? ecsFailuresError("ecs:DescribeClusters", failures)
                : new AwsCallError({
                    operation: "ecs:DescribeClusters",
                    kind: "not-found",
                    code: cluster?.status ?? "MISSING",
                    message: `cluster ${clusterName} is ${cluster?.status ?? "missing"}`,
                  }),
            )
          }
          return Effect.succeed({
            clusterName: cluster.clusterName ?? clusterName,
            status,
            capacityProviders: cluster.capacityProviders ?? [],
            registeredContainerInstancesCount: cluster.registeredContainerInstancesCount ?? 0,
            runningTasksCount: cluster.runningTasksCount ?? 0,
            pendingTasksCount: cluster.pendingTasksCount ?? 0,
            activeServicesCount: cluster.activeServicesCount ?? 0,
          })
        }),
      ),

    describeCapacityProviders: (names) =>
      inBatches(names, ecsLimits.describeCapacityProviders, (batch) =>
        paginate(
          (nextToken) =>
            call("ecs:DescribeCapacityProviders", (abortSignal) =>
              client.send(
                new DescribeCapacityProvidersCommand({
                  capacityProviders: [...batch],
                  ...(nextToken === undefined ? {} : { nextToken }),
                }),
                { abortSignal },
              ),
            ).pipe(
              Effect.tap((output) => failUnlessMissing("ecs:DescribeCapacityProviders", output.failures)),
            ),
          (output) => output.nextToken,
          (output) => output.capacityProviders ?? [],
        ),
      ).pipe(
        Effect.map((providers) =>
          providers.map((provider): CapacityProvider => {
            const asg = provider.autoScalingGroupProvider
            const asgName = asgNameFromArn(asg?.autoScalingGroupArn)
            return {
              name: provider.name ?? "",
              ...(asgName === undefined ? {} : { asgName }),
              managedScaling: asg?.managedScaling?.status === "ENABLED",
              managedTerminationProtection: asg?.managedTerminationProtection === "ENABLED",
              managedDraining: asg?.managedDraining === "ENABLED",
            }
          }),
        ),
      ),

    containerInstances: (clusterName, containerInstanceArns) =>
      Effect.gen(function* () {
        // Without a status filter ECS lists every status but INACTIVE (deregistered instances, which it cannot list).
        const arns = containerInstanceArns ?? (yield* listContainerInstanceArns(clusterName))
        const described = yield* inBatches(arns, ecsLimits.describeContainerInstances, (batch) =>
          call("ecs:DescribeContainerInstances", (abortSignal) =>
            client.send(
              new DescribeContainerInstancesCommand({ cluster: clusterName, containerInstances: [...batch] }),
              { abortSignal },
            ),
          ).pipe(
            Effect.tap((output) => failUnlessMissing("ecs:DescribeContainerInstances", output.failures)),
            Effect.map((output) => output.containerInstances ?? []),
          ),
        )
        return yield* decodeAll(
          ContainerInstance,
          "ecs:DescribeContainerInstances",
        )(described.map(containerInstanceView))
      }),

    services: (clusterName, serviceArns) =>
      Effect.gen(function* () {
        const arns =
          serviceArns ??
          (yield* listArns(
            "ecs:ListServices",
            (nextToken, abortSignal) =>
              client.send(new ListServicesCommand({ cluster: clusterName, ...page(nextToken) }), {
                abortSignal,
              }),
            (output) => output.serviceArns,
          ))
        const described = yield* inBatches(arns, ecsLimits.describeServices, (batch) =>
          call("ecs:DescribeServices", (abortSignal) =>
            client.send(new DescribeServicesCommand({ cluster: clusterName, services: [...batch] }), {
              abortSignal,
            }),
          ).pipe(
            Effect.tap((output) => failUnlessMissing("ecs:DescribeServices", output.failures)),
            Effect.map((output) => output.services ?? []),
          ),
        )
        // One DescribeTaskDefinition per distinct definition in this call, however many services share it.
        const definitionArns = [
          ...new Set(
            described.flatMap((service) =>
              service.taskDefinition === undefined ? [] : [service.taskDefinition],
            ),
          ),
        ]
        const definitions = new Map(yield* Effect.forEach(definitionArns, describeTaskDefinition))
        const views = described.map((service) =>
          serviceView(service, definitions.get(service.taskDefinition ?? "") ?? {}),
        )
        return yield* decodeAll(Service, "ecs:DescribeServices")(views)
      }),

    tasks: (clusterName) =>
      Effect.gen(function* () {
        const running = yield* listTaskArns(clusterName, "RUNNING")
        const stopped = yield* listTaskArns(clusterName, "STOPPED")
        return yield* describeTasks(clusterName, [...new Set([...running, ...stopped])])
      }),

    listTaskArns,
    describeTasks,

    updateContainerInstancesState: (clusterName, containerInstanceArns, status) =>
      Effect.forEach(
        chunksOf(containerInstanceArns, ecsLimits.updateContainerInstancesState),
        (batch) =>
          call("ecs:UpdateContainerInstancesState", (abortSignal) =>
            client.send(
              new UpdateContainerInstancesStateCommand({
                cluster: clusterName,
                containerInstances: [...batch],
                status,
              }),
              {
                abortSignal,
              },
            ),
          ).pipe(
            Effect.flatMap((output) =>
              (output.failures ?? []).length === 0
                ? Effect.void
                : Effect.fail(ecsFailuresError("ecs:UpdateContainerInstancesState", output.failures ?? [])),
            ),
          ),
        { discard: true },
      ),

    stopTask: (clusterName, taskArn, reason) =>
      call("ecs:StopTask", (abortSignal) =>
        client.send(new StopTaskCommand({ cluster: clusterName, task: taskArn, reason }), { abortSignal }),
      ).pipe(Effect.asVoid),
  })
}

/** The `Ecs` port on a client built from the default chain and `config`. */
export const EcsLive = (config: AwsConfig = {}): Layer.Layer<Ecs> =>
  Layer.sync(Ecs, () => makeEcs(makeEcsClient(config)))
