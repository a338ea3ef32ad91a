/**
 * Ports: the Effect services through which ecs-ami-deploy touches the world, in domain terms. The AWS
 * adapters (packages/aws) and the simulator (packages/simulator) both implement them, so the executor
 * runs unchanged against either. Every call is batch-friendly (many ids per call; adapters split to the
 * API's limits and paginate) and fails only with the domain's tagged errors — never with SDK types.
 */
export * from "./aws.ts"
export * from "./cloudwatch.ts"
export * from "./event-log.ts"
export * from "./iam.ts"
export * from "./load-balancing.ts"
export * from "./identity.ts"
export * from "./notifier.ts"
export * from "./fleet-rollout-log.ts"
export * from "./role-assumer.ts"
