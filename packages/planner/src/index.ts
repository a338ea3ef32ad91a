/**
 * The planner: a pure decider for ECS AMI rollouts. `initialState` and `evolve` fold a run's event log
 * into its state, `decide` returns the next step from that state, a cluster snapshot, the policy and
 * the time, and `planRollout` / `renderPlanText` show what a run would do. No I/O, no clock, no randomness.
 */
export { imageFamily, type ImageFamily } from "./cluster.ts"
export { DECIDER_VERSION, decidesAsOf } from "./decider-version.ts"
export { tasksOnDrainingOldInstances } from "./drain-blockers.ts"
export { foreignActivity } from "./foreign-activity.ts"
export {
  awaitingContinue,
  checkpointPause,
  GATE_CHECK_INTERVAL_MS,
  gateActionOf,
  gateEventOf,
  replacedShare,
  type RunFootprint,
  SERVICE_FAILED_TASKS,
  targetGroupsToWatch,
} from "./gates.ts"
export { decideNext, decideStart, type NextDecision, type StartDecision } from "./protocol.ts"
export { commandIds } from "./command-ids.ts"
export { decide } from "./decide.ts"
export { MAX_COMMAND_FAILURES, NEW_IMAGE_TASK_FAILURES } from "./run-failure.ts"
export {
  planRollout,
  renderPlanText,
  type Plan,
  type PlanGroup,
  type PlanProblem,
  type PlanWave,
} from "./plan.ts"
export {
  progressOf,
  type GroupProgress,
  type InstanceStep,
  type PhaseProgress,
  type RunProgress,
} from "./progress.ts"
export {
  evolve,
  initialState,
  type CheckpointRecord,
  type CommandRecord,
  type RunFacts,
  type RunState,
} from "./state.ts"
