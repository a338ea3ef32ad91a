/**
 * What a deployment of the Lambda (the CDK stack in apps/infra) needs from it, without loading its AWS
 * wiring: the settings' decoder the cold start runs, the variables the deployment sets itself, the AWS
 * announcement topic the function accepts, and the resume sweep's event. Exported as
 * `@ecs-ami-deploy/lambda/deployment`.
 */
export {
  ConfigInvalid,
  decodeSettings,
  deploymentVariables,
  fleetVariable,
  settingNames,
  type AmiSourceSpec,
  type LambdaSettings,
} from "./config.ts"
export {
  amiAnnouncementAccount,
  amiAnnouncementTopicArn,
  amiAnnouncementTopicName,
  resumeOpenRunsKind,
} from "./triggers.ts"
