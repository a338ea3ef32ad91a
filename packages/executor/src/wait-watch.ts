/**
 * Between two observations of a waiting run. Observing the whole cluster at every poll costs tens of
 * requests at a few hundred instances; while the planner waits, the executor instead watches the few
 * things the wait is for, with cheap requests, and observes again as soon as one of them may change
 * the planner's decision — or after `WATCH_MAX_MS` at the latest, so nothing else (a failing new
 * image, a foreign change) goes unseen for long.
 *
 * - Draining: the tasks not yet STOPPED on the run's DRAINING old instances, described by ARN
 *   (DescribeTasks, 100 a request) — at each look those due (below), with every one due before the
 *   next poll, and as many of the next due as fill the last request for free. The executor observes
 *   again once every one of them has STOPPED.
 * - Proving new capacity: the run's groups (one DescribeAutoScalingGroups, after a fifth of the wait so
 *   far) until no member is still (or yet to be) launching, then the cluster's count of registered
 *   instances (one DescribeClusters) until every member the groups then had InService can have
 *   registered — one full observation at the end, not one in between.
 *
 * How often, for each task: every poll interval while it may stop soon. A task still RUNNING waits for its
 * replacement to be healthy and then DEACTIVATES for its load balancer's deregistration delay —
 * nothing finishes while it waits: it is looked at again after half the time it has waited (at
 * least a poll interval, at most 30 s), the first time 15 s after it was first seen waiting. A DEACTIVATING task is looked at one poll interval before the
 * earliest end expected (counted from the last look before it DEACTIVATED): from the delay this
 * invocation has already seen for its service — or, for a load-balanced service, from its target
 * groups' deregistration delay, read once (DescribeTargetGroupAttributes, one request per target group,
 * when a drain watch first meets the service) — else from AWS's default deregistration delay (300 s)
 * but then never later than a fifth of the time it has spent DEACTIVATING (at most 30 s), so a
 * shorter delay is noticed soon after it ends.
 */
import { Clock, Effect } from "effect"
import {
  isLeavingGroup,
  isTaskLive,
  type AutoScalingGroupDescription,
  type ClusterSnapshot,
  type GroupAtStart,
  type Task,
} from "@ecs-ami-deploy/domain"
import { AutoScaling, Ecs, ecsLimits, LoadBalancing } from "@ecs-ami-deploy/ports"
import { tasksOnDrainingOldInstances } from "@ecs-ami-deploy/planner"
import type { ObservationMemory } from "./observation-memory.ts"

/**
 * The longest a watch goes without a full observation: what only a whole-cluster look sees (a new
 * image whose tasks keep failing, another actor's change) is seen this late at most. 5 min keeps a
 * 500-instance rollout under 1 ECS request/s on average (3 min: 1.09/s, docs/BENCHMARKS.md).
 */
export const WATCH_MAX_MS = 300_000
/** AWS's default target group deregistration delay (aws-facts.md): the first guess of a DEACTIVATING task's end. */
export const DEFAULT_DEREGISTRATION_DELAY_MS = 300_000
/** Without a known delay, the next look comes after at most this share of the time spent DEACTIVATING... */
const UNKNOWN_DELAY_FRACTION = 0.2
/** ...and at most this long after the previous one. */
const UNKNOWN_DELAY_MAX_STEP_MS = 30_000
/**
 * A task RUNNING on a draining instance first waits for its replacement to be placed, started and
 * healthy: it is looked at again after this share of the time it has waited (at most 30 s).
 */
const WAITING_FRACTION = 0.5
/**
 * ...and never before this long after it was first seen waiting: its replacement has to be placed,
 * its image pulled, its containers started and, behind a load balancer, pass the target group's
 * health check (at least 2 checks 5 s apart) before ECS stops it.
 */
const FIRST_WAIT_MS = 15_000

/** The next look after waiting `waitedMs` for something whose end is unknown: a fifth of it, at most 30 s. */
const unknownStep = (waitedMs: number, fraction = UNKNOWN_DELAY_FRACTION): number =>
  Math.min(UNKNOWN_DELAY_MAX_STEP_MS, waitedMs * fraction)

/**
 * What the watch has seen of each task: when it was first seen waiting (RUNNING on a draining
 * instance, for its replacement), the last look before it was DEACTIVATING (the earliest its
 * deactivation can have started), the first and last looks while DEACTIVATING, and per service the
 * shortest delay its tasks have been seen to need (last look while DEACTIVATING minus the first: a
 * lower estimate).
 */
export class DeactivationClock {
  private readonly waitingSince = new Map<string, number>()
  private readonly lookBefore = new Map<string, number>()
  private readonly firstSeen = new Map<string, number>()
  private readonly lastSeen = new Map<string, number>()
  private readonly learned = new Map<string, number>()
  private readonly known = new Map<string, number>()

  /** The deregistration delay of a service's target groups (the longest), read from the load balancer: `group` is `service:<name>`. */
  know(group: string, delayMs: number): void {
    this.known.set(group, delayMs)
  }

  see(tasks: ReadonlyArray<Task>, at: number): void {
    for (const task of tasks) {
      const first = this.firstSeen.get(task.taskArn)
      if (task.lastStatus === "DEACTIVATING") {
        if (first === undefined) this.firstSeen.set(task.taskArn, at)
        this.lastSeen.set(task.taskArn, at)
      } else if (first !== undefined) {
        const seen = (this.lastSeen.get(task.taskArn) ?? first) - first
        this.learned.set(task.group, Math.max(seen, this.learned.get(task.group) ?? 0))
        this.firstSeen.delete(task.taskArn)
        this.lastSeen.delete(task.taskArn)
      } else {
        if (!this.waitingSince.has(task.taskArn)) this.waitingSince.set(task.taskArn, at)
        this.lookBefore.set(task.taskArn, at)
      }
    }
  }

  /** How long to wait before looking at `tasks` (none STOPPED) again. */
  nextLookMs(tasks: ReadonlyArray<Task>, now: number, pollIntervalMs: number): number {
    const waits = tasks.map((task) => {
      if (task.lastStatus === "RUNNING" && task.desiredStatus === "RUNNING") {
        const waited = now - (this.waitingSince.get(task.taskArn) ?? now)
        return Math.max(FIRST_WAIT_MS - waited, unknownStep(waited, WAITING_FRACTION))
      }
      if (task.lastStatus !== "DEACTIVATING") return pollIntervalMs
      const first = this.firstSeen.get(task.taskArn) ?? now
      const started = this.lookBefore.get(task.taskArn) ?? first
      const delay = this.known.get(task.group) ?? this.learned.get(task.group)
      const untilExpected = started + (delay ?? DEFAULT_DEREGISTRATION_DELAY_MS) - pollIntervalMs - now
      return delay !== undefined ? untilExpected : Math.min(untilExpected, unknownStep(now - first))
    })
    return Math.max(pollIntervalMs, Math.min(...waits))
  }
}

export interface WatchInput<E, R> {
  readonly clusterName: string
  readonly phase: string
  readonly snapshot: ClusterSnapshot
  readonly groups: ReadonlyArray<GroupAtStart>
  readonly pollIntervalMs: number
  /** Observe again at this time at the latest (the planner's deadline, the invocation's last step). */
  readonly latestAt: number
  readonly memory: ObservationMemory
  readonly deactivation: DeactivationClock
  /**
   * Sleeps on the Clock at most `millis` (the run loop keeps its lease, then pauses, never past the
   * last step); it may return earlier, the watch then sleeps again.
   */
  readonly sleep: (millis: number) => Effect.Effect<void, E, R>
}

/** What a watch looks at: its first state, how to look again (`undefined`: observe now), and when. */
interface Probe<S> {
  readonly initial: S
  readonly look: (state: S) => Effect.Effect<S | undefined, unknown, Ecs | AutoScaling>
  readonly nextLookMs: (state: S, now: number) => number
}

/** Looks with `probe` until it says to observe, or `latestAt` comes. */
const watching = <S, E, R>(probe: Probe<S>, input: WatchInput<E, R>) =>
  Effect.gen(function* () {
    const latestAt = Math.min(input.latestAt, (yield* Clock.currentTimeMillis) + WATCH_MAX_MS)
    let state = probe.initial
    while (true) {
      let now = yield* Clock.currentTimeMillis
      const wakeAt = Math.min(latestAt, now + probe.nextLookMs(state, now))
      if (wakeAt <= now) return
      while (now < wakeAt) {
        yield* input.sleep(wakeAt - now)
        now = yield* Clock.currentTimeMillis
      }
      if (now >= latestAt) return
      const looked = yield* Effect.result(probe.look(state))
      if (looked._tag === "Failure" || looked.success === undefined) return
      state = looked.success
    }
  })

/** The tasks a drain watch waits for, and when each is next due for a look. */
interface DrainWatch {
  readonly tasks: ReadonlyArray<Task>
  readonly dueAt: ReadonlyMap<string, number>
}

const drainProbe = <E, R>(input: WatchInput<E, R>, tasks: ReadonlyArray<Task>): Probe<DrainWatch> => {
  const poll = input.pollIntervalMs
  input.deactivation.see(tasks, input.snapshot.observedAt)
  const dueTimes = (looked: ReadonlyArray<Task>, at: number) =>
    looked.map((task) => [task.taskArn, at + input.deactivation.nextLookMs([task], at, poll)] as const)
  return {
    initial: { tasks, dueAt: new Map(dueTimes(tasks, input.snapshot.observedAt)) },
    look: (watch) =>
      Effect.gen(function* () {
        const ecs = yield* Ecs
        const now = yield* Clock.currentTimeMillis
        // The tasks due now, and those due before the next poll with them; the requests they take are
        // filled up with the tasks due soonest after them, which costs no request and keeps looks together.
        const soonestFirst = [...watch.tasks].sort(
          (a, b) => (watch.dueAt.get(a.taskArn) ?? now) - (watch.dueAt.get(b.taskArn) ?? now),
        )
        const dueNow = soonestFirst.filter(
          (task) => (watch.dueAt.get(task.taskArn) ?? now) <= now + poll,
        ).length
        const perRequest = ecsLimits.describeTasks
        const due = new Set(
          soonestFirst.slice(0, Math.ceil(dueNow / perRequest) * perRequest).map((task) => task.taskArn),
        )
        const described = yield* ecs.describeTasks(input.clusterName, [...due])
        input.memory.rememberTasks(described)
        input.deactivation.see(described, now)
        const byArn = new Map(described.map((task) => [task.taskArn, task]))
        // A due task ECS no longer describes stopped long enough ago to be forgotten.
        const current = watch.tasks.flatMap((task) =>
          due.has(task.taskArn) ? (byArn.get(task.taskArn) ?? []) : [task],
        )
        const left = current.filter(isTaskLive)
        if (left.length === 0) return undefined
        return {
          tasks: left,
          dueAt: new Map([
            ...watch.dueAt,
            ...dueTimes(
              left.filter((task) => due.has(task.taskArn)),
              now,
            ),
          ]),
        }
      }),
    nextLookMs: (watch, now) =>
      Math.max(poll, Math.min(...watch.tasks.map((task) => (watch.dueAt.get(task.taskArn) ?? now) - now))),
  }
}

const runMembers = (groups: ReadonlyArray<AutoScalingGroupDescription>, names: ReadonlyArray<string>) =>
  groups.filter((group) => names.includes(group.name)).flatMap((group) => group.instances)

/** Members still launching, and those Auto Scaling has yet to launch to reach desired capacity. */
const launchingCount = (groups: ReadonlyArray<AutoScalingGroupDescription>, names: ReadonlyArray<string>) =>
  groups
    .filter((group) => names.includes(group.name))
    .reduce((sum, group) => {
      const staying = group.instances.filter((member) => !isLeavingGroup(member.lifecycleState))
      const pending = staying.filter((member) => member.lifecycleState.startsWith("Pending")).length
      return sum + pending + Math.max(0, group.desiredCapacity - staying.length)
    }, 0)

/** A proving watch: launching, or waiting for the cluster to count `registered` container instances. */
type Proving =
  { readonly phase: "launching" } | { readonly phase: "registering"; readonly registered: number }

/**
 * Proving: first the run's groups until no member is launching any more, then the cluster's count
 * of registered container instances (DescribeClusters) until every InService member can have registered
 * — the count it needs from the members the last look at the groups found InService.
 */
const provingProbe = <E, R>(input: WatchInput<E, R>): Probe<Proving> | undefined => {
  const names = input.groups.map((group) => group.asgName)
  const registered = new Set(
    input.snapshot.containerInstances
      .filter((container) => container.status !== "INACTIVE")
      .map((container) => container.ec2InstanceId),
  )
  const toRegister = (groups: ReadonlyArray<AutoScalingGroupDescription>): number =>
    registered.size +
    runMembers(groups, names).filter(
      (member) => member.lifecycleState === "InService" && !registered.has(member.instanceId),
    ).length
  const launching = launchingCount(input.snapshot.groups, names)
  const needed = toRegister(input.snapshot.groups)
  if (launching === 0 && needed === registered.size) return undefined
  return {
    initial: launching > 0 ? { phase: "launching" } : { phase: "registering", registered: needed },
    look: (state) =>
      Effect.gen(function* () {
        if (state.phase === "launching") {
          const autoScaling = yield* AutoScaling
          const groups = yield* autoScaling.describeGroups(names)
          return launchingCount(groups, names) === 0
            ? { phase: "registering", registered: toRegister(groups) }
            : state
        }
        const ecs = yield* Ecs
        const cluster = yield* ecs.describeCluster(input.clusterName)
        return cluster.registeredContainerInstancesCount >= state.registered ? undefined : state
      }),
    // An instance takes a minute or more to boot: looks come after a fifth of the wait so far, at most 30 s apart.
    nextLookMs: (state, now) =>
      state.phase === "launching"
        ? Math.max(input.pollIntervalMs, unknownStep(now - input.snapshot.observedAt))
        : input.pollIntervalMs,
  }
}

/**
 * Tells the clock the deregistration delay of each load-balanced service with a task in `tasks`,
 * reading the target groups not read yet (one request each). A failed read leaves them unknown.
 */
const learnDeregistrationDelays = <E, R>(input: WatchInput<E, R>, tasks: ReadonlyArray<Task>) =>
  Effect.gen(function* () {
    const groups = new Set(tasks.map((task) => task.group))
    const services = input.snapshot.services.filter(
      (service) => groups.has(`service:${service.serviceName}`) && (service.targetGroupArns ?? []).length > 0,
    )
    const unread = [...new Set(services.flatMap((service) => service.targetGroupArns ?? []))].filter(
      (arn) => !input.memory.deregistrationDelays.has(arn),
    )
    if (unread.length > 0) {
      const loadBalancing = yield* LoadBalancing
      const read = yield* Effect.result(loadBalancing.deregistrationDelays(unread))
      if (read._tag === "Success")
        for (const { targetGroupArn, deregistrationDelayMs } of read.success)
          input.memory.deregistrationDelays.set(targetGroupArn, deregistrationDelayMs)
    }
    for (const service of services) {
      const delays = (service.targetGroupArns ?? []).flatMap(
        (arn) => input.memory.deregistrationDelays.get(arn) ?? [],
      )
      if (delays.length === (service.targetGroupArns ?? []).length)
        input.deactivation.know(`service:${service.serviceName}`, Math.max(...delays))
    }
  })

/**
 * Waits until the next full observation is due; `false` at once when the wait is for nothing this
 * module watches. A failed watch request just ends the watch (the observation that follows retries).
 */
export const watchWait = <E, R>(
  input: WatchInput<E, R>,
): Effect.Effect<boolean, E, R | Ecs | AutoScaling | LoadBalancing> => {
  const watch = <S>(probe: Probe<S> | undefined): Effect.Effect<boolean, E, R | Ecs | AutoScaling> =>
    probe === undefined ? Effect.succeed(false) : Effect.as(watching(probe, input), true)
  if (input.phase === "draining") {
    const tasks = tasksOnDrainingOldInstances(input.snapshot, input.groups).map((blocker) => blocker.task)
    return tasks.length === 0
      ? Effect.succeed(false)
      : Effect.andThen(
          learnDeregistrationDelays(input, tasks),
          Effect.suspend(() => watch(drainProbe(input, tasks))),
        )
  }
  if (input.phase === "proving") return watch(provingProbe(input))
  return Effect.succeed(false)
}
