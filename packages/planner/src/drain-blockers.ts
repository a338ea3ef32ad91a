/**
 * What holds a drain up, read from an observation: the tasks not yet STOPPED on the run's DRAINING
 * old instances (the executor's wait watches them), and among them the standalone tasks, which no
 * service replaces — each named in a note with what the policy does about it.
 */
import {
  isTaskLive,
  type ClusterSnapshot,
  type GroupAtStart,
  type RolloutPolicy,
  type Task,
} from "@ecs-ami-deploy/domain"

/** The run's old instances that are DRAINING, by container instance ARN. */
const drainingOldContainers = (snapshot: ClusterSnapshot, oldIds: ReadonlySet<string>): Map<string, string> =>
  new Map(
    snapshot.containerInstances
      .filter((container) => container.status === "DRAINING" && oldIds.has(container.ec2InstanceId))
      .map((container) => [container.containerInstanceArn, container.ec2InstanceId]),
  )

/** The tasks not yet STOPPED on the run's DRAINING old instances, each with its instance. */
export const tasksOnDrainingOldInstances = (
  snapshot: ClusterSnapshot,
  groups: ReadonlyArray<GroupAtStart>,
): ReadonlyArray<{ readonly task: Task; readonly instanceId: string }> => {
  const draining = drainingOldContainers(snapshot, new Set(groups.flatMap((group) => group.oldInstanceIds)))
  return snapshot.tasks.flatMap((task) => {
    const instanceId =
      task.containerInstanceArn === undefined ? undefined : draining.get(task.containerInstanceArn)
    return instanceId === undefined || !isTaskLive(task) ? [] : [{ task, instanceId }]
  })
}

const standaloneBehaviour: Record<RolloutPolicy["standaloneTasks"], string> = {
  wait: "waiting for it to finish until the drain timeout",
  "stop-after-timeout": "it is stopped once the drain timeout has passed",
  "skip-instance": "the instance is left on its current image",
}

/** One warning per standalone task still running on a draining old instance: it keeps that instance from draining. */
export const standaloneBlockerNotes = (
  snapshot: ClusterSnapshot,
  run: { readonly groups: ReadonlyArray<GroupAtStart>; readonly policy: RolloutPolicy },
): ReadonlyArray<{ readonly level: "warning"; readonly message: string }> =>
  tasksOnDrainingOldInstances(snapshot, run.groups)
    .filter(({ task }) => task.serviceName === undefined)
    .map(({ task, instanceId }) => ({
      level: "warning",
      message:
        `standalone task ${task.taskArn} (${task.group}) keeps instance ${instanceId} from draining; ` +
        `policy standaloneTasks=${run.policy.standaloneTasks}: ${standaloneBehaviour[run.policy.standaloneTasks]}`,
    }))
