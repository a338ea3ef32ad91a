/**
 * The deployable AWS infrastructure of the ecs-ami-deploy Lambda (AWS CDK). The least-privilege policy
 * document its role gets is `rolloutPolicyDocument` of `@ecs-ami-deploy/aws`, next to the adapters'
 * action lists it is derived from.
 */
export { amiAnnouncementAccount, amiAnnouncementTopicName } from "@ecs-ami-deploy/lambda/deployment"
export {
  announcementSourceFor,
  regionsWithAnnouncementTopic,
  type AnnouncementSource,
} from "./ami-announcements.ts"
export {
  defaultSchedule,
  EcsAmiDeployStack,
  failedRunsMetricName,
  metricNamespace,
  type EcsAmiDeployStackProps,
} from "./stack.ts"
export {
  defaultRolloutRoleName,
  EcsAmiDeployRolloutRoleStack,
  type RolloutRoleStackProps,
} from "./rollout-role.ts"
