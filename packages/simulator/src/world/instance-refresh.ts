/**
 * Auto Scaling instance refresh (StartInstanceRefresh) with its MinHealthyPercentage and
 * MaxHealthyPercentage preferences, as the simulated group runs it. Healthy means InService and,
 * for an instance the refresh launched, past its instance warmup. Each step replaces what the range
 * allows: with MaxHealthyPercentage 100 (the default) it terminates as many old instances as keep
 * MinHealthyPercentage healthy (at least one) and the group launches their replacements
 * ("terminate and launch"); above 100 it first launches replacements up to MaxHealthyPercentage of
 * desired capacity and terminates old instances once those are healthy ("launch before
 * terminating"). A step runs once every member counting toward capacity is healthy. Terminations
 * go through the group's terminate lifecycle hooks: with ECS managed instance draining, the old
 * instance drains in Terminating:Wait while the refresh moves on to the next batch (it no longer
 * counts toward capacity), and the refresh is Successful once the last one has terminated.
 * Not modelled: checkpoints, SkipMatching, rollback, bake time, alarms.
 */
import { isMember, type GroupRecord, type InstanceRecord, type InstanceRefreshRecord } from "../records.ts"
import { Refusal } from "../records.ts"
import type { World } from "../world.ts"
import { capacityMembers, requestGroupReconcile } from "./auto-scaling.ts"
import { terminateMember } from "./lifecycle-hooks.ts"
import { schedule } from "./events.ts"

/** The preferences of StartInstanceRefresh the simulator honours. */
export interface RefreshPreferences {
  readonly minHealthyPercentage: number
  readonly maxHealthyPercentage: number
  readonly instanceWarmupMs: number
}

/** StartInstanceRefresh's validation of the healthy-percentage range (AWS: 0–100, 100–200, at most 100 apart). */
const refusalOf = (preferences: RefreshPreferences): string | undefined => {
  const { minHealthyPercentage: min, maxHealthyPercentage: max } = preferences
  if (min < 0 || min > 100) return `MinHealthyPercentage must be between 0 and 100 (got ${min}).`
  if (max < 100 || max > 200) return `MaxHealthyPercentage must be between 100 and 200 (got ${max}).`
  if (max - min > 100)
    return `The difference between MaxHealthyPercentage (${max}) and MinHealthyPercentage (${min}) cannot be greater than 100.`
  return undefined
}

/** Starts a refresh of every member the group has now; refused while another one runs. */
export const startInstanceRefresh = (
  world: World,
  group: GroupRecord,
  preferences: RefreshPreferences,
): string => {
  if (group.instanceRefresh?.status === "InProgress")
    throw new Refusal(
      "conflict",
      "InstanceRefreshInProgress",
      `An Instance Refresh is already in progress for ${group.name}.`,
    )
  const refused = refusalOf(preferences)
  if (refused !== undefined) throw new Refusal("invalid-parameter", "ValidationError", refused)
  const refresh: InstanceRefreshRecord = {
    id: `${world.rng.hex(8)}-${world.rng.hex(4)}-${world.rng.hex(4)}`,
    ...preferences,
    status: "InProgress",
    remaining: capacityMembers(world, group).map((i) => i.instanceId),
    terminated: [],
    checkScheduled: false,
    extraCapacity: 0,
  }
  group.instanceRefresh = refresh
  refreshStep(world, group, refresh)
  return refresh.id
}

/** Moves every running refresh on (called when a member comes InService). */
export const advanceInstanceRefreshes = (world: World): void => {
  for (const group of world.groups.values()) {
    const refresh = group.instanceRefresh
    if (refresh?.status === "InProgress") refreshStep(world, group, refresh)
  }
}

/** When an instance the refresh launched counts as healthy: InService plus the instance warmup. */
const warmAt = (world: World, launchTime: number, refresh: InstanceRefreshRecord): number =>
  launchTime +
  world.timings.instancePendingMs +
  world.timings.inServiceAfterRunningMs +
  refresh.instanceWarmupMs

/**
 * Launch before terminating: the group holds members beyond desired capacity, up to
 * MaxHealthyPercentage of it, while `oldLeft` old instances still count toward capacity.
 */
const setExtraCapacity = (
  world: World,
  group: GroupRecord,
  refresh: InstanceRefreshRecord,
  oldLeft: number,
): void => {
  const desired = group.desiredCapacity
  const maxMembers =
    refresh.maxHealthyPercentage > 100
      ? Math.max(desired + 1, Math.floor((desired * refresh.maxHealthyPercentage) / 100))
      : desired
  const extra = Math.max(0, Math.min(maxMembers, desired + oldLeft) - desired)
  if (extra === refresh.extraCapacity) return
  refresh.extraCapacity = extra
  requestGroupReconcile(world, group.name)
}

const refreshStep = (world: World, group: GroupRecord, refresh: InstanceRefreshRecord): void => {
  const members = capacityMembers(world, group)
  const memberIds = new Set(members.map((m) => m.instanceId))
  const stillOld = refresh.remaining.filter((id) => memberIds.has(id))
  refresh.remaining.splice(0, refresh.remaining.length, ...stillOld)
  const old = new Set(stillOld)
  const desired = group.desiredCapacity
  setExtraCapacity(world, group, refresh, stillOld.length)
  const extra = refresh.extraCapacity
  const healthy = members.filter(
    (m) =>
      m.membership.lifecycle === "InService" &&
      (old.has(m.instanceId) || world.now >= warmAt(world, m.launchTime, refresh)),
  )
  // Replacements not launched yet: their coming InService moves the refresh on.
  if (members.length < desired + extra) return
  if (healthy.length < members.length) {
    // Replacements still booting or warming up: look again when the newest one's warmup ends.
    const newest = Math.max(...members.map((m) => m.launchTime))
    scheduleStep(world, group, refresh, warmAt(world, newest, refresh) - world.now)
    return
  }
  if (stillOld.length === 0) {
    // Successful once the instances it terminated are gone: a terminate lifecycle hook (managed
    // draining) keeps one running in Terminating:Wait, and the fleet is not replaced until it ends.
    const leaving = refresh.terminated.some((id) => {
      const state = world.instances.get(id)?.state
      return state === "running" || state === "pending"
    })
    if (!leaving) refresh.status = "Successful"
    else scheduleStep(world, group, refresh, world.timings.managedDrainingCheckMs)
    return
  }
  const minHealthy = Math.ceil((desired * refresh.minHealthyPercentage) / 100)
  const room = healthy.length - minHealthy
  // One at a time when the range leaves no room.
  const batch = Math.max(1, room)
  for (const instanceId of stillOld.slice(0, batch)) {
    const instance: InstanceRecord | undefined = world.instances.get(instanceId)
    if (!isMember(instance)) continue
    terminateMember(
      world,
      instance,
      "an instance was taken out of service in response to an instance refresh.",
      "an instance refresh",
    )
    refresh.terminated.push(instanceId)
  }
  setExtraCapacity(world, group, refresh, stillOld.length - Math.min(batch, stillOld.length))
  requestGroupReconcile(world, group.name)
  // The last terminations launch nothing whose coming InService would move the refresh on.
  scheduleStep(world, group, refresh, world.timings.autoScalingReactionMs)
}

/** One step of the refresh `delayMs` from now (at least a second), unless one is already queued. */
const scheduleStep = (
  world: World,
  group: GroupRecord,
  refresh: InstanceRefreshRecord,
  delayMs: number,
): void => {
  if (refresh.checkScheduled) return
  refresh.checkScheduled = true
  schedule(world, Math.max(1_000, delayMs), `refresh ${group.name}`, () => {
    refresh.checkScheduled = false
    if (refresh.status === "InProgress") refreshStep(world, group, refresh)
  })
}
