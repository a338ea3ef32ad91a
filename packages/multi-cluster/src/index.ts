/**
 * Fleet rollouts: one AMI rollout across many ECS clusters — in several accounts and Regions — in
 * stages (a canary first, then the rest, in batches), each stage baked before the next, stopping the
 * whole fleet at the first failure and saying where. The fleet file is decoded by {@link decodeFleetFile};
 * the pure decider folds the fleet's own stream in the event log; {@link runFleetRollout} carries its
 * decisions out, each cluster an ordinary resumable cluster run. The simulator half lives in
 * `@ecs-ami-deploy/multi-cluster/simulator`, so a Lambda bundle of this entry never contains it.
 */
export * from "./bake.ts"
export * from "./cluster-ports.ts"
export * from "./cluster-runner.ts"
export * from "./decider.ts"
export * from "./fleet-executor.ts"
export * from "./fleet-file.ts"
export * from "./library-runner.ts"
export * from "./aws-runner.ts"
export * from "./status.ts"
export * from "./fleet-log.ts"
