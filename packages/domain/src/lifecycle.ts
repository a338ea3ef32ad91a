/**
 * Lifecycle facts, said once: which Auto Scaling lifecycle states a member is leaving its group in,
 * which ones Auto Scaling counts toward desired capacity, when EC2 says an instance is gone, and when
 * an ECS task still runs. The planner, the executor, the simulator and the CLI all read them here, so
 * they never disagree on what "gone" or "live" means.
 */
import type { AsgLifecycleState, InstanceState, TaskStatus } from "./snapshot.ts"

const leavingStates: ReadonlySet<AsgLifecycleState> = new Set<AsgLifecycleState>([
  "Terminating",
  "Terminating:Wait",
  "Terminating:Proceed",
  "Terminated",
  "Detaching",
  "Detached",
])

/** A member on its way out of its group, or already out: terminating or detaching. */
export const isLeavingGroup = (lifecycle: AsgLifecycleState): boolean => leavingStates.has(lifecycle)

/**
 * A member its group is terminating: a terminate lifecycle hook (ECS managed draining's, say) may keep
 * it running in Terminating:Wait for a while, but it is on its way out all the same.
 */
export const isTerminating = (lifecycle: AsgLifecycleState): boolean =>
  lifecycle === "Terminating" || lifecycle === "Terminating:Wait" || lifecycle === "Terminating:Proceed"

const capacityStates: ReadonlySet<AsgLifecycleState> = new Set<AsgLifecycleState>([
  "Pending",
  "Pending:Wait",
  "Pending:Proceed",
  "InService",
])

/**
 * A member Auto Scaling counts toward desired capacity and balances across zones: Pending or
 * InService (even one EC2 already reports terminated, until a health check replaces it).
 */
export const countsTowardCapacity = (lifecycle: AsgLifecycleState): boolean => capacityStates.has(lifecycle)

/** A member Auto Scaling lets DetachInstances take: InService or Standby. */
export const isDetachable = (lifecycle: AsgLifecycleState): boolean =>
  lifecycle === "InService" || lifecycle === "Standby"

/** EC2 says the instance is gone or going: shutting down or terminated. */
export const isInstanceGone = (state: InstanceState): boolean =>
  state === "shutting-down" || state === "terminated"

/** An ECS task not yet STOPPED: one still stopping is not gone (it may be deregistering from its load balancer). */
export const isTaskLive = (task: { readonly lastStatus: TaskStatus }): boolean =>
  task.lastStatus !== "STOPPED"
