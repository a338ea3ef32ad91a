/**
 * `snapshot`: reads a real cluster (nothing is changed) and writes it as a simulator scenario, so
 * `simulate --scenario FILE` rehearses the rollout on a faithful copy — same groups, sizes, zones,
 * launch specs, images, services (counts, percents, task sizes, ports, placement) and standalone
 * tasks. It is built on the executor's own observation step, so the copy is what a run would see.
 *
 * What a snapshot cannot know is approximated and said so in the README: earlier launch template
 * versions (all versions carry the current image), instances of mixed images (the most common one),
 * capacity provider settings beyond their name, and how long standalone tasks still run (forever).
 */
import { Effect, Layer } from "effect"
import { Command, Flag } from "effect/cli"
import { writeFileSync } from "node:fs"
import { resolve } from "node:path"
import { observeCluster } from "@ecs-ami-deploy/executor"
import { Plugins } from "@ecs-ami-deploy/strategies"
import { builtInLaunchSpecStrategies, defaultEcsImageParameter, type Image } from "ecs-ami-deploy"
import { makeSimulation, type Scenario } from "ecs-ami-deploy/simulator"
import { onRootTarget } from "./command-support.ts"
import { ConsoleIo, line } from "./console-io.ts"
import { CliFailure, ExitCode } from "./failure.ts"
import { amiFlags, amiSourceOf } from "./flags.ts"

type ClusterSnapshot = Effect.Success<ReturnType<typeof observeCluster>>
type ScenarioGroup = Scenario["groups"][number]
type LaunchSpec = ScenarioGroup["launchSpec"]
type ScenarioImage = Scenario["images"][number]

/** The account that owns Amazon's ECS-optimized AMIs: a scenario names it by its alias. */
const amazonImageOwner = "591542846629"

/** For a group without instances, whose type the snapshot cannot see. */
const defaultInstanceType = "m5.large"

const mostCommon = <A>(values: ReadonlyArray<A>): A | undefined => {
  const counts = new Map<A, number>()
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1)
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]
}

/** An image as a scenario holds it; ECS container instances are x86_64 or arm64, so other architectures are left out. */
const scenarioImage = (image: Image): ReadonlyArray<ScenarioImage> =>
  image.architecture === "x86_64" || image.architecture === "arm64"
    ? [
        {
          imageId: image.imageId,
          name: image.name,
          owner: image.ownerId === amazonImageOwner ? "amazon" : image.ownerId,
          creationDate: new Date(image.creationDate).toISOString(),
          architecture: image.architecture,
          ...(image.deprecationTime === undefined
            ? {}
            : { deprecationDate: new Date(image.deprecationTime).toISOString() }),
          state: image.state === "deregistered" ? "deregistered" : "available",
        },
      ]
    : []

/** A launch template with as many versions as the group's reference needs, each on the group's current image. */
const templateOf = (
  spec: Extract<LaunchSpec, { readonly template: unknown }>,
  imageId: string,
  instanceType: string,
): Scenario["launchTemplates"][number] => {
  const pinned = Number(spec.template.version)
  const versions = Number.isInteger(pinned) && pinned > 0 ? pinned : 1
  return {
    launchTemplateId: spec.template.launchTemplateId,
    launchTemplateName: spec.template.launchTemplateName,
    versions: Array.from({ length: versions }, () => ({ imageId, instanceType })),
    defaultVersion: versions,
  }
}

/** The scenario a snapshot describes. */
export const scenarioOf = (snapshot: ClusterSnapshot): Scenario => {
  const clusterName = snapshot.clusterName
  const instanceById = new Map(snapshot.instances.map((instance) => [instance.instanceId, instance]))
  const groups = snapshot.groups.map(
    (group): { readonly scenario: ScenarioGroup; readonly instanceType: string } => {
      const members = group.instances
        .map((member) => instanceById.get(member.instanceId))
        .filter((instance) => instance !== undefined)
      const instanceType =
        mostCommon(group.instances.map((member) => member.instanceType)) ?? defaultInstanceType
      const runningImage = mostCommon(members.map((instance) => instance.imageId))
      return {
        instanceType,
        scenario: {
          name: group.name,
          clusterName,
          minSize: group.minSize,
          maxSize: group.maxSize,
          desiredCapacity: group.desiredCapacity,
          availabilityZones: group.availabilityZones,
          launchSpec: group.launchSpec,
          suspendedProcesses: group.suspendedProcesses,
          tags: group.tags,
          ...(runningImage === undefined || runningImage === group.launchSpecImageId
            ? {}
            : { initialImageId: runningImage }),
          initialStandby: group.instances.filter((member) => member.lifecycleState === "Standby").length,
          initialProtected: group.instances.filter((member) => member.protectedFromScaleIn).length,
        },
      }
    },
  )
  const instanceTypeOf = new Map(groups.map((group) => [group.scenario.name, group.instanceType]))
  const images = [
    ...new Map(
      [...snapshot.images, snapshot.targetImage]
        .flatMap(scenarioImage)
        .map((image) => [image.imageId, image]),
    ).values(),
  ]
  return {
    name: `snapshot-${clusterName}`,
    description: `cluster ${clusterName} as observed at ${new Date(snapshot.observedAt).toISOString()} (ecs-ami-deploy snapshot)`,
    startTime: new Date(snapshot.observedAt).toISOString(),
    images,
    ssmParameters: [{ name: defaultEcsImageParameter, value: snapshot.targetImage.imageId }],
    launchTemplates: snapshot.groups.flatMap((group) =>
      group.launchSpec._tag === "LaunchConfiguration"
        ? []
        : [
            templateOf(
              group.launchSpec,
              group.launchSpecImageId,
              instanceTypeOf.get(group.name) ?? defaultInstanceType,
            ),
          ],
    ),
    launchConfigurations: snapshot.groups.flatMap((group) =>
      group.launchSpec._tag === "LaunchConfiguration"
        ? [
            {
              name: group.launchSpec.launchConfigurationName,
              imageId: group.launchSpecImageId,
              instanceType: instanceTypeOf.get(group.name) ?? defaultInstanceType,
            },
          ]
        : [],
    ),
    clusters: [
      {
        name: clusterName,
        capacityProviders: snapshot.groups.flatMap((group) =>
          group.capacityProvider === undefined ? [] : [{ ...group.capacityProvider, asgName: group.name }],
        ),
      },
    ],
    groups: groups.map((group) => group.scenario),
    services: snapshot.services
      .filter((service) => service.status === "ACTIVE")
      .map((service) => ({
        clusterName,
        name: service.serviceName,
        schedulingStrategy: service.schedulingStrategy,
        desiredCount: service.desiredCount,
        minimumHealthyPercent: service.minimumHealthyPercent,
        maximumPercent: service.maximumPercent,
        cpu: service.taskCpu,
        memory: service.taskMemory,
        hostPorts: service.taskHostPorts,
        loadBalanced: service.loadBalanced,
        placementStrategy: service.placementStrategy,
        placementConstraints: service.placementConstraints,
      })),
    standaloneTasks: snapshot.tasks
      .filter(
        (task) =>
          task.serviceName === undefined && task.desiredStatus !== "STOPPED" && task.lastStatus !== "STOPPED",
      )
      .map((task) => ({
        clusterName,
        group: task.group,
        cpu: task.cpu,
        memory: task.memory,
        ...(task.startedBy === undefined ? {} : { startedBy: task.startedBy }),
      })),
  }
}

const snapshotCommand = Command.make(
  "snapshot",
  {
    cluster: Flag.String("cluster").pipe(
      Flag.withAlias("c"),
      Flag.withDescription("the ECS cluster to copy"),
    ),
    out: Flag.String("out").pipe(
      Flag.withDescription("the scenario file to write (default: <cluster>.scenario.json)"),
      Flag.optional,
    ),
    ...amiFlags,
  },
  (flags) =>
    onRootTarget(({ root }) =>
      Effect.gen(function* () {
        const io = yield* ConsoleIo
        const amiSource = yield* amiSourceOf(flags)
        const snapshot = yield* observeCluster(flags.cluster).pipe(
          Effect.provide(
            Layer.succeed(Plugins, { amiSource, launchSpecStrategies: builtInLaunchSpecStrategies() }),
          ),
        )
        const scenario = scenarioOf(snapshot)
        // The file must replay: check it against the simulator's own schema and model before writing it.
        yield* Effect.try({
          try: () => makeSimulation(scenario),
          catch: (error) =>
            new CliFailure({
              exitCode: ExitCode.failed,
              problem: `the cluster does not fit the simulator's scenario model: ${error instanceof Error ? error.message : String(error)}`,
              fix: "report this with the cluster's shape; nothing was written",
            }),
        })
        const path = resolve(
          io.cwd,
          flags.out._tag === "Some" ? flags.out.value : `${flags.cluster}.scenario.json`,
        )
        writeFileSync(path, `${JSON.stringify(scenario, null, 2)}\n`)
        if (root.output === "json")
          yield* line(
            JSON.stringify({
              type: "snapshot",
              path,
              groups: scenario.groups.length,
              services: scenario.services.length,
            }),
          )
        else {
          yield* line(
            `wrote ${path}: ${scenario.groups.length} group(s), ${snapshot.instances.length} instance(s), ${scenario.services.length} service(s), ${scenario.standaloneTasks.length} standalone task(s)`,
          )
          yield* line(`rehearse the rollout with: ecs-ami-deploy simulate --scenario ${path}`)
        }
        return ExitCode.success
      }),
    ),
).pipe(
  Command.withDescription(
    "Copy a cluster into a simulator scenario file (reads only), to rehearse its rollout with `simulate --scenario FILE`.",
  ),
  Command.withExamples([
    { command: "ecs-ami-deploy snapshot --cluster prod", description: "write prod.scenario.json" },
    { command: "ecs-ami-deploy simulate --scenario prod.scenario.json", description: "rehearse its rollout" },
  ]),
)

export const snapshotCommands = [snapshotCommand] as const
