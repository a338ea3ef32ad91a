/**
 * What an open or ended run is doing, read from its event log and the cluster's lock, for `status`
 * and for `plan` on a cluster with an open run: whether someone is running it (the lock held and its
 * lease renewed), whether its holder is gone (a lease nobody renews), or whether it is suspended
 * waiting for `resume`; when it ended and how long it took; and each old instance of each group with
 * how far it got.
 */
import type { RunEvent, RunOutcome } from "@ecs-ami-deploy/domain"
import { formatDuration } from "@ecs-ami-deploy/domain"
import { evolve, initialState, type InstanceStep, progressOf, type RunStatus } from "ecs-ami-deploy"
import { isoSeconds } from "./text.ts"

type Lock = Extract<RunStatus, { _tag: "Run" }>["lock"]

/** Where a run stands. */
export type RunCondition =
  | {
      readonly _tag: "Finished"
      readonly outcome: RunOutcome
      readonly endedAt: number
      readonly durationMs: number
    }
  | { readonly _tag: "Running"; readonly holder: string; readonly leaseExpiresAt: number }
  | { readonly _tag: "HolderGone"; readonly holder: string; readonly leaseExpiredAt: number }
  | { readonly _tag: "Suspended"; readonly reason: string; readonly at: number }

/** The condition of a run from its events and the cluster's lock, at `now` (the run's clock). */
export const runConditionOf = (events: ReadonlyArray<RunEvent>, lock: Lock, now: number): RunCondition => {
  const started = events.find((event) => event._tag === "RunStarted")?.at ?? events[0]?.at ?? now
  const finished = events.findLast((event) => event._tag === "RunFinished")
  if (finished?._tag === "RunFinished")
    return {
      _tag: "Finished",
      outcome: finished.outcome,
      endedAt: finished.at,
      durationMs: finished.at - started,
    }
  if (lock !== undefined)
    return lock.expiresAt > now
      ? { _tag: "Running", holder: lock.holder, leaseExpiresAt: lock.expiresAt }
      : { _tag: "HolderGone", holder: lock.holder, leaseExpiredAt: lock.expiresAt }
  const suspended = events.findLast((event) => event._tag === "RunSuspended")
  return {
    _tag: "Suspended",
    reason: suspended?._tag === "RunSuspended" ? suspended.reason : "its last holder released the lock",
    at: suspended?.at ?? events.at(-1)?.at ?? started,
  }
}

/** One line for a condition, with relative times ("in 4m", "3m ago") against `now`. */
export const conditionLine = (condition: RunCondition, now: number): string => {
  switch (condition._tag) {
    case "Finished":
      return `finished ${condition.outcome} at ${isoSeconds(condition.endedAt)}, after ${formatDuration(condition.durationMs)}`
    case "Running":
      return `running: locked by ${condition.holder}, lease expires in ${formatDuration(condition.leaseExpiresAt - now)} (renewed while it runs)`
    case "HolderGone":
      return `holder gone: ${condition.holder} stopped renewing its lease ${formatDuration(now - condition.leaseExpiredAt)} ago; \`resume\` takes the run over`
    case "Suspended":
      return `suspended since ${isoSeconds(condition.at)}: ${condition.reason}; \`resume\` continues it`
  }
}

export interface GroupInstances {
  readonly asgName: string
  readonly instances: ReadonlyArray<{ readonly instanceId: string; readonly step: InstanceStep }>
}

/** Each group's old instances and how far each got, from the run's events. */
export const instancesOf = (events: ReadonlyArray<RunEvent>): ReadonlyArray<GroupInstances> =>
  progressOf(events.reduce(evolve, initialState)).groups.map(({ asgName, instances }) => ({
    asgName,
    instances,
  }))

/** The instances as text lines, one group per line. */
export const instanceLines = (groups: ReadonlyArray<GroupInstances>): ReadonlyArray<string> =>
  groups.map((group) => {
    const done = group.instances.filter((instance) => instance.step === "replaced").length
    const listed = group.instances.map((instance) =>
      instance.step === "to replace" ? instance.instanceId : `${instance.instanceId} (${instance.step})`,
    )
    return `  ${group.asgName}: ${done} of ${group.instances.length} replaced — ${listed.join(", ")}`
  })
