/**
 * The plan view: what a run starting now would do to a cluster, and why it would refuse. It is the
 * same reading `decide` uses before `Start` (so `plan` and a real run never disagree on guards), and
 * it is plain data: the CLI prints `renderPlanText(plan)` or the Plan itself as JSON.
 */
import {
  formatDuration,
  isTaskLive,
  resolveAmount,
  validatePolicy,
  type AutoScalingGroup,
  type ClusterSnapshot,
  type GroupAtStart,
  type GroupCapacityProvider,
  type RolloutPolicy,
} from "@ecs-ami-deploy/domain"
import {
  imageFamily,
  indexCluster,
  liveTasksOn,
  oldSetOf,
  serviceBounds,
  skipReason,
  taskKind,
  unsafeServices,
  type ClusterIndex,
  type ImageFamily,
} from "./cluster.ts"
import { outsideAnyGroup } from "./fleet-audit.ts"
import {
  assumedTimingsText,
  cappedLimitWarnings,
  estimateGroup,
  type GroupEstimate,
} from "./plan-estimate.ts"
import { processesToSuspend } from "./scaling-processes.ts"
import { predictedDrainOrder, singleTaskPromises } from "./single-task-moves.ts"

/** A reason to refuse the run, and what to change. */
export interface PlanProblem {
  readonly problem: string
  readonly fix: string
}

/** One Auto Scaling group as the plan sees it. */
export interface PlanGroup {
  readonly asgName: string
  readonly desiredCapacity: number
  readonly minSize: number
  readonly maxSize: number
  readonly launchSpecImageId: string
  readonly launchSpecOutdated: boolean
  readonly capacityProvider?: GroupCapacityProvider
  /** Scaling processes the run suspends while it runs (and resumes at its end). */
  readonly suspendedDuringRun: ReadonlyArray<string>
  readonly outdatedInstanceIds: ReadonlyArray<string>
  readonly skippedInstances: ReadonlyArray<{ readonly instanceId: string; readonly reason: string }>
  /** Instances added (surge) or detached per wave. */
  readonly waveSize: number
  /** Waves, instances added, and the estimated duration (plan-estimate.ts states its assumptions). */
  readonly estimate: GroupEstimate
}

/** A predicted drain wave: its instances and the service tasks it moves. */
export interface PlanWave {
  readonly asgName: string
  readonly wave: number
  readonly instanceIds: ReadonlyArray<string>
  readonly displacedServices: ReadonlyArray<{ readonly serviceName: string; readonly tasks: number }>
  readonly standaloneTasks: number
}

/** What a run starting now would do (`verdict`), and why it would refuse (`problems`). */
export interface Plan {
  readonly clusterName: string
  readonly observedAt: number
  readonly plannedAt: number
  readonly verdict: "ready" | "nothing-to-do" | "refused"
  readonly targetImage: {
    readonly imageId: string
    readonly name: string
    readonly architecture: string
    readonly family: ImageFamily
  }
  readonly capacityMode: RolloutPolicy["capacityMode"]
  readonly groups: ReadonlyArray<PlanGroup>
  readonly outdatedInstances: ReadonlyArray<{
    readonly instanceId: string
    readonly asgName: string
    readonly imageId: string
  }>
  /** Predicted waves: the real ones are chosen when new capacity is proven, against what then fits. */
  readonly waves: ReadonlyArray<PlanWave>
  /** EC2 instances registered to the cluster but in no Auto Scaling group: reported, never touched. */
  readonly instancesOutsideGroups: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
  readonly problems: ReadonlyArray<PlanProblem>
}

/** Instances a group may drain at once (`maxDraining`, at least one). */
export const drainLimitFor = (desiredAtStart: number, policy: RolloutPolicy): number =>
  Math.max(1, resolveAmount(policy.maxDraining, desiredAtStart))

/** Instances a group may add at once (`maxSurge`, at least one). */
export const surgeLimitFor = (desiredAtStart: number, policy: RolloutPolicy): number =>
  Math.max(1, resolveAmount(policy.maxSurge, desiredAtStart))

/** Instances a group replaces per wave: bounded by the surge (surge mode), the drain limit and what is left. */
export const waveSizeFor = (desiredAtStart: number, policy: RolloutPolicy, oldRemaining: number): number => {
  const drainLimit = drainLimitFor(desiredAtStart, policy)
  const limit =
    policy.capacityMode === "surge" ? Math.min(surgeLimitFor(desiredAtStart, policy), drainLimit) : drainLimit
  return Math.min(limit, oldRemaining)
}

/**
 * Whether surge waves keep one task of a service whose floor is zero running (waves.ts,
 * `keepOneRunning`): its tasks run on two instances or more, so one stays out of each drain.
 */
const keptRunningByWaves = (index: ClusterIndex, policy: RolloutPolicy, serviceName: string): boolean =>
  policy.capacityMode === "surge" &&
  new Set(
    index.snapshot.tasks
      .filter((t) => t.serviceName === serviceName && isTaskLive(t) && t.containerInstanceArn !== undefined)
      .map((t) => t.containerInstanceArn),
  ).size >= 2

/**
 * Whether a wave displacing `tasks` tasks of a service keeps one of them out of its drain: a service at
 * minimum 0 % that surge waves keep running, with every live task of it in the wave.
 */
const keepsOneOf = (
  index: ClusterIndex,
  policy: RolloutPolicy,
  serviceName: string,
  tasks: number,
): boolean => {
  const service = index.serviceByName.get(serviceName)
  const live = index.snapshot.tasks.filter((t) => t.serviceName === serviceName && isTaskLive(t)).length
  return (
    service !== undefined &&
    serviceBounds(service).minHealthy === 0 &&
    tasks >= live &&
    keptRunningByWaves(index, policy, serviceName)
  )
}

const groupProblems = (
  index: ClusterIndex,
  group: AutoScalingGroup,
  oldIds: ReadonlyArray<string>,
  policy: RolloutPolicy,
): Array<PlanProblem> => {
  const target = index.snapshot.targetImage
  const problems: Array<PlanProblem> = []
  const architectures = new Set(oldIds.flatMap((id) => index.instanceById.get(id)?.architecture ?? []))
  for (const architecture of [...architectures].sort())
    if (architecture !== target.architecture)
      problems.push({
        problem: `group ${group.name} runs ${architecture} instances but the target image ${target.imageId} is ${target.architecture}`,
        fix: `choose a ${architecture} image (e.g. an AMI filter or SSM parameter for ${architecture}), or change the group's instance types first`,
      })
  const standby = group.instances.filter((m) => m.lifecycleState === "Standby").map((m) => m.instanceId)
  if (policy.capacityMode === "detach" && policy.standbyInstances === "replace" && standby.length > 0)
    problems.push({
      problem: `group ${group.name} has Standby instances (${standby.join(", ")}) to replace, which detach mode cannot detach`,
      fix: 'use --capacity-mode surge, or --standby-instances skip (library: capacityMode: "surge" or standbyInstances: "skip")',
    })
  const terminationProtected = oldIds.filter(
    (id) => index.instanceById.get(id)?.terminationProtected === true,
  )
  if (policy.capacityMode === "detach" && terminationProtected.length > 0)
    problems.push({
      problem: `group ${group.name} has instance(s) with EC2 termination protection (${terminationProtected.join(", ")}): detach mode terminates through EC2, which refuses them after they were detached and drained`,
      fix: `use --capacity-mode surge (Auto Scaling terminates protected instances), or turn the protection off first: aws ec2 modify-instance-attribute --no-disable-api-termination --instance-id ${terminationProtected[0]} (library: capacityMode: "surge")`,
    })
  const targetFamily = imageFamily(target.name)
  const imageNames = new Map(index.snapshot.images.map((i) => [i.imageId, i.name]))
  const families = new Set(
    oldIds.flatMap((id) => {
      const name = imageNames.get(index.instanceById.get(id)?.imageId ?? "")
      return name === undefined ? [] : [imageFamily(name)]
    }),
  )
  if (!policy.allowImageFamilyChange)
    for (const family of [...families].sort())
      if (family !== targetFamily)
        problems.push({
          problem: `group ${group.name} runs ${family} images but the target ${target.name} is ${targetFamily}`,
          fix: stayOnFamilyFix(family, target.architecture),
        })
  return problems
}

/** How to keep a group on its image family, or to move it on purpose: an AL2 cluster gets the Go tool's AL2 filter. */
const stayOnFamilyFix = (family: string, architecture: string): string =>
  family === "al2"
    ? `to stay on Amazon Linux 2, choose its image with --ami-filter 'amzn2-ami-ecs-hvm-*-${architecture}-ebs'; to move on, test the workloads on the new family, then add --allow-image-family-change`
    : "check the AMI source, or allow it after testing the workloads on the new family (--allow-image-family-change; library: allowImageFamilyChange)"

const groupWarnings = (
  group: AutoScalingGroup,
  policy: RolloutPolicy,
  targetImageId: string,
): Array<string> => {
  const warnings: Array<string> = []
  const parameter = group.launchSpecImageParameter
  if (parameter !== undefined && group.launchSpecImageId !== targetImageId)
    warnings.push(
      `group ${group.name}: its launch spec takes its image from SSM parameter ${parameter} (resolve:ssm:${parameter}), which names ${group.launchSpecImageId}; the run writes ${targetImageId} into it as a literal AMI id, so the group stops following ${parameter} (a rollback restores the reference). To keep following it, point ${parameter} at ${targetImageId} first: the launch spec is then left as it is`,
    )
  if (group.capacityProvider?.managedScaling === true)
    warnings.push(
      `group ${group.name}: ECS managed scaling of capacity provider ${group.capacityProvider.name} would fight the run's capacity changes; the run suspends the group's AlarmNotification process (its scaling policies, managed scaling's included) while it runs and resumes it at the end`,
    )
  for (const member of group.instances) {
    if (member.lifecycleState === "Standby")
      warnings.push(
        policy.standbyInstances === "skip"
          ? `instance ${member.instanceId} of ${group.name} is in Standby and stays on its image`
          : `instance ${member.instanceId} of ${group.name} is in Standby and will be replaced`,
      )
    if (member.protectedFromScaleIn)
      warnings.push(
        policy.protectedInstances === "skip"
          ? `instance ${member.instanceId} of ${group.name} is scale-in protected and stays on its image`
          : `instance ${member.instanceId} of ${group.name} is scale-in protected; the run terminates it explicitly`,
      )
  }
  return warnings
}

/** What a run starting now would do. Never mutates the snapshot. */
export const planRollout = (snapshot: ClusterSnapshot, policy: RolloutPolicy, now: number): Plan => {
  const index = indexCluster(snapshot)
  const target = snapshot.targetImage
  const problems: Array<PlanProblem> = []
  const warnings: Array<string> = []
  const policyCheck = validatePolicy(policy)
  if (policyCheck._tag === "Failure")
    for (const p of policyCheck.failure.problems)
      problems.push({ problem: `policy ${p.field}: ${p.problem}`, fix: p.fix })
  if (target.state !== "available")
    problems.push({
      problem: `target image ${target.imageId} is ${target.state}`,
      fix: "wait until the image is available or choose another",
    })

  const groups: Array<PlanGroup> = []
  const waves: Array<PlanWave> = []
  const outdatedInstances: Array<Plan["outdatedInstances"][number]> = []
  const allOld: Array<string> = []
  for (const group of [...snapshot.groups].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const oldIds = oldSetOf(index, group, target, policy)
    allOld.push(...oldIds)
    problems.push(...groupProblems(index, group, oldIds, policy))
    warnings.push(...groupWarnings(group, policy, target.imageId))
    const skippedInstances = group.instances.flatMap((m) => {
      const instance = index.instanceById.get(m.instanceId)
      if (instance === undefined || instance.imageId === target.imageId) return []
      const reason = skipReason(group, instance, m.instanceId, policy)
      return reason === undefined ? [] : [{ instanceId: m.instanceId, reason }]
    })
    const waveSize = Math.max(1, waveSizeFor(group.desiredCapacity, policy, oldIds.length))
    warnings.push(
      ...cappedLimitWarnings(group.name, oldIds.length, policy, {
        surge: surgeLimitFor(group.desiredCapacity, policy),
        draining: drainLimitFor(group.desiredCapacity, policy),
      }),
    )
    const groupWaves: Array<PlanWave> = []
    const drainOrder = predictedDrainOrder(index, group, oldIds)
    for (let start = 0, wave = 1; start < drainOrder.length; start += waveSize, wave++) {
      const instanceIds = drainOrder.slice(start, start + waveSize)
      const displaced = new Map<string, number>()
      let standaloneTasks = 0
      for (const id of instanceIds)
        for (const task of liveTasksOn(index, id)) {
          const kind = taskKind(index, task)
          if (kind === "standalone") standaloneTasks++
          else if (kind === "replica" && task.serviceName !== undefined)
            displaced.set(task.serviceName, (displaced.get(task.serviceName) ?? 0) + 1)
        }
      groupWaves.push({
        asgName: group.name,
        wave,
        instanceIds,
        displacedServices: [...displaced]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([serviceName, tasks]) => ({ serviceName, tasks })),
        standaloneTasks,
      })
      if (standaloneTasks > 0)
        warnings.push(
          `wave ${wave} of ${group.name} has ${standaloneTasks} standalone task(s): policy standaloneTasks=${policy.standaloneTasks}`,
        )
    }
    waves.push(...groupWaves)
    const estimate = estimateGroup(
      oldIds.length,
      waveSize,
      groupWaves.map((wave) =>
        wave.displacedServices.flatMap(({ serviceName }) => index.serviceByName.get(serviceName) ?? []),
      ),
      groupWaves.map((wave) =>
        wave.displacedServices.some(({ serviceName, tasks }) =>
          keepsOneOf(index, policy, serviceName, tasks),
        ),
      ),
    )
    groups.push({
      asgName: group.name,
      desiredCapacity: group.desiredCapacity,
      minSize: group.minSize,
      maxSize: group.maxSize,
      launchSpecImageId: group.launchSpecImageId,
      launchSpecOutdated: group.launchSpecImageId !== target.imageId,
      ...(group.capacityProvider === undefined ? {} : { capacityProvider: group.capacityProvider }),
      suspendedDuringRun: processesToSuspend(group, policy),
      outdatedInstanceIds: oldIds,
      skippedInstances,
      waveSize,
      estimate,
    })
    for (const id of oldIds)
      outdatedInstances.push({
        instanceId: id,
        asgName: group.name,
        imageId: index.instanceById.get(id)?.imageId ?? "",
      })
  }
  for (const unsafe of unsafeServices(index, allOld))
    if (unsafe.kind === "stops-every-task" && keptRunningByWaves(index, policy, unsafe.serviceName))
      warnings.push(
        `service ${unsafe.serviceName} (min ${index.serviceByName.get(unsafe.serviceName)?.minimumHealthyPercent ?? 0}%) lets a drain stop every task at once: each wave keeps one of its tasks running until another runs on new capacity`,
      )
    else if (policy.unsafeServices === "refuse")
      problems.push({
        problem: unsafe.problem,
        fix: `${unsafe.fix} (or proceed anyway: --unsafe-services proceed; library: unsafeServices: "proceed")`,
      })
    else
      warnings.push(
        unsafe.kind === "stalls"
          ? `${unsafe.problem}; proceeding as the policy allows: the run stops its task(s) on each wave it drains, so ECS starts them on new capacity (a brief outage of ${unsafe.serviceName})`
          : `${unsafe.problem}; proceeding as the policy allows`,
      )
  warnings.push(...singleTaskPromises(index, waves))

  const instancesOutsideGroups = snapshot.containerInstances
    .map((c) => c.ec2InstanceId)
    .filter((id) => !index.groupOfInstance.has(id))
    .sort()
  for (const outside of outsideAnyGroup(index, target.imageId))
    warnings.push(
      `instance ${outside} is in the cluster but in no Auto Scaling group: no run can replace it; replace it by hand`,
    )

  const somethingToDo = outdatedInstances.length > 0 || groups.some((g) => g.launchSpecOutdated)
  return {
    clusterName: snapshot.clusterName,
    observedAt: snapshot.observedAt,
    plannedAt: now,
    verdict: problems.length > 0 ? "refused" : somethingToDo ? "ready" : "nothing-to-do",
    targetImage: {
      imageId: target.imageId,
      name: target.name,
      architecture: target.architecture,
      family: imageFamily(target.name),
    },
    capacityMode: policy.capacityMode,
    groups,
    outdatedInstances,
    waves,
    instancesOutsideGroups,
    warnings,
    problems,
  }
}

/** The facts `RunStarted` records for each group that has something to do: what rollback restores. */
export const groupsAtStart = (snapshot: ClusterSnapshot, plan: Plan): ReadonlyArray<GroupAtStart> =>
  plan.groups
    .filter((g) => g.outdatedInstanceIds.length > 0 || g.launchSpecOutdated)
    .flatMap((g) => {
      const group = snapshot.groups.find((candidate) => candidate.name === g.asgName)
      return group === undefined
        ? []
        : [
            {
              asgName: group.name,
              desiredCapacity: group.desiredCapacity,
              minSize: group.minSize,
              maxSize: group.maxSize,
              launchSpec: group.launchSpec,
              launchSpecImageId: group.launchSpecImageId,
              suspendedProcesses: group.suspendedProcesses,
              oldInstanceIds: g.outdatedInstanceIds,
            },
          ]
    })

/** A readable rendering of a plan for the terminal. */
export const renderPlanText = (plan: Plan): string => {
  const lines: Array<string> = []
  const t = plan.targetImage
  lines.push(`Cluster ${plan.clusterName}: ${plan.verdict}`)
  lines.push(
    `Target image ${t.imageId} (${t.name}, ${t.architecture}, ${t.family}); capacity mode ${plan.capacityMode}`,
  )
  for (const g of plan.groups) {
    lines.push(
      `Group ${g.asgName}: desired ${g.desiredCapacity} (min ${g.minSize}, max ${g.maxSize}); launch spec ${g.launchSpecImageId}${g.launchSpecOutdated ? " → update" : " (current)"}; ${g.outdatedInstanceIds.length} outdated instance(s), ${g.waveSize} per wave`,
    )
    for (const s of g.skippedInstances) lines.push(`  skipped ${s.instanceId}: ${s.reason}`)
    if (g.estimate.waves > 0)
      lines.push(
        `  adds ${g.estimate.instancesAddedPerWave} instance(s) per wave, ${g.estimate.instancesAddedInTotal} in total; ${g.estimate.waves} wave(s), estimated ${formatDuration(g.estimate.estimatedDurationMs)} (${assumedTimingsText})`,
      )
  }
  for (const w of plan.waves) {
    const services =
      w.displacedServices.map((s) => `${s.serviceName}×${s.tasks}`).join(", ") || "no service tasks"
    lines.push(
      `  wave ${w.wave} of ${w.asgName}: ${w.instanceIds.join(", ")} — moves ${services}${w.standaloneTasks > 0 ? `; ${w.standaloneTasks} standalone task(s)` : ""}`,
    )
  }
  if (plan.warnings.length > 0) lines.push("Warnings:", ...plan.warnings.map((w) => `  - ${w}`))
  if (plan.problems.length > 0)
    lines.push("Refused:", ...plan.problems.map((p) => `  - ${p.problem}\n    fix: ${p.fix}`))
  return lines.join("\n")
}
