/**
 * AWS SDK v3 implementations of the ports `Ec2`, `AutoScaling`, `Ecs` and `Ssm`: batched to each
 * API's limits, paginated to the end, with SDK failures translated into the domain's `AwsCallError`,
 * and the list of IAM actions they can call for least-privilege policies.
 */
export { awsActionsUsed, impliedAwsActions } from "./actions.ts"
export { AutoScalingLive, autoScalingActions, autoScalingLimits, makeAutoScaling } from "./auto-scaling.ts"
export { type AwsConfig, sdkMaxAttempts } from "./config.ts"
export { Ec2Live, ec2Actions, ec2Limits, makeEc2 } from "./ec2.ts"
export { EcsLive, ecsActions, ecsLimits, makeEcs } from "./ecs.ts"
export { mapAutoScalingError, mapEc2Error, mapEcsError, mapSsmError } from "./errors.ts"
export { AwsLive } from "./live.ts"
export { SsmLive, makeSsm, ssmActions } from "./ssm.ts"
