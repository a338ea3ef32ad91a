/**
 * The Go tool's `upgrade-cluster` (silinternational/ecs-ami-deploy v3, upgrader.go `UpgradeCluster`)
 * as an Effect program on the simulated world, request for request where the ports allow, so its
 * duration, availability and AWS requests can be compared with ours. What it does, in order:
 *
 * - finds the group from the first container instance's `aws:autoscaling:groupName` tag, reads its
 *   launch template ($Latest), checks that template's image matches the AMI filter, picks the newest
 *   image by creation date, and looks for an old image among the running instances one
 *   DescribeInstances at a time (stopping at the first);
 * - creates a launch template version, points the group at `$Latest`, makes it the default;
 * - tags the group's instances, detaches them all in ONE DetachInstances call with replacement
 *   (AWS refuses more than 20 ids: the tool stops there above 20 instances, as the real one did;
 *   `detachBatchSize` sends batches instead, to make larger clusters measurable);
 * - waits with the SDK's GroupInService waiter (first look at once, then 15 s, backing off with
 *   jitter up to 120 s) for InService ≥ MinSize, then — sleeping before each look — for the cluster's
 *   registered container instances to equal twice the desired capacity;
 * - for each container instance listed at the start: forced DeregisterContainerInstance (orphaning
 *   its tasks), wait for a stable cluster, TerminateInstances, wait again. A stable cluster is six
 *   consecutive DescribeClusters with no pending task, each after a sleep, then every service's
 *   deployments complete, services described 10 at a time with a sleep before each look;
 * - sweeps the instances it tagged that are not yet terminated (the last one is usually still
 *   shutting down) through the same wait / terminate / wait.
 *
 * Its defects are kept: the >20-id DetachInstances, forced deregistration, every container instance
 * of the cluster counted as old whatever its group, only the first page (100) of container instances
 * seen. Requests the ports count differently from the Go tool's: the ports list container instances
 * in every page (the tool read the first only: more requests above 100 instances) and read each
 * service's task definition once (DescribeTaskDefinition, one per service, which the tool never
 * sent); its final launch-template cleanup (one DescribeLaunchTemplates) is left out.
 */
import type { ContainerInstance } from "@ecs-ami-deploy/domain"
import { AutoScaling, Ec2, Ecs } from "@ecs-ami-deploy/ports"
import { Clock, Effect } from "effect"
import { BaselineStopped, newestImage, runBaseline, type BaselineOutcome } from "./baselines.ts"
import { Prng } from "./prng.ts"
import { defaultImageNameFilter } from "./scenarios.ts"
import { globMatches } from "./sim-ports.ts"
import type { Simulation } from "./simulation.ts"

export interface GoToolOptions {
  readonly clusterName: string
  readonly imageNameFilter?: string
  /** `--polling-interval-seconds` (default 5 s): the sleep before every look but the waiter's. */
  readonly pollIntervalMs?: number
  /** `--polling-timeout-minutes` (default 15 min), per wait. */
  readonly pollTimeoutMs?: number
  /** DetachInstances in batches of this many ids; the tool as shipped sends one request with every id. */
  readonly detachBatchSize?: number
  /** Seed of the waiter's jitter (default 1), so a run is a function of its inputs. */
  readonly jitterSeed?: number
}

/** The Go tool's tags on the instances it detaches (domain.go). */
const tagNameAsg = "ecs-ami-deploy-asg"
const tagNameTerminate = "ecs-ami-deploy-terminate"
/** domain.go MinimumIntervalsForStable. */
const quietPollsForStable = 6
/** The SDK's GroupInService waiter. */
const waiterMinDelayMs = 15_000
const waiterMaxDelayMs = 120_000
/** AWS: DetachInstances takes at most 20 ids. */
const detachLimit = 20

/**
 * smithy-go `waiter.ComputeDelay`: the first retry after `minDelay`, then a random delay between
 * `minDelay` and `minDelay × 2^(attempt−1)` up to `maxDelay`, never past the time left.
 */
export const waiterDelayMs = (attempt: number, remainingMs: number, random: () => number): number => {
  const ceiling = Math.log2(waiterMaxDelayMs / waiterMinDelayMs) + 1
  const upper = attempt > ceiling ? waiterMaxDelayMs : waiterMinDelayMs * 2 ** (attempt - 1)
  const delay =
    upper === waiterMinDelayMs ? upper : waiterMinDelayMs + Math.floor(random() * (upper - waiterMinDelayMs))
  return remainingMs - delay <= waiterMinDelayMs ? remainingMs - waiterMinDelayMs : delay
}

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
      const filter = options.imageNameFilter ?? defaultImageNameFilter
      const jitter = new Prng(options.jitterSeed ?? 1)
      const stopped = (reason: string) => new BaselineStopped({ reason })

      /** Sleeps before each look at `check` until it holds; fails after the polling timeout. */
      const pollAfterSleeping = <E, R>(what: string, check: Effect.Effect<boolean, E, R>) =>
        Effect.gen(function* () {
          const start = yield* Clock.currentTimeMillis
          for (;;) {
            if ((yield* Clock.currentTimeMillis) - start >= timeout)
              return yield* stopped(`timeout while waiting for ${what}`)
            yield* Effect.sleep(interval)
            if (yield* check) return
          }
        })

      // ListContainerInstances (one page: at most 100) + DescribeContainerInstances.
      const listContainerInstances = Effect.map(ecs.containerInstances(cluster), (all) =>
        all.filter((ci) => ci.status !== "INACTIVE").slice(0, 100),
      )

      const waitForCompletedDeployments = Effect.gen(function* () {
        const arns = sim.listServiceArns(cluster)
        for (let start = 0; start < arns.length; start += 10) {
          const page = arns.slice(start, start + 10)
          yield* pollAfterSleeping(
            "completed deployments",
            Effect.map(ecs.services(cluster, page), (services) =>
              services.every(
                (s) =>
                  s.desiredCount === 0 ||
                  (s.deployments.some((d) => d.status === "PRIMARY" && d.desiredCount === d.runningCount) &&
                    !s.deployments.some((d) => d.status === "ACTIVE" && d.runningCount > 0)),
              ),
            ),
          )
        }
      })

      const waitForStableCluster = Effect.gen(function* () {
        let quietPolls = 0
        yield* pollAfterSleeping(
          "cluster to stabilize",
          Effect.map(ecs.describeCluster(cluster), (c) => {
            quietPolls = c.pendingTasksCount === 0 ? quietPolls + 1 : 0
            return quietPolls >= quietPollsForStable
          }),
        )
        yield* waitForCompletedDeployments
      })

      const safeTerminate = (instanceId: string) =>
        Effect.gen(function* () {
          yield* waitForStableCluster
          yield* ec2.terminateInstances([instanceId])
          yield* step(`terminated ${instanceId}`)
          yield* waitForStableCluster
        })

      const terminateOrphans = (asgName: string) =>
        Effect.gen(function* () {
          const orphans = sim
            .describeInstancesByTag(tagNameAsg, asgName)
            .filter((i) => i.state !== "terminated" && i.tags[tagNameTerminate] === "true")
          for (const orphan of orphans) {
            yield* step(`sweeping ${orphan.instanceId} (${orphan.state})`)
            yield* safeTerminate(orphan.instanceId)
          }
        })

      // getAsgNameForCluster
      const clusterInstances = yield* listContainerInstances
      if (clusterInstances.length === 0) return yield* stopped(`no instances found for cluster ${cluster}`)
      const described = yield* ec2.describeInstances(clusterInstances.map((ci) => ci.ec2InstanceId))
      const asgName = described.map((i) => i.tags["aws:autoscaling:groupName"]).find((n) => n !== undefined)
      if (asgName === undefined) return yield* stopped("no ASG tag name found on the cluster's instances")

      // getLaunchTemplateForASG
      const [group] = yield* autoScaling.describeGroups([asgName])
      if (group?.launchSpec._tag !== "LaunchTemplate")
        return yield* stopped(`ASG ${asgName} has no launch template`)
      const template = yield* ec2.describeLaunchTemplate({ id: group.launchSpec.template.launchTemplateId })
      const [latestVersion] = yield* ec2.describeLaunchTemplateVersions(template.launchTemplateId, [
        "$Latest",
      ])
      if (latestVersion === undefined) return yield* stopped("launch template has no $Latest version")

      // getImageByID(current, filter), LatestAMI, getImageByID(current)
      const [filtered] = yield* ec2.describeImages({ _tag: "ByIds", imageIds: [latestVersion.imageId] })
      if (filtered === undefined || !globMatches(filter, filtered.name))
        return yield* stopped("launch template image name doesn't match the AMI Filter")
      const latest = yield* newestImage(filter)
      const [current] = yield* ec2.describeImages({ _tag: "ByIds", imageIds: [latestVersion.imageId] })
      if (current === undefined) return yield* stopped(`unable to find image by ID ${latestVersion.imageId}`)
      const isNewer = latest.creationDate > current.creationDate

      // checkRunningInstances: one DescribeInstances per instance, up to the first old one.
      let oldImageFound = false
      for (const ci of yield* listContainerInstances) {
        const [instance] = yield* ec2.describeInstances([ci.ec2InstanceId])
        if (instance !== undefined && instance.imageId !== latest.imageId) {
          oldImageFound = true
          break
        }
      }
      yield* step(`newest image ${latest.imageId}; template $Latest uses ${latestVersion.imageId}`)
      if (!oldImageFound && !isNewer) {
        yield* step("nothing to do")
        return yield* terminateOrphans(asgName)
      }

      const [asg] = yield* autoScaling.describeGroups([asgName])
      if (asg === undefined) return yield* stopped(`ASG with name ${asgName} not found`)
      const original: ReadonlyArray<ContainerInstance> = yield* listContainerInstances
      if (original.length === 0) return yield* stopped("no container instances found in cluster")

      const version = yield* ec2.createLaunchTemplateVersion({
        launchTemplateId: template.launchTemplateId,
        sourceVersion: "$Latest",
        imageId: latest.imageId,
        description: `ecs-ami-deploy ${latest.name}`,
        idempotencyKey: `go-tool-${latest.imageId}`,
      })
      yield* autoScaling.updateGroup({
        asgName,
        launchSpec: {
          _tag: "LaunchTemplate",
          template: { ...group.launchSpec.template, version: "$Latest" },
        },
      })
      yield* ec2.setDefaultLaunchTemplateVersion(template.launchTemplateId, version.versionNumber)
      yield* step(`launch template version ${version.versionNumber} with ${latest.imageId}`)

      // detachAndReplaceAsgInstances
      const [toDetach] = yield* autoScaling.describeGroups([asgName])
      const existing = (toDetach?.instances ?? []).map((i) => i.instanceId)
      yield* ec2.createTags(existing, { [tagNameAsg]: asgName, [tagNameTerminate]: "true" })
      const batch = options.detachBatchSize ?? existing.length
      if (batch > detachLimit && existing.length > detachLimit)
        return yield* stopped(
          `DetachInstances with ${existing.length} ids in one request: ValidationError (AWS accepts at most ${detachLimit})`,
        )
      for (let start = 0; start < existing.length; start += batch)
        yield* autoScaling.detachInstances(asgName, existing.slice(start, start + batch), false)
      yield* step(`detached ${existing.length} instances`)

      // waitForNewAsgInstances: the GroupInService waiter with the tool's own acceptor.
      const waitStart = yield* Clock.currentTimeMillis
      for (let attempt = 1; ; attempt++) {
        const [g] = yield* autoScaling.describeGroups([asgName])
        const inService = g?.instances.filter((i) => i.lifecycleState === "InService").length ?? 0
        if (g !== undefined && inService >= g.minSize) break
        const remaining = timeout - ((yield* Clock.currentTimeMillis) - waitStart)
        if (remaining < waiterMinDelayMs)
          return yield* stopped("error waiting for ASG to become in service after detaching instances")
        yield* Effect.sleep(waiterDelayMs(attempt, remaining, () => jitter.next()))
      }
      const registeredTarget = asg.desiredCapacity * 2
      yield* pollAfterSleeping(
        `cluster ${cluster} to have ${registeredTarget} instances`,
        Effect.map(
          ecs.describeCluster(cluster),
          (c) => c.registeredContainerInstancesCount === registeredTarget,
        ),
      )
      yield* listContainerInstances // the new instances, for its log only
      yield* step("replacements registered")

      // Every container instance listed at the start counts as old, whatever its group: with several
      // groups per cluster the Go tool terminated the other groups' instances too.
      for (const ci of original) {
        sim.forceDeregisterContainerInstance(cluster, ci.containerInstanceArn)
        yield* step(`force-deregistered ${ci.ec2InstanceId}`)
        yield* safeTerminate(ci.ec2InstanceId)
      }
      yield* terminateOrphans(asgName)
    }),
  )
