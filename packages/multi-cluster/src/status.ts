/**
 * A fleet rollout as people read it: one line per fleet event (as `fleet apply` and `simulate --fleet`
 * print them while the rollout goes), and the rollout's state stage by stage, cluster by cluster (as
 * `fleet status` prints it, or as JSON).
 */
import { describeBakeFailure, formatDuration, type FleetRolloutEvent } from "@ecs-ami-deploy/domain"
import type { FleetRolloutState } from "./decider.ts"
import type { FleetDefinition } from "./fleet-file.ts"

/** One fleet event as a line. */
export const describeFleetEvent = (event: FleetRolloutEvent): string => {
  switch (event._tag) {
    case "FleetRolloutStarted":
      return `fleet rollout ${event.rolloutId} started: ${event.stages.map((stage) => `${stage.name} (${stage.clusters.length})`).join(" → ")}`
    case "FleetLeaseTaken":
      return `fleet lock taken by ${event.holder} (fencing token ${event.fencingToken})`
    case "FleetStageStarted":
      return `stage ${event.stage} started`
    case "FleetClusterRunRequested":
      return `stage ${event.stage}: rolling ${event.cluster}`
    case "FleetClusterRunEnded":
      return `stage ${event.stage}: ${event.cluster} ended ${event.outcome}${event.runId === undefined ? "" : ` (run ${event.runId})`}: ${event.reason}`
    case "FleetStageBakeStarted":
      return `stage ${event.stage} bakes until ${new Date(event.until).toISOString()}`
    case "FleetStageBakeEnded":
      return event.firing.length === 0
        ? `stage ${event.stage} baked (${event.checked})`
        : `stage ${event.stage} did not bake: ${
            event.failures === undefined
              ? `${event.firing.join(", ")} in ALARM`
              : event.failures.map(describeBakeFailure).join("; ")
          } (${event.checked})`
    case "FleetRolloutSuspended":
      return `fleet rollout suspended: ${event.reason}`
    case "FleetRolloutFinished":
      return `fleet rollout ${event.rolloutId} ${event.outcome}: ${event.reason}`
  }
}

/** The rollout's state as plain data: its stages, each cluster's state, and how it ended. */
export const fleetStatusView = (definition: FleetDefinition, state: FleetRolloutState) => {
  const rollout = state.rollout
  if (rollout === undefined) return { fleet: definition.fleetName, status: "no rollout yet" as const }
  return {
    fleet: definition.fleetName,
    rolloutId: rollout.rolloutId,
    status: rollout.finished?.outcome ?? (rollout.suspension === undefined ? "open" : "suspended"),
    startedAt: new Date(rollout.startedAt).toISOString(),
    ...(rollout.finished === undefined
      ? {}
      : {
          finishedAt: new Date(rollout.finished.at).toISOString(),
          duration: formatDuration(rollout.finished.at - rollout.startedAt),
          reason: rollout.finished.reason,
          ...(rollout.finished.stoppedAt === undefined ? {} : { stoppedAt: rollout.finished.stoppedAt }),
        }),
    fromThisFile: rollout.fileDigest === definition.digest,
    stages: rollout.stages.map((stage, index) => {
      const bake = rollout.bakes[stage.name]
      return {
        name: stage.name,
        state:
          index >= rollout.startedStages
            ? "not started"
            : bake?.firing === undefined
              ? bake === undefined
                ? "rolling"
                : "baking"
              : bake.firing.length === 0
                ? "baked"
                : "alarm",
        ...(bake?.firing === undefined || bake.firing.length === 0
          ? {}
          : { firing: bake.failures?.map(describeBakeFailure) ?? bake.firing }),
        clusters: stage.clusters.map((cluster) => {
          const progress = rollout.clusters[cluster.id]
          return {
            cluster: cluster.id,
            state: progress?.ended?.outcome ?? (progress === undefined ? "waiting" : "rolling"),
            ...(progress?.ended?.runId === undefined ? {} : { runId: progress.ended.runId }),
            ...(progress?.ended === undefined ? {} : { reason: progress.ended.reason }),
          }
        }),
      }
    }),
  }
}

/** The same view as text lines. */
export const fleetStatusLines = (view: ReturnType<typeof fleetStatusView>): ReadonlyArray<string> => {
  if (!("stages" in view)) return [`fleet ${view.fleet}: no rollout yet`]
  return [
    `fleet ${view.fleet}: rollout ${view.rolloutId} ${view.status}, started ${view.startedAt}${"duration" in view && view.duration !== undefined ? `, took ${view.duration}` : ""}`,
    ...(view.fromThisFile ? [] : ["  (started from another version of the fleet file)"]),
    ...("reason" in view && view.reason !== undefined ? [`  ${view.reason}`] : []),
    ...view.stages.flatMap((stage) => [
      `  stage ${stage.name}: ${stage.state}${stage.firing === undefined ? "" : ` (${stage.firing.join(", ")})`}`,
      ...stage.clusters.map(
        (cluster) =>
          `    ${cluster.cluster.padEnd(44)} ${cluster.state}${cluster.runId === undefined ? "" : ` run ${cluster.runId}`}`,
      ),
    ]),
  ]
}
