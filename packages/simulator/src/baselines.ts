/**
 * Two reference rollout algorithms, written as Effect programs against the ports, to compare with
 * ecs-ami-deploy on the same simulated world:
 *
 * - the Go tool's (docs seed-analysis.md, "Its algorithm"): detach every instance in one call with
 *   replacement, wait for InService ≥ MinSize and registered == 2 × desired, then force-deregister
 *   and terminate the old instances one at a time behind cluster-wide stability waits. Its defects are
 *   kept on purpose: the single DetachInstances call fails above 20 ids (the run then stops, as the Go
 *   tool did), one DescribeInstances per instance, forced deregistration orphans tasks.
 * - ASG instance refresh: a new launch template version, then StartInstanceRefresh (MinHealthyPercentage
 *   90, instance warmup 300 s) run by the simulated Auto Scaling group, which terminates without draining.
 */
import type { AwsCallError } from "@ecs-ami-deploy/domain"
import { AutoScaling, Ec2, Ecs, type LaunchTemplateVersion } from "@ecs-ami-deploy/ports"
import { Clock, Data, Effect, Layer } from "effect"
import { defaultImageNameFilter } from "./scenarios.ts"
import type { SimulatedPorts } from "./sim-ports.ts"
import type { Simulation } from "./simulation.ts"

export interface BaselineOutcome {
  readonly algorithm: "go-tool" | "instance-refresh"
  readonly status: "completed" | "failed"
  /** Why it failed (an AWS error code, a timeout, ...). */
  readonly failure?: string
  /** Simulated milliseconds from start to end. */
  readonly durationMs: number
  /** What the algorithm did, in order, with simulated times. */
  readonly steps: ReadonlyArray<{ readonly at: number; readonly step: string }>
}

/** A baseline gave up (timeout, nothing to do with, unsupported setup). */
class BaselineStopped extends Data.TaggedError("BaselineStopped")<{ readonly reason: string }> {}

export interface GoToolOptions {
  readonly clusterName: string
  readonly imageNameFilter?: string
  /** `--polling-interval-seconds` (default 5 s). */
  readonly pollIntervalMs?: number
  /** `--polling-timeout-minutes` (default 15 min), per wait. */
  readonly pollTimeoutMs?: number
}

const newestImage = (filter: string) =>
  Effect.gen(function* () {
    const ec2 = yield* Ec2
    const images = yield* ec2.describeImages({
      _tag: "ByFilter",
      namePattern: filter,
      owners: ["amazon"],
      includeDeprecated: false,
    })
    const newest = [...images].sort((a, b) => b.creationDate - a.creationDate)[0]
    // The Go tool dereferenced nil here and crashed.
    if (newest === undefined)
      return yield* new BaselineStopped({ reason: `no image matches ${filter} (the Go tool panics here)` })
    return newest
  })

/** Polls `check` every `intervalMs` until it holds; fails after `timeoutMs`. */
const pollUntil = <E>(
  what: string,
  intervalMs: number,
  timeoutMs: number,
  check: Effect.Effect<boolean, E, SimulatedPorts>,
) =>
  Effect.gen(function* () {
    for (;;) {
      if (yield* check) return
      yield* Effect.sleep(intervalMs)
    }
  }).pipe(
    Effect.timeoutOrElse({
      duration: timeoutMs,
      orElse: () => Effect.fail(new BaselineStopped({ reason: `timed out waiting for ${what}` })),
    }),
  )

/** Runs a baseline program against the simulation and turns its ending into an outcome. */
const runBaseline = (
  sim: Simulation,
  algorithm: BaselineOutcome["algorithm"],
  program: (
    step: (text: string) => Effect.Effect<void>,
  ) => Effect.Effect<void, AwsCallError | BaselineStopped, SimulatedPorts>,
): Effect.Effect<BaselineOutcome> =>
  Effect.gen(function* () {
    const steps: Array<{ at: number; step: string }> = []
    const startedAt = yield* Clock.currentTimeMillis
    const step = (text: string) =>
      Effect.map(Clock.currentTimeMillis, (at) => void steps.push({ at, step: text }))
    const exit = yield* Effect.exit(program(step))
    const endedAt = yield* Clock.currentTimeMillis
    const base = { algorithm, durationMs: endedAt - startedAt, steps }
    if (exit._tag === "Success") return { ...base, status: "completed" as const }
    const error = exit.cause.reasons.find((reason) => reason._tag === "Fail")?.error
    const failure =
      error === undefined
        ? "interrupted or defect"
        : error._tag === "AwsCallError"
          ? `${error.operation}: ${error.code} ${error.message}`
          : error.reason
    return { ...base, status: "failed" as const, failure }
  }).pipe(Effect.provide(Layer.merge(sim.layer, sim.clockLayer)))

/** The Go tool's `upgrade-cluster` on the simulated world. */
export const runGoToolBaseline = (sim: Simulation, options: GoToolOptions): Effect.Effect<BaselineOutcome> =>
  runBaseline(sim, "go-tool", (step) =>
    Effect.gen(function* () {
      const ec2 = yield* Ec2
      const autoScaling = yield* AutoScaling
      const ecs = yield* Ecs
      const cluster = options.clusterName
      const interval = options.pollIntervalMs ?? 5_000
      const timeout = options.pollTimeoutMs ?? 15 * 60_000

      const containerInstances = (yield* ecs.containerInstances(cluster)).filter(
        (ci) => ci.status !== "INACTIVE",
      )
      const first = containerInstances[0]
      if (first === undefined)
        return yield* new BaselineStopped({ reason: "cluster has no container instances" })
      const [firstInstance] = yield* ec2.describeInstances([first.ec2InstanceId])
      const asgName = firstInstance?.tags["aws:autoscaling:groupName"]
      if (asgName === undefined)
        return yield* new BaselineStopped({
          reason: "first container instance has no Auto Scaling group tag",
        })
      const [group] = yield* autoScaling.describeGroups([asgName])
      if (group === undefined) return yield* new BaselineStopped({ reason: `group ${asgName} not found` })
      if (group.launchSpec._tag !== "LaunchTemplate")
        return yield* new BaselineStopped({ reason: "the Go tool (v2+) supports launch templates only" })
      const templateId = group.launchSpec.template.launchTemplateId
      const [latest] = yield* ec2.describeLaunchTemplateVersions(templateId, ["$Latest"])
      const newest = yield* newestImage(options.imageNameFilter ?? defaultImageNameFilter)
      yield* step(`newest image ${newest.imageId}; template $Latest uses ${latest?.imageId ?? "?"}`)

      const oldIds = group.instances.map((i) => i.instanceId)
      // One DescribeInstances per instance, as the Go tool did.
      const instanceImages: Array<string> = []
      for (const id of oldIds)
        for (const instance of yield* ec2.describeInstances([id])) instanceImages.push(instance.imageId)
      const outdated =
        latest?.imageId !== newest.imageId || instanceImages.some((image) => image !== newest.imageId)
      if (!outdated) {
        yield* step("nothing to do")
        return
      }
      if (latest?.imageId !== newest.imageId) {
        const version: LaunchTemplateVersion = yield* ec2.createLaunchTemplateVersion({
          launchTemplateId: templateId,
          sourceVersion: "$Latest",
          imageId: newest.imageId,
          description: `ecs-ami-deploy ${newest.name}`,
          idempotencyKey: `go-tool-${newest.imageId}`,
        })
        yield* autoScaling.updateGroup({
          asgName,
          launchSpec: {
            _tag: "LaunchTemplate",
            template: { ...group.launchSpec.template, version: "$Latest" },
          },
        })
        yield* ec2.setDefaultLaunchTemplateVersion(templateId, version.versionNumber)
        yield* step(`launch template version ${version.versionNumber} with ${newest.imageId}`)
      }

      yield* ec2.createTags(oldIds, { "ecs-ami-deploy-asg": asgName, "ecs-ami-deploy-terminate": "true" })
      // The Go tool sends every id in one DetachInstances request; AWS refuses more than 20.
      if (oldIds.length > 20)
        return yield* new BaselineStopped({
          reason: `DetachInstances with ${oldIds.length} ids in one request: ValidationError (AWS accepts at most 20)`,
        })
      yield* autoScaling.detachInstances(asgName, oldIds, false)
      yield* step(`detached ${oldIds.length} instances in one call`)

      yield* pollUntil(
        "InService >= MinSize",
        interval,
        timeout,
        Effect.map(
          autoScaling.describeGroups([asgName]),
          ([g]) =>
            (g?.instances.filter((i) => i.lifecycleState === "InService").length ?? 0) >= (g?.minSize ?? 0),
        ),
      )
      const registeredTarget = 2 * group.desiredCapacity
      yield* pollUntil(
        `registered container instances == ${registeredTarget}`,
        interval,
        timeout,
        Effect.map(
          ecs.describeCluster(cluster),
          (c) => c.registeredContainerInstancesCount === registeredTarget,
        ),
      )
      yield* step("replacements registered")

      const waitStable = Effect.gen(function* () {
        let quietPolls = 0
        yield* pollUntil(
          "pendingTasksCount == 0 for 6 polls",
          interval,
          timeout,
          Effect.map(ecs.describeCluster(cluster), (c) => {
            quietPolls = c.pendingTasksCount === 0 ? quietPolls + 1 : 0
            return quietPolls >= 6
          }),
        )
        yield* pollUntil(
          "every service running == desired",
          interval,
          timeout,
          Effect.map(ecs.services(cluster), (services) =>
            services.every((s) =>
              s.deployments
                .filter((d) => d.status === "PRIMARY")
                .every((d) => d.runningCount === d.desiredCount),
            ),
          ),
        )
      })

      // Every container instance listed at the start counts as old, whatever its group: with several
      // groups per cluster the Go tool terminated the other groups' instances too.
      for (const ci of containerInstances) {
        sim.forceDeregisterContainerInstance(cluster, ci.containerInstanceArn)
        yield* step(`force-deregistered ${ci.ec2InstanceId}`)
        yield* waitStable
        yield* ec2.terminateInstances([ci.ec2InstanceId])
        yield* step(`terminated ${ci.ec2InstanceId}`)
        yield* waitStable
      }
    }),
  )

export interface InstanceRefreshOptions {
  readonly asgName: string
  readonly imageNameFilter?: string
  readonly minHealthyPercentage?: number
  readonly instanceWarmupMs?: number
  /** Gives up after this much simulated time (default 6 h). */
  readonly timeoutMs?: number
}

/** A new launch template version with the newest image, then an ASG instance refresh. */
export const runInstanceRefreshBaseline = (
  sim: Simulation,
  options: InstanceRefreshOptions,
): Effect.Effect<BaselineOutcome> =>
  runBaseline(sim, "instance-refresh", (step) =>
    Effect.gen(function* () {
      const ec2 = yield* Ec2
      const autoScaling = yield* AutoScaling
      const [group] = yield* autoScaling.describeGroups([options.asgName])
      if (group === undefined)
        return yield* new BaselineStopped({ reason: `group ${options.asgName} not found` })
      if (group.launchSpec._tag === "LaunchConfiguration")
        return yield* new BaselineStopped({ reason: "this baseline handles launch templates only" })
      const newest = yield* newestImage(options.imageNameFilter ?? defaultImageNameFilter)
      const template = group.launchSpec.template
      const version = yield* ec2.createLaunchTemplateVersion({
        launchTemplateId: template.launchTemplateId,
        sourceVersion: template.version,
        imageId: newest.imageId,
        description: `instance refresh to ${newest.name}`,
        idempotencyKey: `instance-refresh-${newest.imageId}`,
      })
      const launchSpec = {
        ...group.launchSpec,
        template: { ...template, version: String(version.versionNumber) },
      }
      yield* autoScaling.updateGroup({ asgName: options.asgName, launchSpec })
      yield* step(`launch template version ${version.versionNumber} with ${newest.imageId}`)
      const refreshId = sim.startInstanceRefresh(options.asgName, {
        minHealthyPercentage: options.minHealthyPercentage ?? 90,
        instanceWarmupMs: options.instanceWarmupMs ?? 300_000,
      })
      yield* step(`instance refresh ${refreshId} started`)
      // The last poll's answer is the refresh's outcome: no further DescribeInstanceRefreshes request.
      const last: { status: ReturnType<Simulation["instanceRefreshStatus"]> } = { status: undefined }
      yield* pollUntil(
        "instance refresh to finish",
        15_000,
        options.timeoutMs ?? 6 * 3_600_000,
        Effect.sync(() => {
          last.status = sim.instanceRefreshStatus(options.asgName)
          return last.status !== "InProgress"
        }),
      )
      const status = last.status
      if (status !== "Successful")
        return yield* new BaselineStopped({ reason: `instance refresh ended ${status ?? "unknown"}` })
      yield* step("instance refresh successful")
    }),
  )
