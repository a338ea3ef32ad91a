/**
 * Another actor in the middle of changing the cluster, seen before a run starts: instances carrying the
 * run tag of a run this event log does not know (an operator with another event log, a lost log), or
 * container instances already DRAINING while no run is open here (another tool, another run). Starting
 * on top of either would fight it — drains that never finish, a rollback after the drain timeout with
 * nothing to say why — so a run refuses, naming what it saw and what to do.
 */
import { RunTagKeys, type ClusterSnapshot } from "@ecs-ami-deploy/domain"
import type { PlanProblem } from "./plan.ts"

const listed = (ids: ReadonlyArray<string>): string =>
  ids.length <= 5 ? ids.join(", ") : `${ids.slice(0, 5).join(", ")} and ${ids.length - 5} more`

/** Problems that keep a run from starting on this cluster; `knownRunIds` are the runs this event log holds. */
export const foreignActivity = (
  snapshot: ClusterSnapshot,
  knownRunIds: ReadonlySet<string>,
): ReadonlyArray<PlanProblem> => {
  const byRun = new Map<string, Array<string>>()
  for (const instance of snapshot.instances) {
    const runId = instance.tags[RunTagKeys.runId]
    const live = instance.state === "pending" || instance.state === "running"
    if (runId === undefined || knownRunIds.has(runId) || !live) continue
    byRun.set(runId, [...(byRun.get(runId) ?? []), instance.instanceId])
  }
  const problems: Array<PlanProblem> = [...byRun].map(([runId, instanceIds]) => ({
    problem: `instance(s) ${listed(instanceIds)} carry the tag of run ${runId}, which this event log does not know: another operator or event log is rolling (or rolled) this cluster`,
    fix: `use that run's event log (--event-log) to resume or roll it back; if that run is gone for good, remove the ${RunTagKeys.runId} tag from those instances and run again`,
  }))
  const draining = snapshot.containerInstances
    .filter((container) => container.status === "DRAINING")
    .map((container) => container.ec2InstanceId)
  if (draining.length > 0)
    problems.push({
      problem: `container instance(s) ${listed(draining)} are already DRAINING and no run is open in this event log: another tool, a scale-in with managed draining, or another event log's run is moving tasks`,
      fix: "wait for that drain to end (or set the instances back to ACTIVE if nothing owns it), then run again",
    })
  return problems
}
