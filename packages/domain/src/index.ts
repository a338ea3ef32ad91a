/**
 * The domain of ecs-ami-deploy: schemas and types for cluster snapshots, the rollout policy, the
 * commands the planner emits, the run events the executor records, the planner's decisions, and the
 * tagged errors shared across packages. Pure data: no I/O.
 */
export * from "./commands.ts"
export * from "./decision.ts"
export * from "./duration.ts"
export * from "./errors.ts"
export * from "./events.ts"
export * from "./lifecycle.ts"
export * from "./fleet-rollout-events.ts"
export * from "./policy.ts"
export * from "./snapshot.ts"
