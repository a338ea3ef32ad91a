import {
  type ContainerInstance,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListContainerInstancesCommand,
  ListServicesCommand,
  ListTasksCommand,
  type Service,
  UpdateContainerInstancesStateCommand,
} from "@aws-sdk/client-ecs"
import { it } from "@effect/vitest"
import { Effect } from "effect"
import { mockClient } from "aws-sdk-client-mock"
import { beforeEach, describe, expect } from "vitest"
import { numberedIds, sizes } from "../test/fixtures.ts"
import { sdkError } from "../test/sdk-error.ts"
import { ecsLimits } from "@ecs-ami-deploy/ports"
import { makeEcs, taskReservation } from "./ecs.ts"

const ecsMock = mockClient(ECSClient)
const ecs = makeEcs(new ECSClient({ region: "eu-west-1" }))

beforeEach(() => {
  ecsMock.reset()
})

const sdkContainerInstance = (arn: string): ContainerInstance => ({
  containerInstanceArn: arn,
  ec2InstanceId: `i-${arn.slice(-4)}`,
  status: "ACTIVE",
  agentConnected: true,
  runningTasksCount: 2,
  pendingTasksCount: 0,
  registeredResources: [
    { name: "CPU", type: "INTEGER", integerValue: 2048 },
    { name: "MEMORY", type: "INTEGER", integerValue: 7680 },
    { name: "PORTS", type: "STRINGSET", stringSetValue: ["22", "2375", "51678"] },
    { name: "PORTS_UDP", type: "STRINGSET", stringSetValue: [] },
  ],
  remainingResources: [
    { name: "CPU", type: "INTEGER", integerValue: 1024 },
    { name: "MEMORY", type: "INTEGER", integerValue: 5632 },
    { name: "PORTS", type: "STRINGSET", stringSetValue: ["22", "2375", "51678", "8080"] },
  ],
  attributes: [
    { name: "ecs.availability-zone", value: "eu-west-1b" },
    { name: "ecs.cpu-architecture", value: "arm64" },
    { name: "com.amazonaws.ecs.capability.docker-remote-api.1.17" },
  ],
})

describe("containerInstances", () => {
  it.effect("given 250 instances listed over 3 pages, describes them in 3 calls of at most 100", () =>
    Effect.gen(function* () {
      const arns = numberedIds("arn:aws:ecs:eu-west-1:1:container-instance/c/", 250)
      ecsMock
        .on(ListContainerInstancesCommand)
        .resolvesOnce({ containerInstanceArns: arns.slice(0, 100), nextToken: "t1" })
        .resolvesOnce({ containerInstanceArns: arns.slice(100, 200), nextToken: "t2" })
        .resolvesOnce({ containerInstanceArns: arns.slice(200) })
      ecsMock
        .on(DescribeContainerInstancesCommand)
        .callsFake(async (input: { containerInstances: Array<string> }) => ({
          containerInstances: input.containerInstances.map(sdkContainerInstance),
          failures: [],
        }))
      const instances = yield* ecs.containerInstances("c")
      expect(instances.map((instance) => instance.containerInstanceArn)).toEqual(arns)
      expect(ecsMock.commandCalls(ListContainerInstancesCommand).map((call) => call.args[0].input)).toEqual([
        { cluster: "c", maxResults: ecsLimits.listPage },
        { cluster: "c", maxResults: ecsLimits.listPage, nextToken: "t1" },
        { cluster: "c", maxResults: ecsLimits.listPage, nextToken: "t2" },
      ])
      const describes = ecsMock
        .commandCalls(DescribeContainerInstancesCommand)
        .map((call) => call.args[0].input)
      expect(sizes(describes.map((input) => input.containerInstances))).toEqual([100, 100, 50])
      expect(describes.every((input) => input.cluster === "c")).toBe(true)
    }),
  )

  it.effect(
    "given container instance ARNs, describes only those, without listing, and leaves out the MISSING ones",
    () =>
      Effect.gen(function* () {
        ecsMock.on(DescribeContainerInstancesCommand).resolves({
          containerInstances: [sdkContainerInstance("arn:ci/0001")],
          failures: [{ arn: "arn:ci/0002", reason: "MISSING" }],
        })
        const instances = yield* ecs.containerInstances("c", ["arn:ci/0001", "arn:ci/0002"])
        expect(instances.map((instance) => instance.containerInstanceArn)).toEqual(["arn:ci/0001"])
        expect(ecsMock.commandCalls(ListContainerInstancesCommand)).toHaveLength(0)
        expect(
          ecsMock.commandCalls(DescribeContainerInstancesCommand).map((call) => call.args[0].input),
        ).toEqual([{ cluster: "c", containerInstances: ["arn:ci/0001", "arn:ci/0002"] }])
      }),
  )

  it.effect(
    "maps registered and remaining resources, the availability zone attribute and valueless attributes",
    () =>
      Effect.gen(function* () {
        ecsMock.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: ["arn:ci/0001"] })
        ecsMock
          .on(DescribeContainerInstancesCommand)
          .resolves({ containerInstances: [sdkContainerInstance("arn:ci/0001")] })
        const [instance] = yield* ecs.containerInstances("c")
        expect(instance).toEqual({
          containerInstanceArn: "arn:ci/0001",
          ec2InstanceId: "i-0001",
          status: "ACTIVE",
          agentConnected: true,
          registered: { cpu: 2048, memory: 7680, ports: [22, 2375, 51678] },
          remaining: { cpu: 1024, memory: 5632, ports: [22, 2375, 51678, 8080] },
          runningTasksCount: 2,
          pendingTasksCount: 0,
          availabilityZone: "eu-west-1b",
          attributes: {
            "ecs.availability-zone": "eu-west-1b",
            "ecs.cpu-architecture": "arm64",
            "com.amazonaws.ecs.capability.docker-remote-api.1.17": "",
          },
        })
      }),
  )

  it.effect("leaves out an instance deregistered between list and describe (failure MISSING)", () =>
    Effect.gen(function* () {
      ecsMock
        .on(ListContainerInstancesCommand)
        .resolves({ containerInstanceArns: ["arn:ci/0001", "arn:ci/0002"] })
      ecsMock.on(DescribeContainerInstancesCommand).resolves({
        containerInstances: [sdkContainerInstance("arn:ci/0001")],
        failures: [{ arn: "arn:ci/0002", reason: "MISSING" }],
      })
      const instances = yield* ecs.containerInstances("c")
      expect(instances.map((instance) => instance.containerInstanceArn)).toEqual(["arn:ci/0001"])
    }),
  )

  it.effect("given an unknown cluster, fails with not-found", () =>
    Effect.gen(function* () {
      ecsMock
        .on(ListContainerInstancesCommand)
        .rejects(sdkError("ecs", "ClusterNotFoundException", "Cluster not found."))
      const error = yield* Effect.flip(ecs.containerInstances("nope"))
      expect({ kind: error.kind, operation: error.operation }).toEqual({
        kind: "not-found",
        operation: "ecs:ListContainerInstances",
      })
    }),
  )
})

describe("updateContainerInstancesState", () => {
  it.effect("sets DRAINING ten instances at a time", () =>
    Effect.gen(function* () {
      ecsMock.on(UpdateContainerInstancesStateCommand).resolves({ containerInstances: [], failures: [] })
      const arns = numberedIds("arn:ci/", 25)
      yield* ecs.updateContainerInstancesState("c", arns, "DRAINING")
      const inputs = ecsMock
        .commandCalls(UpdateContainerInstancesStateCommand)
        .map((call) => call.args[0].input)
      expect(sizes(inputs.map((input) => input.containerInstances))).toEqual([10, 10, 5])
      expect(inputs.flatMap((input) => input.containerInstances)).toEqual(arns)
      expect(inputs.every((input) => input.status === "DRAINING" && input.cluster === "c")).toBe(true)
    }),
  )

  it.effect("given a failures[] entry, fails with its reason", () =>
    Effect.gen(function* () {
      ecsMock
        .on(UpdateContainerInstancesStateCommand)
        .resolves({ failures: [{ arn: "arn:ci/1", reason: "MISSING" }] })
      const error = yield* Effect.flip(ecs.updateContainerInstancesState("c", ["arn:ci/1"], "DRAINING"))
      expect({ kind: error.kind, code: error.code }).toEqual({ kind: "not-found", code: "MISSING" })
    }),
  )
})

describe("services", () => {
  const sdkService = (name: string, taskDefinition: string): Service => ({
    serviceArn: `arn:svc/${name}`,
    serviceName: name,
    status: "ACTIVE",
    schedulingStrategy: "REPLICA",
    desiredCount: 2,
    runningCount: 2,
    pendingCount: 0,
    taskDefinition,
    deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200 },
    deployments: [
      {
        id: "d-1",
        status: "PRIMARY",
        rolloutState: "COMPLETED",
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
      },
    ],
    placementConstraints: [{ type: "memberOf", expression: "attribute:ecs.cpu-architecture == arm64" }],
    placementStrategy: [{ type: "spread", field: "attribute:ecs.availability-zone" }],
    loadBalancers: [{ targetGroupArn: "arn:tg", containerName: "web", containerPort: 80 }],
  })

  it.effect("describes 15 services in calls of 10 and each distinct task definition once", () =>
    Effect.gen(function* () {
      const names = Array.from({ length: 15 }, (_, index) => `svc-${index}`)
      ecsMock.on(ListServicesCommand).resolves({ serviceArns: names.map((name) => `arn:svc/${name}`) })
      ecsMock.on(DescribeServicesCommand).callsFake(async (input: { services: Array<string> }) => ({
        services: input.services.map((arn) => {
          const name = arn.slice("arn:svc/".length)
          return sdkService(name, Number(name.slice(4)) % 2 === 0 ? "arn:td/web:3" : "arn:td/worker:7")
        }),
      }))
      ecsMock
        .on(DescribeTaskDefinitionCommand, { taskDefinition: "arn:td/web:3" })
        .resolves({
          taskDefinition: {
            networkMode: "bridge",
            containerDefinitions: [
              {
                name: "web",
                cpu: 256,
                memory: 512,
                portMappings: [
                  { containerPort: 80, hostPort: 8080 },
                  { containerPort: 9090, hostPort: 0 },
                ],
              },
              { name: "sidecar", cpu: 128, memoryReservation: 64 },
            ],
          },
        })
        .on(DescribeTaskDefinitionCommand, { taskDefinition: "arn:td/worker:7" })
        .resolves({
          taskDefinition: {
            networkMode: "awsvpc",
            cpu: "1024",
            memory: "2048",
            containerDefinitions: [{ name: "w" }],
          },
        })

      // A fresh client: task definitions are cached per client.
      const freshEcs = makeEcs(new ECSClient({ region: "eu-west-1" }))
      const services = yield* freshEcs.services("c")
      // A task definition revision never changes: a later call reads none again. Given ARNs, nothing is listed.
      yield* freshEcs.services("c", ["arn:svc/svc-0", "arn:svc/svc-1"])

      expect(ecsMock.commandCalls(ListServicesCommand)).toHaveLength(1)
      expect(
        sizes(ecsMock.commandCalls(DescribeServicesCommand).map((call) => call.args[0].input.services)),
      ).toEqual([10, 5, 2])
      expect(
        ecsMock
          .commandCalls(DescribeTaskDefinitionCommand)
          .map((call) => call.args[0].input.taskDefinition)
          .sort(),
      ).toEqual(["arn:td/web:3", "arn:td/worker:7"])
      expect(services[0]).toEqual({
        serviceArn: "arn:svc/svc-0",
        serviceName: "svc-0",
        status: "ACTIVE",
        schedulingStrategy: "REPLICA",
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
        minimumHealthyPercent: 50,
        maximumPercent: 200,
        deployments: [
          {
            id: "d-1",
            status: "PRIMARY",
            rolloutState: "COMPLETED",
            desiredCount: 2,
            runningCount: 2,
            pendingCount: 0,
          },
        ],
        placementConstraints: [{ type: "memberOf", expression: "attribute:ecs.cpu-architecture == arm64" }],
        placementStrategy: [{ type: "spread", field: "attribute:ecs.availability-zone" }],
        loadBalanced: true,
        targetGroupArns: ["arn:tg"],
        taskCpu: 256 + 128,
        taskMemory: 512 + 64,
        taskHostPorts: [8080],
      })
      expect(services[1]).toEqual(
        expect.objectContaining({ taskCpu: 1024, taskMemory: 2048, taskHostPorts: [] }),
      )
    }),
  )
})

describe("taskReservation", () => {
  it("in host network mode, a container port without a host port holds that port on the host", () => {
    expect(
      taskReservation({
        networkMode: "host",
        containerDefinitions: [{ cpu: 10, memory: 20, portMappings: [{ containerPort: 443 }] }],
      }),
    ).toEqual({
      taskCpu: 10,
      taskMemory: 20,
      taskHostPorts: [443],
    })
  })
})

describe("tasks", () => {
  it.effect(
    "lists desired RUNNING and STOPPED tasks, paginated, and describes them in calls of at most 100",
    () =>
      Effect.gen(function* () {
        const running = numberedIds("arn:task/r", 150)
        const stopped = numberedIds("arn:task/s", 10)
        ecsMock
          .on(ListTasksCommand, { desiredStatus: "RUNNING" })
          .resolvesOnce({ taskArns: running.slice(0, 100), nextToken: "more" })
          .resolvesOnce({ taskArns: running.slice(100) })
          .on(ListTasksCommand, { desiredStatus: "STOPPED" })
          .resolves({ taskArns: [...stopped] })
        ecsMock.on(DescribeTasksCommand).callsFake(async (input: { tasks: Array<string> }) => ({
          tasks: input.tasks.map((taskArn) => ({
            taskArn,
            group: "service:web",
            containerInstanceArn: "arn:ci/1",
            lastStatus: taskArn.includes("/s") ? "STOPPED" : "RUNNING",
            desiredStatus: taskArn.includes("/s") ? "STOPPED" : "RUNNING",
            cpu: "256",
            memory: "512",
            containers: [{ networkBindings: [{ hostPort: 8080, containerPort: 80 }] }],
            startedAt: new Date("2026-01-01T00:00:00Z"),
            startedBy: "ecs-svc/123",
          })),
        }))

        const tasks = yield* ecs.tasks("c")

        expect(tasks).toHaveLength(160)
        expect(
          ecsMock
            .commandCalls(ListTasksCommand)
            .map((call) => [call.args[0].input.desiredStatus, call.args[0].input.nextToken]),
        ).toEqual([
          ["RUNNING", undefined],
          ["RUNNING", "more"],
          ["STOPPED", undefined],
        ])
        expect(
          sizes(ecsMock.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input.tasks)),
        ).toEqual([100, 60])
        expect(tasks[0]).toEqual({
          taskArn: running[0],
          group: "service:web",
          serviceName: "web",
          containerInstanceArn: "arn:ci/1",
          lastStatus: "RUNNING",
          desiredStatus: "RUNNING",
          healthStatus: "UNKNOWN",
          cpu: 256,
          memory: 512,
          hostPorts: [8080],
          startedAt: Date.parse("2026-01-01T00:00:00Z"),
          startedBy: "ecs-svc/123",
        })
      }),
  )
})

describe("listTaskArns and describeTasks", () => {
  it.effect(
    "lists one desired status, paginated, and describes given tasks in calls of at most 100, leaving out the MISSING",
    () =>
      Effect.gen(function* () {
        const stopped = numberedIds("arn:task/s", 120)
        ecsMock
          .on(ListTasksCommand, { desiredStatus: "STOPPED" })
          .resolvesOnce({ taskArns: stopped.slice(0, 100), nextToken: "more" })
          .resolvesOnce({ taskArns: stopped.slice(100) })
        ecsMock.on(DescribeTasksCommand).callsFake(async (input: { tasks: Array<string> }) => ({
          tasks: input.tasks
            .filter((taskArn) => taskArn !== stopped[0])
            .map((taskArn) => ({
              taskArn,
              group: "family:batch",
              lastStatus: "STOPPED",
              desiredStatus: "STOPPED",
            })),
          failures: input.tasks.includes(stopped[0] ?? "") ? [{ arn: stopped[0], reason: "MISSING" }] : [],
        }))

        const arns = yield* ecs.listTaskArns("c", "STOPPED")
        const tasks = yield* ecs.describeTasks("c", arns)

        expect(arns).toEqual(stopped)
        expect(
          ecsMock.commandCalls(ListTasksCommand).map((call) => call.args[0].input.desiredStatus),
        ).toEqual(["STOPPED", "STOPPED"])
        expect(
          sizes(ecsMock.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input.tasks)),
        ).toEqual([100, 20])
        expect(tasks.map((task) => task.taskArn)).toEqual(stopped.slice(1))
      }),
  )
})

describe("clusters", () => {
  it.effect("listClusters follows nextToken and returns cluster names", () =>
    Effect.gen(function* () {
      ecsMock
        .on(ListClustersCommand)
        .resolvesOnce({ clusterArns: ["arn:aws:ecs:eu-west-1:1:cluster/a"], nextToken: "n" })
        .resolvesOnce({ clusterArns: ["arn:aws:ecs:eu-west-1:1:cluster/b"] })
      expect(yield* ecs.listClusters()).toEqual(["a", "b"])
    }),
  )

  it.effect("describeCluster fails with not-found for a missing cluster and for an INACTIVE one", () =>
    Effect.gen(function* () {
      ecsMock
        .on(DescribeClustersCommand)
        .resolvesOnce({ clusters: [], failures: [{ arn: "arn:cluster/gone", reason: "MISSING" }] })
        .resolvesOnce({ clusters: [{ clusterName: "old", status: "INACTIVE" }] })
      const missing = yield* Effect.flip(ecs.describeCluster("gone"))
      const inactive = yield* Effect.flip(ecs.describeCluster("old"))
      expect([missing.kind, inactive.kind]).toEqual(["not-found", "not-found"])
      expect(inactive.code).toBe("INACTIVE")
    }),
  )

  it.effect("describeCapacityProviders reads the group name from the ARN and the managed features", () =>
    Effect.gen(function* () {
      ecsMock.on(DescribeCapacityProvidersCommand).resolves({
        capacityProviders: [
          {
            name: "cp-ec2",
            autoScalingGroupProvider: {
              autoScalingGroupArn:
                "arn:aws:autoscaling:eu-west-1:1:autoScalingGroup:0f1e:autoScalingGroupName/ecs-nodes",
              managedScaling: { status: "ENABLED" },
              managedTerminationProtection: "ENABLED",
              managedDraining: "DISABLED",
            },
          },
          { name: "FARGATE" },
        ],
      })
      expect(yield* ecs.describeCapacityProviders(["cp-ec2", "FARGATE"])).toEqual([
        {
          name: "cp-ec2",
          asgName: "ecs-nodes",
          managedScaling: true,
          managedTerminationProtection: true,
          managedDraining: false,
        },
        {
          name: "FARGATE",
          managedScaling: false,
          managedTerminationProtection: false,
          managedDraining: false,
        },
      ])
    }),
  )
})
