/**
 * What one executor invocation remembers between its observations, so that a poll asks AWS only for
 * what can have changed since the last one:
 *
 * - data that does not change under a run: the cluster and its capacity providers, the list of its
 *   services (they are described at every poll), the image each launch spec resolves to, the images
 *   themselves, and the target groups' deregistration delays — what a launch spec resolves to is read again
 *   after any command of ours that writes one (UpdateLaunchSpec, RestoreLaunchSpec, CleanupLaunchSpecs),
 *   and all of it at least every
 *   `STATIC_DATA_MAX_AGE_MS`, so a change made by someone else is still seen within minutes;
 * - the tasks seen so far. A poll lists only the tasks ECS wants RUNNING and describes them together
 *   with the known tasks that were not yet STOPPED (a draining task's desired status is STOPPED, so
 *   only its ARN finds it again). A STOPPED task never changes again: it is kept, not described
 *   again. The STOPPED list itself is read at the first observation and then every
 *   `STOPPED_LIST_INTERVAL_MS`, which finds the tasks that started and stopped between two polls (a
 *   new image whose tasks crash at once) and drops the stopped tasks ECS has forgotten.
 * - the ECS side of the last observation (container instances, services, tasks), for the observation
 *   that follows a batch of commands none of which acts on ECS, with no wait in between (at most
 *   `ECS_REUSE_MAX_MS` later): Auto Scaling and EC2 commands change nothing ECS reports at once, so
 *   reading it again would cost tens of requests at a few hundred instances for the same answer.
 *   The target health read with that ECS side (target-health.ts) is reused with it: ECS registers
 *   and deregisters the targets.
 *   Auto Scaling and EC2 are read again at every observation.
 */
import {
  isTaskLive,
  type Command,
  type ContainerInstance,
  type Image,
  type Service,
  type TargetGroupHealth,
  type Task,
} from "@ecs-ami-deploy/domain"
import type { CapacityProvider, ClusterDescription } from "@ecs-ami-deploy/ports"
import type { LaunchSpecImage } from "@ecs-ami-deploy/strategies"

/** The longest time data that does not change under a run is used before it is read again. */
export const STATIC_DATA_MAX_AGE_MS = 5 * 60_000
/** How often the cluster's STOPPED tasks are listed again. */
export const STOPPED_LIST_INTERVAL_MS = 120_000

/** The oldest ECS side an observation reuses (real time passes while commands run at scale). */
export const ECS_REUSE_MAX_MS = 30_000

const launchSpecCommands: ReadonlySet<Command["_tag"]> = new Set([
  "UpdateLaunchSpec",
  "RestoreLaunchSpec",
  "CleanupLaunchSpecs",
])
/**
 * Commands whose effect ECS reports at once: container instance states and tasks. (A termination is
 * not one: ECS sees an instance go only once EC2 has shut it down, which the next wait lets happen.)
 */
const ecsCommands: ReadonlySet<Command["_tag"]> = new Set([
  "DrainInstances",
  "ActivateInstances",
  "StopTasks",
])

/** What ECS reported at one observation. */
export interface EcsView {
  readonly at: number
  readonly containerInstances: ReadonlyArray<ContainerInstance>
  readonly services: ReadonlyArray<Service>
  readonly tasks: ReadonlyArray<Task>
}

export interface ClusterView {
  readonly cluster: ClusterDescription
  readonly providers: ReadonlyArray<CapacityProvider>
}

export class ObservationMemory {
  private staticReadAt: number | undefined
  clusterView: ClusterView | undefined
  /** The cluster's services as last listed: described by ARN until the list is read again. */
  serviceArns: ReadonlyArray<string> | undefined
  readonly launchSpecImages = new Map<string, LaunchSpecImage>()
  readonly images = new Map<string, Image>()
  /** Each target group's deregistration delay, by ARN, as a drain watch read it (wait-watch.ts). */
  readonly deregistrationDelays = new Map<string, number>()
  private readonly knownTasks = new Map<string, Task>()
  private stoppedListedAt: number | undefined
  private ecsView: EcsView | undefined
  private targetHealth:
    | {
        readonly view: EcsView | undefined
        readonly targetGroupArns: string
        readonly groups: ReadonlyArray<TargetGroupHealth>
        readonly at: number
      }
    | undefined

  /** Forgets the data that does not change under a run once it is `STATIC_DATA_MAX_AGE_MS` old. */
  expireStaticData(now: number): void {
    if (this.staticReadAt !== undefined && now - this.staticReadAt < STATIC_DATA_MAX_AGE_MS) return
    this.clusterView = undefined
    this.serviceArns = undefined
    this.launchSpecImages.clear()
    this.images.clear()
    this.deregistrationDelays.clear()
    this.staticReadAt = now
  }

  /**
   * Before a command of ours: one that writes a launch spec changes what it resolves to; one that
   * acts on ECS changes what ECS reports.
   */
  commandIssued(command: Command): void {
    if (launchSpecCommands.has(command._tag)) this.launchSpecImages.clear()
    if (ecsCommands.has(command._tag)) this.ecsView = undefined
  }

  /** The run waits (or retries after a failed observation): the next one reads ECS again. */
  waited(): void {
    this.ecsView = undefined
  }

  /** The ECS side of the last observation, when the next one may reuse it. */
  reusableEcsView(now: number): EcsView | undefined {
    return this.ecsView !== undefined && now - this.ecsView.at <= ECS_REUSE_MAX_MS ? this.ecsView : undefined
  }

  rememberEcsView(view: EcsView): void {
    this.ecsView = view
  }

  /**
   * The target health read with the ECS view the last observation used, for the same target groups:
   * reused with that view, for the same reason (no wait and no ECS command since).
   */
  reusableTargetHealth(targetGroupArns: ReadonlyArray<string>): ReadonlyArray<TargetGroupHealth> | undefined {
    const read = this.targetHealth
    return read !== undefined &&
      read.view !== undefined &&
      read.view === this.ecsView &&
      read.targetGroupArns === targetGroupArns.join(" ")
      ? read.groups
      : undefined
  }

  /** When target health was last read (or reused); absent: not yet in this invocation. */
  get targetHealthReadAt(): number | undefined {
    return this.targetHealth?.at
  }

  rememberTargetHealth(
    targetGroupArns: ReadonlyArray<string>,
    groups: ReadonlyArray<TargetGroupHealth>,
    at: number,
  ): void {
    this.targetHealth = { view: this.ecsView, targetGroupArns: targetGroupArns.join(" "), groups, at }
  }

  /** Whether the next observation lists the STOPPED tasks again. */
  stoppedListDue(now: number): boolean {
    return this.stoppedListedAt === undefined || now - this.stoppedListedAt >= STOPPED_LIST_INTERVAL_MS
  }

  /** The known tasks ECS may still change: every one not yet STOPPED. */
  liveTaskArns(): ReadonlyArray<string> {
    return [...this.knownTasks.values()].filter(isTaskLive).map((task) => task.taskArn)
  }

  /**
   * The cluster's tasks after a poll: the ones just described, and the known STOPPED ones (only those
   * still in `stoppedList` when it was read).
   */
  tasksAfterPoll(
    described: ReadonlyArray<Task>,
    stoppedList: ReadonlyArray<string> | undefined,
    now: number,
  ): ReadonlyArray<Task> {
    const stillListed = stoppedList === undefined ? undefined : new Set(stoppedList)
    if (stoppedList !== undefined) this.stoppedListedAt = now
    const kept = [...this.knownTasks.values()].filter(
      (task) => task.lastStatus === "STOPPED" && (stillListed === undefined || stillListed.has(task.taskArn)),
    )
    this.knownTasks.clear()
    for (const task of [...kept, ...described]) this.knownTasks.set(task.taskArn, task)
    return [...this.knownTasks.values()]
  }

  /** The STOPPED tasks of `stoppedList` not described yet. */
  unknownStopped(stoppedList: ReadonlyArray<string>): ReadonlyArray<string> {
    return stoppedList.filter((arn) => this.knownTasks.get(arn)?.lastStatus !== "STOPPED")
  }

  /** Tasks described between observations (a drain watch): the next observation starts from them. */
  rememberTasks(tasks: ReadonlyArray<Task>): void {
    this.ecsView = undefined
    for (const task of tasks) this.knownTasks.set(task.taskArn, task)
  }
}
