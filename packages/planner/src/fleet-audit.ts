/**
 * What the fleet really is when a run finishes, read from the snapshot rather than from what the run
 * believes it did. Every Finish decision passes through `truthfulFinish`: a run claims "succeeded"
 * only when every member of its groups (whatever its lifecycle state) runs the target image, or is an
 * old instance the policy let it skip, and every launch spec resolves to the target image; it claims
 * "rolled-back" only when every launch spec is back on its start image and no instance the run
 * launched on the target image is left (the cluster as it was found, image for image). Anything else
 * is said as it is: "incomplete" (a forward run that leaves members on another image, or a service
 * below its healthy floor) or "halted" (a rollback that stops with instances on the target image: a
 * mixed fleet), with the exact fleet in the reason.
 */
import type { AutoScalingGroup, Decision, GroupAtStart, RunOutcome } from "@ecs-ami-deploy/domain"
import { isInstanceGone, isLeavingGroup } from "@ecs-ami-deploy/domain"
import type { ClusterIndex } from "./cluster.ts"
import type { RunFacts } from "./state.ts"

/** One group as found at the end: which members run which image, and what its launch spec resolves to. */
export interface GroupFleet {
  readonly asgName: string
  /** The image the group's launch spec resolved to when the run started. */
  readonly imageAtStart: string
  /** Members not leaving the group, with the image EC2 reports (`unknown` when EC2 does not describe it yet). */
  readonly members: ReadonlyArray<{
    readonly instanceId: string
    readonly imageId: string
    readonly lifecycleState: string
    readonly protectedFromScaleIn: boolean
    /** EC2's launch time (0 when EC2 does not describe the instance yet). */
    readonly launchedAt: number
  }>
  readonly launchSpecImageId: string | undefined
}

/** The run's groups as the snapshot shows them. A group no longer described has no members and no launch spec. */
export const auditFleet = (run: RunFacts, index: ClusterIndex): ReadonlyArray<GroupFleet> =>
  run.groups.map((g) => {
    const group: AutoScalingGroup | undefined = index.groupByName.get(g.asgName)
    const members = (group?.instances ?? [])
      .filter((member) => !isLeavingGroup(member.lifecycleState))
      .flatMap((member) => {
        const instance = index.instanceById.get(member.instanceId)
        if (instance !== undefined && isInstanceGone(instance.state)) return []
        return [
          {
            instanceId: member.instanceId,
            imageId: instance?.imageId ?? "unknown",
            lifecycleState: member.lifecycleState,
            protectedFromScaleIn: member.protectedFromScaleIn,
            launchedAt: instance?.launchTime ?? 0,
          },
        ]
      })
    return {
      asgName: g.asgName,
      imageAtStart: g.launchSpecImageId,
      members,
      launchSpecImageId: group?.launchSpecImageId,
    }
  })

/** `small-asg: 2 on ami-new (i-1, i-2), 2 on ami-old (i-3, i-4 Pending); launch spec on ami-old` */
export const describeFleet = (fleet: ReadonlyArray<GroupFleet>): string =>
  fleet
    .map((group) => {
      const byImage = new Map<string, Array<string>>()
      for (const member of group.members) {
        const label =
          member.lifecycleState === "InService"
            ? member.instanceId
            : `${member.instanceId} ${member.lifecycleState}`
        byImage.set(member.imageId, [...(byImage.get(member.imageId) ?? []), label])
      }
      const images = [...byImage.entries()].map(
        ([imageId, ids]) => `${ids.length} on ${imageId} (${ids.join(", ")})`,
      )
      const spec =
        group.launchSpecImageId === undefined
          ? "group not found"
          : `launch spec on ${group.launchSpecImageId}`
      return `${group.asgName}: ${images.length === 0 ? "no instances" : images.join(", ")}; ${spec}`
    })
    .join("; ")

/** A replica service running fewer tasks than its deployment configuration's floor. */
export interface ServiceShortfall {
  readonly serviceName: string
  readonly running: number
  /** ⌈desired × minimumHealthyPercent / 100⌉ */
  readonly floor: number
}

/**
 * Replica services below their floor, except those named in `belowAtStart` (already below it when the
 * run started: not the run's doing). Daemon services have no floor here.
 */
export const servicesBelowFloor = (
  index: ClusterIndex,
  belowAtStart: ReadonlyArray<string>,
): ReadonlyArray<ServiceShortfall> =>
  index.snapshot.services.flatMap((service) => {
    if (service.status !== "ACTIVE" || service.schedulingStrategy !== "REPLICA") return []
    if (belowAtStart.includes(service.serviceName)) return []
    const floor = Math.ceil((service.desiredCount * service.minimumHealthyPercent) / 100)
    return service.runningCount < floor
      ? [{ serviceName: service.serviceName, running: service.runningCount, floor }]
      : []
  })

/** `web (1 running, floor 2)` */
export const describeShortfall = (shortfall: ServiceShortfall): string =>
  `${shortfall.serviceName} (${shortfall.running} running, floor ${shortfall.floor})`

/**
 * Why the policy kept a member on its image, for Standby and scale-in protected members (those kept
 * for their standalone tasks are named by the run's own finish reason).
 */
const keptBecause = (run: RunFacts, member: GroupFleet["members"][number]): string | undefined =>
  run.policy.standbyInstances === "skip" && member.lifecycleState === "Standby"
    ? "Standby, policy standbyInstances=skip"
    : run.policy.protectedInstances === "skip" && member.protectedFromScaleIn
      ? "scale-in protected, policy protectedInstances=skip"
      : undefined

/**
 * Members a forward run may leave on another image, by the policy's leave: old instances skipped under
 * standaloneTasks=skip-instance, Standby members under standbyInstances=skip, scale-in protected ones
 * under protectedInstances=skip (the plan named each).
 */
const allowedToStay = (run: RunFacts, g: GroupAtStart, group: GroupFleet): ReadonlySet<string> =>
  new Set([
    ...(run.policy.standaloneTasks === "skip-instance" ? g.oldInstanceIds : []),
    ...group.members
      .filter(
        (m) =>
          (run.policy.standbyInstances === "skip" && m.lifecycleState === "Standby") ||
          (run.policy.protectedInstances === "skip" && m.protectedFromScaleIn),
      )
      .map((m) => m.instanceId),
  ])

const outcomeAfterAudit = (
  run: RunFacts,
  claimed: RunOutcome,
  fleet: ReadonlyArray<GroupFleet>,
  belowFloor: ReadonlyArray<string>,
): { readonly outcome: RunOutcome; readonly summary?: string } => {
  const target = run.targetImage.imageId
  const groupAtStart = new Map(run.groups.map((g) => [g.asgName, g]))
  if (claimed === "succeeded") {
    const behind = fleet.flatMap((group) => {
      const stay = allowedToStay(run, groupAtStart.get(group.asgName) as GroupAtStart, group)
      return group.members.filter((m) => m.imageId !== target && !stay.has(m.instanceId))
    })
    const specsBehind = fleet.filter((group) => group.launchSpecImageId !== target)
    // Members the policy kept on another image are named, with why, in the success itself.
    const kept = fleet.flatMap((group) =>
      group.members.flatMap((m) => {
        const because = m.imageId === target ? undefined : keptBecause(run, m)
        return because === undefined ? [] : [`${m.instanceId} on ${m.imageId} (${because})`]
      }),
    )
    if (behind.length === 0 && specsBehind.length === 0 && belowFloor.length === 0)
      return kept.length === 0
        ? { outcome: "succeeded" }
        : { outcome: "succeeded", summary: `kept on their image by policy: ${kept.join(", ")}` }
    if (behind.length === 0 && specsBehind.length === 0)
      return {
        outcome: "incomplete",
        summary: `incomplete: every instance is on ${target}, but service(s) ${belowFloor.join(", ")} are below their healthy floor; check their events (aws ecs describe-services) before trusting the cluster`,
      }
    return {
      outcome: "incomplete",
      summary:
        `incomplete: ${behind.length} instance(s) not on ${target}` +
        (specsBehind.length > 0 ? ` and ${specsBehind.length} launch spec(s) not on it` : "") +
        (belowFloor.length > 0 ? `, service(s) ${belowFloor.join(", ")} below their healthy floor` : "") +
        "; run upgrade-cluster again to replace them",
    }
  }
  if (claimed === "rolled-back") {
    // As found: every launch spec back on its start image, and no instance this run launched on the target image left.
    const launchedOnTarget = fleet.flatMap((group) =>
      group.members.filter((m) => m.imageId === target && m.launchedAt >= run.startedAt),
    )
    const specsNotRestored = fleet.filter((group) => group.launchSpecImageId !== group.imageAtStart)
    if (launchedOnTarget.length === 0 && specsNotRestored.length === 0) return { outcome: "rolled-back" }
    return {
      outcome: "halted",
      summary:
        `halted: ${launchedOnTarget.length} instance(s) this run launched on ${target} stay (${launchedOnTarget.map((m) => m.instanceId).join(", ")})` +
        (specsNotRestored.length > 0
          ? `, ${specsNotRestored.length} launch spec(s) not restored`
          : ", launch spec(s) restored to their start image") +
        "; the fleet is mixed: run upgrade-cluster to finish the rollout once the cause is fixed",
    }
  }
  return { outcome: claimed }
}

/**
 * Container instances of the cluster that belong to no Auto Scaling group (launched by hand) and run
 * another image than the target: no run can replace them, so every outcome names them.
 */
export const outsideAnyGroup = (index: ClusterIndex, targetImageId: string): ReadonlyArray<string> =>
  index.snapshot.containerInstances.flatMap((container) => {
    const instance = index.instanceById.get(container.ec2InstanceId)
    if (container.status === "INACTIVE" || index.groupOfInstance.has(container.ec2InstanceId)) return []
    if (instance === undefined || instance.imageId === targetImageId) return []
    if (instance.state !== "running" && instance.state !== "pending") return []
    return [`${instance.instanceId} on ${instance.imageId}`]
  })

/**
 * A Finish decision whose outcome and reason agree with the fleet the snapshot shows. The reason always
 * ends with the fleet, so every outcome says exactly what the fleet is.
 */
export const truthfulFinish = (
  run: RunFacts,
  index: ClusterIndex,
  finish: Extract<Decision, { _tag: "Finish" }>,
): Extract<Decision, { _tag: "Finish" }> => {
  const fleet = auditFleet(run, index)
  const belowFloor = servicesBelowFloor(index, run.servicesBelowFloorAtStart).map(describeShortfall)
  const audited = outcomeAfterAudit(run, finish.outcome, fleet, belowFloor)
  const outside = outsideAnyGroup(index, run.targetImage.imageId)
  const reason = [
    audited.summary,
    finish.reason,
    `fleet: ${describeFleet(fleet)}`,
    ...(outside.length > 0
      ? [
          `outside any Auto Scaling group (no run can replace them; replace them by hand): ${outside.join(", ")}`,
        ]
      : []),
  ]
    .filter((part) => part !== undefined)
    .join("; ")
  return { _tag: "Finish", outcome: audited.outcome, reason }
}
