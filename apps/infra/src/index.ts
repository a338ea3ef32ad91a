/**
 * The deployable AWS infrastructure of the ecs-ami-deploy Lambda (AWS CDK), and the least-privilege
 * policy document it attaches. The policy has no CDK dependency: import it from
 * `@ecs-ami-deploy/infra/policy` to avoid loading aws-cdk-lib (the CLI's `iam-policy` does).
 */
export {
  grantedActions,
  instanceTagKeys,
  eventLogTableActions,
  rolloutPolicyDocument,
  type PolicyDocument,
  type PolicyStatement,
  type PolicyTargets,
} from "./policy.ts"
export {
  amiAnnouncementAccount,
  amiAnnouncementTopicName,
  defaultSchedule,
  EcsAmiDeployStack,
  failedRunsMetricName,
  metricNamespace,
  type EcsAmiDeployStackProps,
} from "./stack.ts"
