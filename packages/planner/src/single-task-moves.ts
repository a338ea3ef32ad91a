/**
 * A single-task service's task moves once. When a wave drains, ECS places each displaced task on an
 * ACTIVE instance with room, by the service's placement strategy: old instances of later waves are
 * candidates as much as new capacity (for a service with one task, spread leaves them all tied), and
 * they drain in turn, so the task moves twice — with an outage each time for a service at
 * minimumHealthyPercent 0, which ECS stops before it starts the replacement. ECS has no call that keeps
 * an ACTIVE instance from receiving tasks (DRAINING, the only such state, displaces the instance's own
 * tasks too), so a run orders the waves instead: within each zone, an instance hosting a single task
 * drains after the zone's other old instances (the zone keeps its places in the order, so the group
 * stays balanced), and once they are gone only new capacity can take the task. When a zone holds
 * several such instances, the one whose second move hurts most goes last, and the plan names the old
 * instances that may receive the others' tasks.
 */
import {
  countsTowardCapacity,
  type AutoScalingGroup,
  type RolloutPolicy,
  type Task,
} from "@ecs-ami-deploy/domain"
import { isTaskLeaving, liveTasksOn, serviceBounds, taskKind, type ClusterIndex } from "./cluster.ts"
import { displaceableTogether, hasRoomFor, selectWave, type WaveChoice, type WaveOptions } from "./waves.ts"
import { balancedRemovalOrder, zoneCounts } from "./zones.ts"

/** The tasks on an instance of replica services that run a single task (one per service), not already leaving. */
const singleTasksOn = (index: ClusterIndex, instanceId: string): ReadonlyArray<Task> =>
  liveTasksOn(index, instanceId).filter(
    (task) =>
      taskKind(index, task) === "replica" &&
      !isTaskLeaving(task) &&
      index.serviceByName.get(task.serviceName ?? "")?.desiredCount === 1,
  )

/**
 * How much a second move of an instance's single tasks would hurt: 2 for each whose service lets ECS stop
 * it before its replacement runs (minimum healthy 0: a move is an outage), 1 for each other.
 */
const secondMoveCost = (index: ClusterIndex, instanceId: string): number =>
  singleTasksOn(index, instanceId).reduce((cost, task) => {
    const service = index.serviceByName.get(task.serviceName ?? "")
    return cost + (service !== undefined && serviceBounds(service).minHealthy === 0 ? 2 : 1)
  }, 0)

/**
 * `ordered` (old instances in the order waves take them, zone by zone) with, within each zone, the
 * instances hosting single tasks moved after the others, the costliest to move twice last: each zone
 * keeps its places in the order, so the group stays as balanced as it shrinks. Every old instance of
 * the zone that drains before them is one their tasks can no longer land on.
 */
export const movingOnceOrder = (
  index: ClusterIndex,
  ordered: ReadonlyArray<string>,
): ReadonlyArray<string> => {
  const zoneOf = (id: string) => index.instanceById.get(id)?.availabilityZone ?? ""
  const queues = new Map<string, Array<string>>()
  for (const id of ordered) queues.set(zoneOf(id), [...(queues.get(zoneOf(id)) ?? []), id])
  for (const queue of queues.values()) {
    const cost = new Map(queue.map((id) => [id, secondMoveCost(index, id)]))
    queue.sort((a, b) => (cost.get(a) ?? 0) - (cost.get(b) ?? 0))
  }
  return ordered.map((id) => queues.get(zoneOf(id))?.shift() ?? id)
}

/** `selectWave` over the candidates in `movingOnceOrder`. */
export const selectWaveMovingOnce = (
  index: ClusterIndex,
  candidates: ReadonlyArray<string>,
  excluded: ReadonlySet<string>,
  limit: number,
  standaloneTasks: RolloutPolicy["standaloneTasks"],
  unsafeServices: RolloutPolicy["unsafeServices"],
  options?: WaveOptions,
): WaveChoice =>
  selectWave(
    index,
    movingOnceOrder(index, candidates),
    excluded,
    limit,
    standaloneTasks,
    unsafeServices,
    options,
  )

/** `displaceableTogether` (the instances a detach takes) over the candidates in `movingOnceOrder`. */
export const detachableMovingOnce = (
  index: ClusterIndex,
  candidates: ReadonlyArray<string>,
  limit: number,
): ReadonlyArray<string> => displaceableTogether(index, movingOnceOrder(index, candidates), limit)

/**
 * A group's old instances in the order its waves will take them, as the run orders them: zone by zone
 * (each next one from the zone with the most instances, see zones.ts), then in `movingOnceOrder`.
 */
export const predictedDrainOrder = (
  index: ClusterIndex,
  group: AutoScalingGroup,
  oldIds: ReadonlyArray<string>,
): ReadonlyArray<string> =>
  movingOnceOrder(
    index,
    balancedRemovalOrder(
      zoneCounts(
        group.availabilityZones,
        group.instances.filter((m) => countsTowardCapacity(m.lifecycleState)),
      ),
      oldIds.map((instanceId) => ({
        instanceId,
        availabilityZone: index.instanceById.get(instanceId)?.availabilityZone ?? "",
        cost: 0,
      })),
      true,
    ),
  )

/** The single tasks that draining `waveIds` may move onto an instance of `laterOld` with room for them. */
const secondMoves = (
  index: ClusterIndex,
  waveIds: ReadonlyArray<string>,
  laterOld: ReadonlyArray<string>,
): ReadonlyArray<{
  readonly task: Task
  readonly instanceId: string
  readonly receivers: ReadonlyArray<string>
}> =>
  waveIds.flatMap((instanceId) =>
    singleTasksOn(index, instanceId).map((task) => ({
      task,
      instanceId,
      receivers: laterOld.filter((id) => {
        const container = index.containerByInstanceId.get(id)
        return container !== undefined && hasRoomFor(container, task)
      }),
    })),
  )

/**
 * What the plan promises each single-task service whose task a wave moves: once, when no old instance
 * of a later wave (of its group, or of a group replaced after it) has room for it; else that it may move
 * twice, naming the instances that could receive it. `waves` are in the order the run drains them.
 */
export const singleTaskPromises = (
  index: ClusterIndex,
  waves: ReadonlyArray<{
    readonly asgName: string
    readonly wave: number
    readonly instanceIds: ReadonlyArray<string>
  }>,
): ReadonlyArray<string> =>
  waves.flatMap((wave, position) =>
    secondMoves(
      index,
      wave.instanceIds,
      waves.slice(position + 1).flatMap((later) => later.instanceIds),
    ).map(({ task, instanceId, receivers }) => {
      const name = task.serviceName ?? ""
      return receivers.length === 0
        ? `service ${name} runs a single task: it moves once, within its deployment configuration (wave ${wave.wave} of ${wave.asgName} drains its instance ${instanceId} when no old instance draining later has room for it)`
        : `service ${name} runs a single task: it may move twice: when wave ${wave.wave} of ${wave.asgName} drains its instance ${instanceId}, ECS may place it on old instance(s) ${receivers.join(", ")}, which drain later`
    }),
  )
