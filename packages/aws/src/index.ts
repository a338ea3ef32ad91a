/**
 * AWS SDK v3 implementations of the ports `Ec2`, `AutoScaling`, `Ecs`, `Ssm`, `CloudWatch`, `LoadBalancing`, `Identity` and `Iam`: batched to each
 * API's limits, paginated to the end, with SDK failures translated into the domain's `AwsCallError`,
 * the list of IAM actions they can call, and the least-privilege policy document derived from it.
 */
export { awsActionsUsed, impliedAwsActions } from "./actions.ts"
export { AutoScalingLive, autoScalingActions, autoScalingLimits, makeAutoScaling } from "./auto-scaling.ts"
export { CloudWatchLive, cloudWatchActions, cloudWatchLimits, makeCloudWatch } from "./cloudwatch.ts"
export { type AwsConfig, sdkClientConfig, sdkMaxAttempts } from "./config.ts"
export { Ec2Live, ec2Actions, ec2Limits, makeEc2 } from "./ec2.ts"
export { EcsLive, ecsActions, makeEcs } from "./ecs.ts"
export {
  mapAutoScalingError,
  mapCloudWatchError,
  mapEc2Error,
  mapEcsError,
  mapLoadBalancingError,
  mapSsmError,
} from "./errors.ts"
export { IamLive, iamActions, makeIam } from "./iam.ts"
export { LoadBalancingLive, loadBalancingActions, makeLoadBalancing } from "./load-balancing.ts"
export {
  eventLogTableActions,
  grantedActions,
  instanceTagKeys,
  rolloutPolicyDocument,
  type PolicyDocument,
  type PolicyStatement,
  type PolicyTargets,
} from "./iam-policy.ts"
export { AwsLive } from "./live.ts"
export { SsmLive, makeSsm, ssmActions } from "./ssm.ts"
export {
  IdentityLive,
  makeIdentity,
  makeRoleAssumer,
  RoleAssumerLive,
  roleAssumerActions,
  stsActions,
} from "./sts.ts"
