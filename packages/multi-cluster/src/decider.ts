/**
 * The fleet rollout decider: `initialState`, `evolve` (fold the fleet's stream) and `decide` (what to
 * do next), pure like the cluster planner — no I/O, time comes in as data. Stages run in order; a
 * stage's clusters roll `batchSize` at a time; a stage starts only when every cluster of the previous
 * one succeeded (or had nothing to do) and it baked without an alarm firing. Any other cluster outcome
 * or a firing alarm stops the rollout, naming the stage, cluster, run and outcome (or alarm); later
 * stages never start, and clusters already rolled are not rolled back (the outcome says so). A
 * cluster whose run was requested and has no recorded end is run again (the cluster runner resumes or
 * reads that run), so a rollout killed anywhere resumes where it stopped.
 */
import {
  describeBakeFailure,
  type FleetBakeFailure,
  type FleetClusterOutcome,
  type FleetRolloutEvent,
  type FleetRolloutOutcome,
  type FleetStage,
  type FleetStopPoint,
} from "@ecs-ami-deploy/domain"

/** One cluster's part of the rollout. */
export interface ClusterProgress {
  readonly stage: string
  /** The cluster's run ids known before its run was requested; absent until requested. */
  readonly runsBefore?: ReadonlyArray<string>
  readonly ended?: {
    readonly runId?: string
    readonly outcome: FleetClusterOutcome
    readonly reason: string
    readonly at: number
  }
}

export interface StageBake {
  readonly until: number
  /** Set when the bake ended: the alarms found firing (none: baked). */
  readonly firing?: ReadonlyArray<string>
  /** The same with what CloudWatch said, in rollouts that recorded it. */
  readonly failures?: ReadonlyArray<FleetBakeFailure>
  readonly checked?: string
}

/** A rollout as folded from its events; `finished` once it ended. */
export interface RolloutProgress {
  readonly rolloutId: string
  readonly fileDigest: string
  readonly startedAt: number
  readonly stages: ReadonlyArray<FleetStage>
  /** How many stages have started (the last started one is the current stage). */
  readonly startedStages: number
  readonly clusters: Readonly<Record<string, ClusterProgress>>
  readonly bakes: Readonly<Record<string, StageBake>>
  readonly suspension?: { readonly at: number; readonly reason: string }
  readonly finished?: {
    readonly at: number
    readonly outcome: FleetRolloutOutcome
    readonly reason: string
    readonly stoppedAt?: FleetStopPoint
  }
}

/** The fleet's stream folded: its newest rollout (open or finished), if any. */
export interface FleetRolloutState {
  readonly lastSeq: number
  readonly rollout: RolloutProgress | undefined
}

/** What the fleet executor does next. */
export type FleetDecision =
  /** No rollout is open: `fleet apply` starts one. */
  | { readonly _tag: "NoOpenRollout" }
  | { readonly _tag: "StartStage"; readonly stage: string }
  /**
   * Run these clusters of the stage together: each is requested first unless it already was (a
   * resumed rollout), then run or resumed until its run ends.
   */
  | { readonly _tag: "RunClusters"; readonly stage: string; readonly clusters: ReadonlyArray<string> }
  | { readonly _tag: "StartBake"; readonly stage: string; readonly until: number }
  /** Wait until the bake ends, then check the stage's alarms. */
  | { readonly _tag: "FinishBake"; readonly stage: string; readonly until: number }
  | {
      readonly _tag: "Finish"
      readonly outcome: FleetRolloutOutcome
      readonly reason: string
      readonly stoppedAt?: FleetStopPoint
    }

export const initialState: FleetRolloutState = { lastSeq: -1, rollout: undefined }

/** Outcomes with which a cluster counts as done and the rollout may go on. */
export const isClusterSuccess = (outcome: FleetClusterOutcome): boolean =>
  outcome === "succeeded" || outcome === "nothing-to-do"

const withRollout = (
  state: FleetRolloutState,
  seq: number,
  change: (rollout: RolloutProgress) => RolloutProgress,
): FleetRolloutState => ({
  lastSeq: seq,
  rollout: state.rollout === undefined ? undefined : change(state.rollout),
})

/** Folds one event of the fleet's stream. */
export const evolve = (state: FleetRolloutState, event: FleetRolloutEvent): FleetRolloutState => {
  switch (event._tag) {
    case "FleetRolloutStarted":
      return {
        lastSeq: event.seq,
        rollout: {
          rolloutId: event.rolloutId,
          fileDigest: event.fileDigest,
          startedAt: event.at,
          stages: event.stages,
          startedStages: 0,
          clusters: {},
          bakes: {},
        },
      }
    case "FleetLeaseTaken":
      return { ...state, lastSeq: event.seq }
    case "FleetStageStarted":
      return withRollout(state, event.seq, (rollout) => ({
        ...rollout,
        startedStages: rollout.stages.findIndex((stage) => stage.name === event.stage) + 1,
      }))
    case "FleetClusterRunRequested":
      return withRollout(state, event.seq, (rollout) => ({
        ...rollout,
        clusters: {
          ...rollout.clusters,
          [event.cluster]: { stage: event.stage, runsBefore: event.runsBefore },
        },
      }))
    case "FleetClusterRunEnded":
      return withRollout(state, event.seq, (rollout) => ({
        ...rollout,
        clusters: {
          ...rollout.clusters,
          [event.cluster]: {
            ...rollout.clusters[event.cluster],
            stage: event.stage,
            ended: {
              ...(event.runId === undefined ? {} : { runId: event.runId }),
              outcome: event.outcome,
              reason: event.reason,
              at: event.at,
            },
          },
        },
      }))
    case "FleetStageBakeStarted":
      return withRollout(state, event.seq, (rollout) => ({
        ...rollout,
        bakes: { ...rollout.bakes, [event.stage]: { until: event.until } },
      }))
    case "FleetStageBakeEnded":
      return withRollout(state, event.seq, (rollout) => ({
        ...rollout,
        bakes: {
          ...rollout.bakes,
          [event.stage]: {
            until: rollout.bakes[event.stage]?.until ?? event.at,
            firing: event.firing,
            ...(event.failures === undefined ? {} : { failures: event.failures }),
            checked: event.checked,
          },
        },
      }))
    case "FleetRolloutSuspended":
      return withRollout(state, event.seq, (rollout) => ({
        ...rollout,
        suspension: { at: event.at, reason: event.reason },
      }))
    case "FleetRolloutFinished":
      return withRollout(state, event.seq, (rollout) => ({
        ...rollout,
        finished: {
          at: event.at,
          outcome: event.outcome,
          reason: event.reason,
          ...(event.stoppedAt === undefined ? {} : { stoppedAt: event.stoppedAt }),
        },
      }))
  }
}

/** Folds a whole stream. */
export const fold = (events: ReadonlyArray<FleetRolloutEvent>): FleetRolloutState =>
  events.reduce(evolve, initialState)

const laterStages = (rollout: RolloutProgress, index: number): string => {
  const names = rollout.stages.slice(index + 1).map((stage) => stage.name)
  return names.length === 0 ? "it was the last stage" : `stage(s) ${names.join(", ")} not started`
}

/**
 * A failed bake rolls nothing back: the clusters that already rolled keep the new image. What the
 * outcome says of them, and what the operator can do.
 */
const notRolledBack = (rollout: RolloutProgress): string => {
  const rolled = Object.entries(rollout.clusters).flatMap(([id, progress]) =>
    progress.ended?.outcome === "succeeded" ? [id] : [],
  )
  return rolled.length === 0
    ? "no cluster was rolled"
    : `nothing was rolled back: ${rolled.join(", ")} keep the new image (to undo, roll each onto the previous image with \`ecs-ami-deploy upgrade-cluster --cluster C --ami-id <previous image>\` in its account and Region; once the cause is fixed, \`fleet apply\` starts a new rollout)`
}

/** What to do next with the fleet's newest rollout at `now`. */
export const decide = (state: FleetRolloutState, now: number): FleetDecision => {
  const rollout = state.rollout
  if (rollout === undefined || rollout.finished !== undefined) return { _tag: "NoOpenRollout" }
  const stageIndex = rollout.startedStages - 1
  const stage = rollout.stages[stageIndex]
  if (stage === undefined) {
    const first = rollout.stages[0]
    return first === undefined
      ? { _tag: "Finish", outcome: "succeeded", reason: "the fleet names no stage" }
      : { _tag: "StartStage", stage: first.name }
  }
  const progress = stage.clusters.map((cluster) => ({
    id: cluster.id,
    progress: rollout.clusters[cluster.id],
  }))
  const inFlight = progress.filter(
    ({ progress }) => progress?.runsBefore !== undefined && progress.ended === undefined,
  )
  if (inFlight.length > 0)
    return { _tag: "RunClusters", stage: stage.name, clusters: inFlight.map(({ id }) => id) }
  const failed = progress.find(
    ({ progress }) => progress?.ended !== undefined && !isClusterSuccess(progress.ended.outcome),
  )
  if (failed?.progress?.ended !== undefined) {
    const ended = failed.progress.ended
    return {
      _tag: "Finish",
      outcome: "stopped",
      reason: `cluster ${failed.id} of stage ${stage.name} ended ${ended.outcome}${ended.runId === undefined ? "" : ` (run ${ended.runId})`}: ${ended.reason}; ${laterStages(rollout, stageIndex)}; ${notRolledBack(rollout)}`,
      stoppedAt: {
        stage: stage.name,
        cluster: failed.id,
        ...(ended.runId === undefined ? {} : { runId: ended.runId }),
        outcome: ended.outcome,
      },
    }
  }
  const pending = progress.filter(({ progress }) => progress === undefined)
  if (pending.length > 0)
    return {
      _tag: "RunClusters",
      stage: stage.name,
      clusters: pending.slice(0, Math.max(1, stage.batchSize)).map(({ id }) => id),
    }
  const bake = rollout.bakes[stage.name]
  if (bake === undefined) return { _tag: "StartBake", stage: stage.name, until: now + stage.bakeMs }
  if (bake.firing === undefined) return { _tag: "FinishBake", stage: stage.name, until: bake.until }
  if (bake.firing.length > 0) {
    const first = bake.failures?.[0]
    const found =
      bake.failures === undefined
        ? `${bake.firing.join(", ")} in ALARM`
        : bake.failures.map(describeBakeFailure).join("; ")
    return {
      _tag: "Finish",
      outcome: "stopped",
      reason: `stage ${stage.name} did not bake: ${found}; ${laterStages(rollout, stageIndex)}; ${notRolledBack(rollout)}`,
      stoppedAt: {
        stage: stage.name,
        ...(first === undefined ? {} : { cluster: first.cluster }),
        ...(first?.alarm === undefined ? {} : { alarm: first.alarm }),
      },
    }
  }
  const next = rollout.stages[stageIndex + 1]
  if (next !== undefined) return { _tag: "StartStage", stage: next.name }
  const clusterCount = rollout.stages.reduce((sum, each) => sum + each.clusters.length, 0)
  return {
    _tag: "Finish",
    outcome: "succeeded",
    reason: `all ${clusterCount} cluster(s) of ${rollout.stages.length} stage(s) rolled and baked`,
  }
}
