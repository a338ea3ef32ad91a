/**
 * Gates and checkpoints of a forward run: what Auto Scaling instance refresh offers (alarm-based
 * rollback, checkpoints with a delay), for an ECS cluster. Checked at every decision of a forward run,
 * so before each wave and while new capacity bakes:
 * - an alarm the policy names in ALARM (or no longer found) fails the gate;
 * - so does a service the run moves (a task on an old instance or on one the run launched) whose
 *   deployment ECS marks FAILED, or whose failed tasks grew by SERVICE_FAILED_TASKS since the start,
 *   or — load balanced — whose healthy tasks stay below its floor for the new-capacity timeout after
 *   the run last acted, while old instances remain;
 * - with the policy's target health gate on, so does a load-balanced service the run moves whose
 *   target group has targets failing their health checks and fewer healthy targets than the service's
 *   floor (⌈desired × minimumHealthyPercent / 100⌉): what the load balancer sees, which ECS's own
 *   counts may not (a health check grace period, a task that turns bad after it first passed). Targets
 *   only starting (`initial`) or leaving (`draining`) do not fail it: a drain moving tasks is not a
 *   failure. It judges the target groups the snapshot carries: the executor reads those of the
 *   services with a task on an instance the run launched (targetGroupsToWatch), before it acts;
 * - a failed gate is recorded (GateFailed), then the run rolls back or halts (`onGateFailure`);
 * - once the share of old instances replaced reaches a checkpoint, the run records it and pauses: for
 *   `checkpointDelayMs`, or until someone says `continue` (the executor suspends the run meanwhile).
 * A run refuses to start while a named alarm is missing or in ALARM: nothing has changed yet.
 *
 * No DECIDER_VERSION guard is needed: runs recorded before the gates have no alarms or checkpoints in
 * their policy, no `targetHealthGate` (absent: off) and no service baseline in RunStarted, and without
 * them nothing here ever decides.
 */
import {
  alarmGateFailures,
  describeGateFailure,
  formatDuration,
  type ClusterSnapshot,
  type Decision,
  type Ec2Instance,
  type GateAction,
  type GateFailure,
  type GateStep,
  type RolloutPolicy,
  type RunEventBody,
  type Service,
  type ServiceHealthAtStart,
  type TargetGroupHealth,
} from "@ecs-ami-deploy/domain"
import { HashMap } from "effect"
import type { ClusterIndex } from "./cluster.ts"
import type { RunState } from "./state.ts"

type Running = Extract<RunState, { _tag: "Running" }>

/** With alarms named, the executor observes at least this often, even while it watches a wait (CloudWatch's standard period). */
export const GATE_CHECK_INTERVAL_MS = 60_000

/** A service's failed tasks may grow by fewer than this since the run started (ECS's circuit breaker's least threshold). */
export const SERVICE_FAILED_TASKS = 3

const isoTime = (epochMs: number): string => new Date(epochMs).toISOString()

/** What a failed gate does: the policy's `onGateFailure`, else roll back when `rollbackOnFailure`, else halt. */
export const gateActionOf = (policy: RolloutPolicy): GateAction =>
  policy.onGateFailure ?? (policy.rollbackOnFailure ? "rollback" : "halt")

/** The alarms the policy names that are in ALARM, or that DescribeAlarms did not return. */
export const alarmFailures = (policy: RolloutPolicy, snapshot: ClusterSnapshot): ReadonlyArray<GateFailure> =>
  alarmGateFailures(policy.alarms ?? [], snapshot.alarms ?? [])

/** Why a run may not start under the policy's alarms: each one missing or in ALARM, and what to do. */
export const gateRefusals = (
  snapshot: ClusterSnapshot,
  policy: RolloutPolicy,
): ReadonlyArray<{ readonly problem: string; readonly fix: string }> =>
  alarmFailures(policy, snapshot).map((failure) => ({
    problem: describeGateFailure(failure),
    fix: failure.detail.startsWith("not found")
      ? "name an alarm of the cluster's account and Region (--alarm), or create it first"
      : "start the run once the alarm is back to OK (or find out why it fires)",
  }))

/** One target group of a service with targets failing their health checks and too few healthy ones. */
interface TargetShortfall {
  readonly targetGroupArn: string
  readonly healthy: number
  readonly failing: number
  readonly registered: number
  readonly floor: number
  readonly reasons: ReadonlyArray<string>
}

/** `web` out of `arn:aws:elasticloadbalancing:…:targetgroup/web/0123456789abcdef`. */
const targetGroupNameOf = (arn: string): string => /:targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn

const describeTargetShortfall = (shortfall: TargetShortfall): string =>
  `target group ${targetGroupNameOf(shortfall.targetGroupArn)} has ${shortfall.healthy} healthy target(s) of ${shortfall.registered} registered, below the service's floor of ${shortfall.floor}; ${shortfall.failing} fail their health checks (${shortfall.reasons.join(", ")}) — ${shortfall.targetGroupArn}`

/**
 * The target groups of a load-balanced replica service (as read in `targetHealth`) where some targets
 * fail their health checks and fewer than the service's floor are healthy.
 */
const targetShortfalls = (
  service: Service,
  targetHealth: ReadonlyArray<TargetGroupHealth>,
): ReadonlyArray<TargetShortfall> => {
  if (service.status !== "ACTIVE" || service.schedulingStrategy !== "REPLICA") return []
  const floor = Math.ceil((service.desiredCount * service.minimumHealthyPercent) / 100)
  return (service.targetGroupArns ?? []).flatMap((targetGroupArn): ReadonlyArray<TargetShortfall> => {
    const group = targetHealth.find((candidate) => candidate.targetGroupArn === targetGroupArn)
    if (group === undefined) return []
    const healthy = group.targets.filter((target) => target.state === "healthy").length
    const failing = group.targets.filter(
      (target) => target.state === "unhealthy" || target.state === "unhealthy.draining",
    )
    if (failing.length === 0 || healthy >= floor) return []
    return [
      {
        targetGroupArn,
        healthy,
        failing: failing.length,
        registered: group.targets.length,
        floor,
        reasons: [...new Set(failing.map((target) => target.reason ?? target.state))],
      },
    ]
  })
}

const healthOf = (service: Service): ServiceHealthAtStart => ({
  serviceName: service.serviceName,
  failedTasks: service.deployments.reduce((total, deployment) => total + (deployment.failedTasks ?? 0), 0),
  failedDeploymentIds: service.deployments
    .filter((deployment) => deployment.rolloutState === "FAILED")
    .map((deployment) => deployment.id),
})

/** Each service's failed tasks and failed deployments now: what the service gate compares with later. */
export const serviceHealthOf = (snapshot: ClusterSnapshot): ReadonlyArray<ServiceHealthAtStart> =>
  snapshot.services.map(healthOf)

/** Whether an old instance is gone (terminating or terminated): replaced, as checkpoints count. */
const isReplaced = (index: ClusterIndex, instanceId: string): boolean => {
  const instance = index.instanceById.get(instanceId)
  const lifecycle = index.memberLifecycle.get(instanceId)
  return (
    instance === undefined ||
    instance.state === "terminated" ||
    instance.state === "shutting-down" ||
    lifecycle?.startsWith("Terminat") === true
  )
}

/** The run's old instances that are gone (terminating or terminated), of all of them. */
export const replacedShare = (
  running: Running,
  index: ClusterIndex,
): { readonly replaced: number; readonly of: number } => {
  const oldIds = running.run.groups.flatMap((group) => group.oldInstanceIds)
  return { replaced: oldIds.filter((id) => isReplaced(index, id)).length, of: oldIds.length }
}

/**
 * How many more old instances waves may take before the run's next checkpoint (decider 3): a wave
 * stops at a checkpoint instead of crossing it, so the run pauses with that share replaced and no
 * more. `taken`: the old instances waves have taken so far. `Infinity` with no checkpoint ahead.
 */
export const checkpointRoom = (running: Running, index: ClusterIndex, taken: ReadonlySet<string>): number => {
  const reached = running.checkpoints?.at(-1)?.percent ?? 0
  const next = (running.run.policy.checkpoints ?? []).find((percent) => percent > reached)
  if (next === undefined) return Infinity
  const oldIds = running.run.groups.flatMap((group) => group.oldInstanceIds)
  const committed = oldIds.filter((id) => taken.has(id) || isReplaced(index, id)).length
  return Math.ceil((next * oldIds.length) / 100) - committed
}

/** The instances a run moves tasks off and onto: its old instances, and those on its image it launched. */
export interface RunFootprint {
  readonly oldInstanceIds: ReadonlySet<string>
  readonly targetImageId: string
  /** Instances on the target image launched since then are the run's (before a run starts: none). */
  readonly startedAt: number
}

/** The footprint of an open run. */
export const footprintOf = (running: Running): RunFootprint => ({
  oldInstanceIds: new Set(running.run.groups.flatMap((group) => group.oldInstanceIds)),
  targetImageId: running.run.targetImage.imageId,
  startedAt: running.run.startedAt,
})

/** Services with a task (in any state) on one of the run's old instances or on an instance it launched. */
export const servicesMoved = (
  view: Pick<ClusterSnapshot, "instances" | "containerInstances" | "tasks">,
  footprint: RunFootprint,
): ReadonlySet<string> => {
  const instanceById = new Map(view.instances.map((instance) => [instance.instanceId, instance]))
  const isMoved = (instanceId: string, instance: Ec2Instance | undefined) =>
    footprint.oldInstanceIds.has(instanceId) ||
    (instance !== undefined &&
      instance.imageId === footprint.targetImageId &&
      instance.launchTime >= footprint.startedAt)
  const movedContainers = new Set(
    view.containerInstances
      .filter((container) => isMoved(container.ec2InstanceId, instanceById.get(container.ec2InstanceId)))
      .map((container) => container.containerInstanceArn),
  )
  return new Set(
    view.tasks.flatMap((task) =>
      task.serviceName !== undefined &&
      task.containerInstanceArn !== undefined &&
      movedContainers.has(task.containerInstanceArn)
        ? [task.serviceName]
        : [],
    ),
  )
}

/**
 * The target groups of the active load-balanced replica services with a task on an instance of the
 * footprint: what the target health gate reads (one DescribeTargetHealth request each).
 */
export const targetGroupsToWatch = (
  view: Pick<ClusterSnapshot, "instances" | "containerInstances" | "tasks" | "services">,
  footprint: RunFootprint,
): ReadonlyArray<string> => {
  const moved = servicesMoved(view, footprint)
  return [
    ...new Set(
      view.services
        .filter(
          (service) =>
            moved.has(service.serviceName) &&
            service.status === "ACTIVE" &&
            service.schedulingStrategy === "REPLICA",
        )
        .flatMap((service) => service.targetGroupArns ?? []),
    ),
  ]
}

/** Services the run moves whose deployment failed, whose tasks keep failing, or (load balanced) that stay below their floor. */
export const serviceFailures = (
  running: Running,
  index: ClusterIndex,
  now: number,
): ReadonlyArray<GateFailure> => {
  const { run } = running
  const share = replacedShare(running, index)
  const lastOutcome = Math.max(
    run.startedAt,
    ...[...HashMap.values(running.commands)].map((r) => r.outcomeAt),
  )
  const floorGraceOver = now >= lastOutcome + run.policy.timeouts.newCapacityMs && share.replaced < share.of
  return [...servicesMoved(index.snapshot, footprintOf(running))].flatMap(
    (serviceName): ReadonlyArray<GateFailure> => {
      const service = index.serviceByName.get(serviceName)
      if (service === undefined || service.status !== "ACTIVE") return []
      const atStart = run.serviceHealthAtStart?.find((health) => health.serviceName === serviceName)
      const health = healthOf(service)
      const failedDeployment = health.failedDeploymentIds.find(
        (id) => atStart !== undefined && !atStart.failedDeploymentIds.includes(id),
      )
      if (failedDeployment !== undefined)
        return [
          {
            kind: "service",
            name: serviceName,
            detail: `ECS marks its deployment ${failedDeployment} FAILED (deployment circuit breaker)`,
          },
        ]
      const failedTasks = health.failedTasks
      if (atStart !== undefined && failedTasks - atStart.failedTasks >= SERVICE_FAILED_TASKS)
        return [
          {
            kind: "service",
            name: serviceName,
            detail: `${failedTasks - atStart.failedTasks} of its tasks failed to start or failed their health checks since the run started (ECS failedTasks ${atStart.failedTasks} → ${failedTasks})`,
          },
        ]
      const targetShortfall =
        run.policy.targetHealthGate === true
          ? targetShortfalls(service, index.snapshot.targetHealth ?? [])[0]
          : undefined
      if (targetShortfall !== undefined)
        return [{ kind: "service", name: serviceName, detail: describeTargetShortfall(targetShortfall) }]
      if (
        !service.loadBalanced ||
        service.schedulingStrategy !== "REPLICA" ||
        run.servicesBelowFloorAtStart.includes(serviceName) ||
        !floorGraceOver
      )
        return []
      const floor = Math.ceil((service.desiredCount * service.minimumHealthyPercent) / 100)
      const healthy = index.snapshot.tasks.filter(
        (task) =>
          task.serviceName === serviceName &&
          task.lastStatus === "RUNNING" &&
          task.healthStatus !== "UNHEALTHY",
      ).length
      return healthy < floor
        ? [
            {
              kind: "service",
              name: serviceName,
              detail: `${healthy} healthy task(s), below its floor of ${floor}, for ${formatDuration(now - lastOutcome)} since the run last acted (--new-capacity-timeout ${formatDuration(run.policy.timeouts.newCapacityMs)})`,
            },
          ]
        : []
    },
  )
}

const failedGateDecision = (gate: NonNullable<Running["gate"]>): Decision =>
  gate.action === "rollback"
    ? { _tag: "RollBack", reason: `gate failed: ${describeGateFailure(gate.failure)}` }
    : {
        _tag: "Finish",
        outcome: "failed",
        reason: `gate failed: ${describeGateFailure(gate.failure)} (onGateFailure=halt: the run stops where it is; the fleet below is what it left)`,
      }

/** The checkpoint step of a forward run: pausing, waiting for `continue`, or reaching the next one. */
const checkpointStep = (running: Running, index: ClusterIndex, now: number): Decision | undefined => {
  const { policy } = running.run
  const last = running.checkpoints?.at(-1)
  const share = replacedShare(running, index)
  const progress = `${share.replaced} of ${share.of} old instances replaced`
  if (last !== undefined && last.continuedAt === undefined) {
    if (last.resumesAt === undefined)
      return {
        _tag: "Gate",
        step: {
          _tag: "AwaitContinue",
          percent: last.percent,
          since: last.at,
          reason: `waiting at checkpoint ${last.percent}% since ${isoTime(last.at)} (${last.replaced} of ${last.of} old instances replaced) for an explicit continue`,
        },
      }
    if (now < last.resumesAt)
      return {
        _tag: "Wait",
        phase: "checkpoint",
        reason: `paused at checkpoint ${last.percent}% (${progress}) until ${isoTime(last.resumesAt)}`,
        deadline: last.resumesAt,
      }
  }
  const due = (policy.checkpoints ?? []).filter(
    (percent) => percent > (last?.percent ?? 0) && share.replaced * 100 >= percent * share.of,
  )
  const percent = due.at(-1)
  if (percent === undefined) return undefined
  const resumesAt = policy.checkpointDelayMs === undefined ? undefined : now + policy.checkpointDelayMs
  return {
    _tag: "Gate",
    step: {
      _tag: "ReachCheckpoint",
      percent,
      replaced: share.replaced,
      of: share.of,
      ...(resumesAt === undefined ? {} : { resumesAt }),
      reason:
        `checkpoint ${percent}% reached (${progress}): ` +
        (resumesAt === undefined
          ? "the run waits for an explicit continue"
          : `the run pauses ${formatDuration(policy.checkpointDelayMs ?? 0)}, until ${isoTime(resumesAt)}`),
    },
  }
}

/**
 * The gate step of a forward run, if any: a failed gate acted on, a newly failed gate recorded, or a
 * checkpoint. `undefined`: the run goes on.
 */
export const decideGates = (running: Running, index: ClusterIndex, now: number): Decision | undefined => {
  if (running.gate !== undefined) return failedGateDecision(running.gate)
  const failure =
    alarmFailures(running.run.policy, index.snapshot)[0] ?? serviceFailures(running, index, now)[0]
  if (failure !== undefined) {
    const action = gateActionOf(running.run.policy)
    return {
      _tag: "Gate",
      step: { _tag: "Fail", gate: failure, action, reason: `gate failed: ${describeGateFailure(failure)}` },
    }
  }
  return checkpointStep(running, index, now)
}

/**
 * The checkpoint an open run pauses at now, from its log alone: waiting for an explicit `continue`
 * (no `resumesAt`), or for its delay to pass. Not while it rolls back or a gate has failed.
 */
export const checkpointPause = (
  state: RunState,
  now: number,
): { readonly percent: number; readonly since: number; readonly resumesAt?: number } | undefined => {
  if (state._tag !== "Running" || state.rollback !== undefined || state.gate !== undefined) return undefined
  const last = state.checkpoints?.at(-1)
  if (last === undefined || last.continuedAt !== undefined) return undefined
  if (last.resumesAt !== undefined && now >= last.resumesAt) return undefined
  return {
    percent: last.percent,
    since: last.at,
    ...(last.resumesAt === undefined ? {} : { resumesAt: last.resumesAt }),
  }
}

/** The checkpoint an open run waits at for an explicit `continue`, if it does. */
export const awaitingContinue = (
  state: RunState,
): { readonly percent: number; readonly since: number } | undefined => {
  const pause = checkpointPause(state, 0)
  return pause !== undefined && pause.resumesAt === undefined ? pause : undefined
}

/** The event that records a gate step (AwaitContinue records none: the run is suspended until a `continue`). */
export const gateEventOf = (step: Exclude<GateStep, { readonly _tag: "AwaitContinue" }>): RunEventBody => {
  switch (step._tag) {
    case "Fail":
      return { _tag: "GateFailed", gate: step.gate, action: step.action }
    case "ReachCheckpoint":
      return {
        _tag: "CheckpointReached",
        percent: step.percent,
        replaced: step.replaced,
        of: step.of,
        ...(step.resumesAt === undefined ? {} : { resumesAt: step.resumesAt }),
      }
  }
}
