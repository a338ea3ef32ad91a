/**
 * The decision before a run: start one (recording the old set and the facts rollback restores),
 * wait while a scale-out is under way, say there is nothing to do, or refuse with the problems found.
 */
import type { ClusterSnapshot, Decision, RolloutPolicy } from "@ecs-ami-deploy/domain"
import { indexCluster, type ClusterIndex } from "./cluster.ts"
import { capacityMembers } from "./decide-context.ts"
import { DECIDER_VERSION } from "./decider-version.ts"
import { servicesBelowFloor } from "./fleet-audit.ts"
import { gateRefusals, serviceHealthOf } from "./gates.ts"
import { groupsAtStart, planRollout } from "./plan.ts"

/**
 * A scale-out under way in a group, with members EC2 does not describe yet (eventual consistency):
 * they are launched from the old launch spec, but the run cannot see their image to put them in its
 * old set. A run waits for them before it starts, so it replaces them too (Pending members EC2
 * describes are in the old set already).
 */
const scaleOutUnderWay = (index: ClusterIndex): string | undefined => {
  for (const group of index.snapshot.groups) {
    const members = capacityMembers(group)
    const unseen = members.filter((m) => !index.instanceById.has(m.instanceId)).length
    if (unseen > 0)
      return `Auto Scaling is launching instances of ${group.name} that EC2 does not describe yet (${unseen}): the run starts once it does, so it replaces them too`
  }
  return undefined
}

/** The decision for a cluster with no open run, under `policy`, at `now`. */
export const decideBeforeRun = (snapshot: ClusterSnapshot, policy: RolloutPolicy, now: number): Decision => {
  const plan = planRollout(snapshot, policy, now)
  if (plan.verdict === "refused") return { _tag: "Refuse", problems: plan.problems }
  if (plan.verdict === "nothing-to-do")
    return {
      _tag: "NothingToDo",
      reason: `every instance and launch spec of ${snapshot.clusterName} already uses ${snapshot.targetImage.imageId}`,
    }
  const refusals = gateRefusals(snapshot, policy)
  if (refusals.length > 0) return { _tag: "Refuse", problems: refusals }
  const index = indexCluster(snapshot)
  const launching = scaleOutUnderWay(index)
  if (launching !== undefined)
    return { _tag: "Wait", phase: "preparing", reason: launching, deadline: now + policy.pollIntervalMs }
  const groups = groupsAtStart(snapshot, plan)
  return {
    _tag: "Start",
    targetImage: snapshot.targetImage,
    groups,
    reason: `${plan.outdatedInstances.length} instance(s) in ${groups.length} group(s) to move to ${snapshot.targetImage.imageId}`,
    servicesBelowFloorAtStart: servicesBelowFloor(index, []).map((s) => s.serviceName),
    serviceHealthAtStart: serviceHealthOf(snapshot),
    deciderVersion: DECIDER_VERSION,
  }
}
