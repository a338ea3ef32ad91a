/**
 * A deliberately tiny model of the world for sequence tests: it applies a decision's commands to a
 * snapshot (Auto Scaling launches to desired capacity at once, ECS moves a draining instance's service
 * tasks to any ACTIVE instance with room) and feeds the planner the events an executor would record.
 * It is not the simulator: no latency, no health checks, zones only as far as Auto Scaling launches into the
 * least-populated one — just enough to run decide to the end.
 */
import {
  EVENT_SCHEMA_VERSION,
  type ClusterSnapshot,
  type Command,
  type Decision,
  type GroupAtStart,
  type RolloutPolicy,
  type RunEvent,
  type RunEventBody,
  type Task,
} from "@ecs-ami-deploy/domain"
import { decide, evolve, gateEventOf, initialState, type RunState } from "../src/index.ts"
import { containerInstance, ec2Instance, withAccounting } from "./fixtures.ts"

export interface ModelOptions {
  /** Launched instances never register with ECS (new capacity is never proven). */
  readonly newInstancesNeverRegister?: boolean
  /** Launched instances join their group but EC2 never describes them, nor do they register (a launch stuck half-way). */
  readonly newInstancesInvisible?: boolean
  /** Tasks on new-image instances keep failing health checks. */
  readonly newImageBroken?: boolean
}

const LAUNCHES_TAG = "model:launches"

const launch = (
  snapshot: ClusterSnapshot,
  asgName: string,
  count: number,
  now: number,
  options: ModelOptions,
): ClusterSnapshot => {
  let next = snapshot
  for (let k = 0; k < count; k++) {
    const group = next.groups.find((g) => g.name === asgName)
    if (group === undefined) return next
    // The group counts its launches in a tag, so ids stay unique even for instances EC2 never describes.
    const launches = Number(group.tags[LAUNCHES_TAG] ?? "0")
    const instanceId = `i-${asgName}-l${launches}`
    // Auto Scaling launches into the zone with the fewest counted members (the first listed on a tie).
    const counted = group.instances.filter((m) => m.lifecycleState !== "Detached")
    const zone =
      [...group.availabilityZones].sort(
        (a, b) =>
          counted.filter((m) => m.availabilityZone === a).length -
          counted.filter((m) => m.availabilityZone === b).length,
      )[0] ?? "eu-west-1a"
    next = {
      ...next,
      instances:
        options.newInstancesInvisible === true
          ? next.instances
          : [...next.instances, ec2Instance(instanceId, group.launchSpecImageId, now)],
      containerInstances:
        options.newInstancesNeverRegister === true || options.newInstancesInvisible === true
          ? next.containerInstances
          : [...next.containerInstances, containerInstance(instanceId)],
      groups: next.groups.map((g) =>
        g.name !== asgName
          ? g
          : {
              ...g,
              tags: { ...g.tags, [LAUNCHES_TAG]: String(launches + 1) },
              instances: [
                ...g.instances,
                {
                  instanceId,
                  availabilityZone: zone,
                  lifecycleState: "InService" as const,
                  healthStatus: "Healthy" as const,
                  protectedFromScaleIn: false,
                  instanceType: "m6i.large",
                },
              ],
            },
      ),
    }
  }
  return next
}

/**
 * Auto Scaling brings each group to its desired capacity (launching, or removing its newest members);
 * a `Detached` member (left by the Go tool) no longer counts.
 */
const reconcileGroups = (snapshot: ClusterSnapshot, now: number, options: ModelOptions): ClusterSnapshot => {
  let next = snapshot
  for (const group of snapshot.groups) {
    const counted = group.instances.filter((m) => m.lifecycleState !== "Detached")
    const missing = group.desiredCapacity - counted.length
    if (missing > 0) next = launch(next, group.name, missing, now, options)
    else if (missing < 0)
      next = terminate(
        next,
        counted.slice(missing).map((m) => m.instanceId),
        false,
      )
  }
  return next
}

const terminate = (
  snapshot: ClusterSnapshot,
  instanceIds: ReadonlyArray<string>,
  decrement: boolean,
): ClusterSnapshot => {
  const ids = new Set(instanceIds)
  const arns = new Set(
    instanceIds.map(
      (id) => snapshot.containerInstances.find((c) => c.ec2InstanceId === id)?.containerInstanceArn,
    ),
  )
  return {
    ...snapshot,
    instances: snapshot.instances.map((i) =>
      ids.has(i.instanceId) ? { ...i, state: "terminated" as const } : i,
    ),
    containerInstances: snapshot.containerInstances.filter((c) => !ids.has(c.ec2InstanceId)),
    tasks: snapshot.tasks.filter((t) => !arns.has(t.containerInstanceArn)),
    groups: snapshot.groups.map((g) => {
      const removed = g.instances.filter((m) => ids.has(m.instanceId)).length
      return {
        ...g,
        instances: g.instances.filter((m) => !ids.has(m.instanceId)),
        desiredCapacity: decrement ? g.desiredCapacity - removed : g.desiredCapacity,
      }
    }),
  }
}

/** ECS moves service tasks off DRAINING instances to ACTIVE ones with room; daemon tasks leave last. */
const reconcileTasks = (snapshot: ClusterSnapshot, options: ModelOptions): ClusterSnapshot => {
  let next = withAccounting(snapshot)
  const draining = new Set(
    next.containerInstances.filter((c) => c.status === "DRAINING").map((c) => c.containerInstanceArn),
  )
  const daemon = new Set(
    next.services.filter((s) => s.schedulingStrategy === "DAEMON").map((s) => s.serviceName),
  )
  const newImageHosts = new Set(
    next.instances.filter((i) => i.imageId === next.targetImage.imageId).map((i) => i.instanceId),
  )
  const tasks: Array<Task> = []
  for (const task of next.tasks) {
    if (
      task.containerInstanceArn === undefined ||
      !draining.has(task.containerInstanceArn) ||
      task.serviceName === undefined ||
      daemon.has(task.serviceName)
    ) {
      tasks.push(task)
      continue
    }
    const distinct =
      next.services
        .find((s) => s.serviceName === task.serviceName)
        ?.placementConstraints.some((c) => c.type === "distinctInstance") ?? false
    const host = next.containerInstances.find(
      (c) =>
        c.status === "ACTIVE" &&
        c.agentConnected &&
        c.remaining.cpu >= task.cpu &&
        c.remaining.memory >= task.memory &&
        task.hostPorts.every((p) => !c.remaining.ports.includes(p)) &&
        !(
          distinct &&
          next.tasks.some(
            (t) => t.serviceName === task.serviceName && t.containerInstanceArn === c.containerInstanceArn,
          )
        ),
    )
    if (host === undefined) {
      tasks.push(task)
      continue
    }
    const healthStatus =
      options.newImageBroken === true && newImageHosts.has(host.ec2InstanceId) ? "UNHEALTHY" : "HEALTHY"
    tasks.push({ ...task, containerInstanceArn: host.containerInstanceArn, healthStatus })
    next = withAccounting({ ...next, tasks: [...tasks, ...next.tasks.slice(tasks.length)] })
  }
  const occupied = new Set(
    tasks
      .filter((t) => t.serviceName === undefined || !daemon.has(t.serviceName))
      .map((t) => t.containerInstanceArn),
  )
  return withAccounting({
    ...next,
    tasks: tasks.filter(
      (t) =>
        !(
          t.containerInstanceArn !== undefined &&
          draining.has(t.containerInstanceArn) &&
          t.serviceName !== undefined &&
          daemon.has(t.serviceName) &&
          !occupied.has(t.containerInstanceArn)
        ),
    ),
  })
}

/** Applies one command's effect to the snapshot. */
export const applyCommand = (
  snapshot: ClusterSnapshot,
  command: Command,
  startGroups: ReadonlyArray<GroupAtStart>,
  now: number,
  options: ModelOptions = {},
): ClusterSnapshot => {
  const group = (
    name: string,
    change: (g: ClusterSnapshot["groups"][number]) => ClusterSnapshot["groups"][number],
  ) => ({
    ...snapshot,
    groups: snapshot.groups.map((g) => (g.name === name ? change(g) : g)),
  })
  const setStatus = (arns: ReadonlyArray<string>, status: "ACTIVE" | "DRAINING"): ClusterSnapshot => ({
    ...snapshot,
    containerInstances: snapshot.containerInstances.map((c) =>
      arns.includes(c.containerInstanceArn) ? { ...c, status } : c,
    ),
  })
  let next: ClusterSnapshot
  switch (command._tag) {
    case "TagInstances":
      next = {
        ...snapshot,
        instances: snapshot.instances.map((i) =>
          command.instanceIds.includes(i.instanceId) ? { ...i, tags: { ...i.tags, ...command.tags } } : i,
        ),
      }
      break
    case "SuspendProcesses":
      next = group(command.asgName, (g) => ({
        ...g,
        suspendedProcesses: [...new Set([...g.suspendedProcesses, ...command.processes])],
      }))
      break
    case "ResumeProcesses":
      next = group(command.asgName, (g) => ({
        ...g,
        suspendedProcesses: g.suspendedProcesses.filter((p) => !command.processes.includes(p)),
      }))
      break
    case "UpdateLaunchSpec":
      next = group(command.asgName, (g) => ({ ...g, launchSpecImageId: command.imageId }))
      break
    case "RestoreLaunchSpec": {
      const before = startGroups.find((g) => g.asgName === command.asgName)
      next = group(command.asgName, (g) => ({
        ...g,
        launchSpec: command.launchSpec,
        launchSpecImageId: before?.launchSpecImageId ?? g.launchSpecImageId,
      }))
      break
    }
    case "SetCapacity":
      next = group(command.asgName, (g) => ({
        ...g,
        desiredCapacity: command.desiredCapacity,
        minSize: command.minSize,
        maxSize: command.maxSize,
      }))
      break
    case "DetachInstances":
      next = group(command.asgName, (g) => ({
        ...g,
        instances: g.instances.filter((m) => !command.instanceIds.includes(m.instanceId)),
        desiredCapacity: command.decrementDesiredCapacity
          ? g.desiredCapacity - command.instanceIds.length
          : g.desiredCapacity,
      }))
      break
    case "AttachInstances": {
      // As AWS: running instances outside the group join it and raise desired capacity; above max size, refused.
      const target = snapshot.groups.find((g) => g.name === command.asgName)
      const joining = snapshot.instances.filter(
        (i) =>
          command.instanceIds.includes(i.instanceId) &&
          i.state === "running" &&
          !(target?.instances.some((m) => m.instanceId === i.instanceId) ?? false),
      )
      if (target !== undefined && target.desiredCapacity + joining.length > target.maxSize)
        throw new Error(`AttachInstances above the max size of ${command.asgName}`)
      next = group(command.asgName, (g) => ({
        ...g,
        desiredCapacity: g.desiredCapacity + joining.length,
        instances: [
          ...g.instances,
          ...joining.map((i) => ({
            instanceId: i.instanceId,
            availabilityZone: i.availabilityZone,
            lifecycleState: "InService" as const,
            healthStatus: "Healthy" as const,
            protectedFromScaleIn: false,
            instanceType: i.instanceType,
          })),
        ],
      }))
      break
    }
    case "DrainInstances":
      next = setStatus(command.containerInstanceArns, "DRAINING")
      break
    case "ActivateInstances":
      next = setStatus(command.containerInstanceArns, "ACTIVE")
      break
    case "StopTasks":
      next = { ...snapshot, tasks: snapshot.tasks.filter((t) => !command.taskArns.includes(t.taskArn)) }
      break
    case "TerminateInstances":
      next = terminate(snapshot, command.instanceIds, command.decrementDesiredCapacity)
      break
    case "CleanupLaunchSpecs":
      next = snapshot
      break
  }
  return reconcileTasks(reconcileGroups(next, now, options), options)
}

/** Everything the driver carries between decisions. */
export interface World {
  readonly policy: RolloutPolicy
  readonly options: ModelOptions
  readonly state: RunState
  readonly snapshot: ClusterSnapshot
  readonly now: number
  readonly events: ReadonlyArray<RunEvent>
}

const RUN_ID = "run-1"

export const newWorld = (
  snapshot: ClusterSnapshot,
  policy: RolloutPolicy,
  options: ModelOptions = {},
): World => ({
  policy,
  options,
  state: initialState,
  snapshot,
  now: snapshot.observedAt,
  events: [],
})

/** Appends an event as the executor would, folding it into the state. */
export const record = (world: World, body: RunEventBody): World => {
  const event = {
    ...body,
    schemaVersion: EVENT_SCHEMA_VERSION,
    runId: RUN_ID,
    seq: world.events.length,
    at: world.now,
  } as RunEvent
  return { ...world, events: [...world.events, event], state: evolve(world.state, event) }
}

/** Carries out a decision the way an executor that never crashes would. */
export const carryOut = (world: World, decision: Decision): World => {
  switch (decision._tag) {
    case "NothingToDo":
    case "Refuse":
      return world
    case "Start":
      return record(world, {
        _tag: "RunStarted",
        clusterName: world.snapshot.clusterName,
        policy: world.policy,
        targetImage: decision.targetImage,
        groups: decision.groups,
        reason: decision.reason,
        servicesBelowFloorAtStart: decision.servicesBelowFloorAtStart,
        deciderVersion: decision.deciderVersion,
        ...(decision.serviceHealthAtStart === undefined
          ? {}
          : { serviceHealthAtStart: decision.serviceHealthAtStart }),
      })
    case "Act": {
      let next = world
      const groups = world.state._tag === "NoRun" ? [] : world.state.run.groups
      for (const command of decision.commands) {
        next = record(next, { _tag: "CommandIssued", command, attempt: 1 })
        const before =
          command._tag === "UpdateLaunchSpec"
            ? next.snapshot.groups.find((g) => g.name === command.asgName)?.launchSpec
            : undefined
        next = { ...next, snapshot: applyCommand(next.snapshot, command, groups, next.now, next.options) }
        next = record(next, {
          _tag: "CommandSucceeded",
          commandId: command.id,
          ...(before === undefined ? {} : { launchSpecBefore: before }),
        })
      }
      return { ...next, now: next.now + 1_000 }
    }
    case "Wait":
      return {
        ...world,
        now: Math.min(decision.deadline, world.now + world.policy.pollIntervalMs),
        snapshot: reconcileTasks(world.snapshot, world.options),
      }
    case "RollBack":
      return record(world, { _tag: "RollbackStarted", reason: decision.reason })
    case "Finish":
      return record(world, { _tag: "RunFinished", outcome: decision.outcome, reason: decision.reason })
    case "Gate":
      // An operator who always says continue at once.
      return record(
        world,
        decision.step._tag === "AwaitContinue"
          ? { _tag: "CheckpointContinued", percent: decision.step.percent, by: "model" }
          : gateEventOf(decision.step),
      )
  }
}

/**
 * The executor dies during an Act: the first command's intent is in the log but not its outcome, and
 * the call either reached AWS (`applied`) or not. The rest of the decision's commands never run.
 */
export const crashDuring = (world: World, decision: Decision, applied: boolean): World => {
  const [command] = commandsOf(decision)
  if (command === undefined) return carryOut(world, decision)
  const issued = record(world, { _tag: "CommandIssued", command, attempt: 1 })
  const groups = issued.state._tag === "NoRun" ? [] : issued.state.run.groups
  const snapshot = applied
    ? applyCommand(issued.snapshot, command, groups, issued.now, issued.options)
    : issued.snapshot
  return { ...issued, snapshot, now: issued.now + 1_000 }
}

/** Decides on the world as it is now. */
export const decideNow = (world: World): Decision =>
  decide(world.state, { ...world.snapshot, observedAt: world.now }, world.policy, world.now)

export interface Step {
  readonly now: number
  readonly state: RunState
  readonly snapshot: ClusterSnapshot
  readonly decision: Decision
}

export interface Rollout {
  readonly steps: ReadonlyArray<Step>
  readonly world: World
}

const isLast = (decision: Decision): boolean =>
  decision._tag === "NothingToDo" || decision._tag === "Refuse" || decision._tag === "Finish"

/** Runs decide → carry out until `stop` holds for a decision (not carried out) or the run ends (carried out). */
export const runUntil = (start: World, stop: (decision: Decision) => boolean, maxSteps = 500): Rollout => {
  const steps: Array<Step> = []
  let world = start
  for (let k = 0; k < maxSteps; k++) {
    const decision = decideNow(world)
    steps.push({ now: world.now, state: world.state, snapshot: world.snapshot, decision })
    if (stop(decision)) return { steps, world }
    world = carryOut(world, decision)
    if (isLast(decision)) return { steps, world }
  }
  throw new Error(
    `rollout did not finish in ${maxSteps} steps; last decision ${JSON.stringify(steps.at(-1)?.decision)}`,
  )
}

/** Runs a whole rollout in the model. */
export const runRollout = (
  snapshot: ClusterSnapshot,
  policy: RolloutPolicy,
  options: ModelOptions = {},
): Rollout => runUntil(newWorld(snapshot, policy, options), () => false)

/** The commands of a decision (none unless it is an Act). */
export const commandsOf = (decision: Decision): ReadonlyArray<Command> =>
  decision._tag === "Act" ? decision.commands : []

/** A stop condition: the decision issues a command with this tag. */
export const issues =
  (tag: Command["_tag"]) =>
  (decision: Decision): boolean =>
    commandsOf(decision).some((c) => c._tag === tag)

/** A stop condition: the decision has this tag. */
export const is =
  (tag: Decision["_tag"]) =>
  (decision: Decision): boolean =>
    decision._tag === tag

/** Replaces one container instance's fields in a snapshot. */
export const withContainer = (
  snapshot: ClusterSnapshot,
  instanceId: string,
  change: Partial<ClusterSnapshot["containerInstances"][number]>,
): ClusterSnapshot => ({
  ...snapshot,
  containerInstances: snapshot.containerInstances.map((c) =>
    c.ec2InstanceId === instanceId ? { ...c, ...change } : c,
  ),
})
