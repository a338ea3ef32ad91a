/**
 * The executor: the run loop that drives the planner's decisions through the ports — lock, fold,
 * observe, decide, act, wait — with a deadline, retries, idempotency keys and rollback.
 */
export { observeCluster, rollbackRun, runRollout, type InvocationInput } from "./api.ts"
export { clusterRefOf, describeScope } from "./cluster-ref.ts"
export {
  DestructiveCommandRepeated,
  NoOpenRun,
  ObservationInvalid,
  RunOfAnotherCluster,
  UnexpectedDecision,
} from "./errors.ts"
export { idempotencyKey } from "./idempotency.ts"
export { defaultExecutorSettings, type ExecutorSettings, type RunResult } from "./run-loop.ts"
export { phaseOf, RunObserver, type DecisionBasis, type RunObserverShape } from "./run-observer.ts"
export { runStatus, type RunStatus } from "./status.ts"
