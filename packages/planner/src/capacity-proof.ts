/**
 * New capacity proven before a drain relies on it (invariant 3): which new instances a group's drain
 * can count on, how many it needs, and the wait (or failure) while they are not there yet.
 */
import type { AutoScalingGroup, Decision, GroupAtStart, ProvenCapacity } from "@ecs-ami-deploy/domain"
import { expectedDesired } from "./capacity-drift.ts"
import { isProvenNew } from "./cluster.ts"
import { type Context, failRun, liveMembers } from "./decide-context.ts"
import type { CommandRecord } from "./state.ts"

/**
 * Group members that count toward desired capacity and are not new capacity: the old set, and members
 * known to run another image. A member EC2 does not describe yet is new capacity still to be proven.
 */
const nonNewMembers = (ctx: Context, group: AutoScalingGroup): number =>
  liveMembers(ctx, group).filter((id) => {
    const imageId = ctx.index.instanceById.get(id)?.imageId
    return ctx.oldIds.has(id) || (imageId !== undefined && imageId !== ctx.run.targetImage.imageId)
  }).length

/**
 * What a wave's drain relies on (invariant 3): the group's proven new instances, and how many it needs —
 * the capacity the group is asked for now (this wave's, or a change the run adopted since) beyond its
 * old and other-image members. The executor checks them again just before issuing the drain.
 */
export const provenCapacityOf = (
  ctx: Context,
  g: GroupAtStart,
  group: AutoScalingGroup,
  capacityRecord: CommandRecord | undefined,
): ProvenCapacity => {
  const desired =
    expectedDesired(ctx.state, g) ??
    (capacityRecord?.command._tag === "SetCapacity"
      ? capacityRecord.command.desiredCapacity
      : g.desiredCapacity)
  return {
    asgName: g.asgName,
    required: Math.max(0, desired - nonNewMembers(ctx, group)),
    instances: group.instances.flatMap((m) => {
      const container = ctx.index.containerByInstanceId.get(m.instanceId)
      return !ctx.oldIds.has(m.instanceId) &&
        container !== undefined &&
        isProvenNew(ctx.index, group, m.instanceId, ctx.run.targetImage.imageId)
        ? [{ instanceId: m.instanceId, containerInstanceArn: container.containerInstanceArn }]
        : []
    }),
  }
}

/** The drain's `provenCapacity` field: absent when the drain needs no new capacity. */
export const relyingOn = (capacity: ProvenCapacity): { readonly provenCapacity?: ProvenCapacity } =>
  capacity.required === 0 ? {} : { provenCapacity: capacity }

/** Waits for new capacity to be proven, or fails the run once the wave's deadline for it has passed. */
export const awaitProof = (
  ctx: Context,
  g: GroupAtStart,
  capacity: ProvenCapacity,
  capacityAt: number,
): Decision => {
  const deadline = capacityAt + ctx.policy.timeouts.newCapacityMs
  const proven = capacity.instances.length
  if (ctx.now >= deadline)
    return failRun(
      ctx,
      `new capacity of ${g.asgName} not proven in time: ${proven} of ${capacity.required} instance(s) InService and ACTIVE on ${ctx.run.targetImage.imageId}`,
    )
  return {
    _tag: "Wait",
    phase: "proving",
    reason: `${proven} of ${capacity.required} new instance(s) of ${g.asgName} proven`,
    deadline,
  }
}
