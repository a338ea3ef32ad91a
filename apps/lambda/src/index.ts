/**
 * The ecs-ami-deploy Lambda: decode the schedule, the AWS AMI announcement or a continue event; start
 * or resume each configured cluster's rollout within the invocation's time; hand an open run over to
 * a fresh invocation. `makeHandler` runs over any layer (AWS, or the simulator in tests); `main.ts` is
 * the production entry the bundle exports.
 */
export {
  ConfigInvalid,
  decodeSettings,
  deploymentVariables,
  loadConfig,
  settingNames,
  type AmiSourceSpec,
  type LambdaConfig,
  type LambdaSettings,
} from "./config.ts"
export { Continuation, ContinuationFailed, layerLambdaContinuation } from "./continuation.ts"
export {
  handleEvent,
  InvocationFailed,
  makeHandler,
  type ClusterReport,
  type HandlerServices,
  type InvocationContext,
  type InvocationReport,
} from "./handler.ts"
export { handlerFromEnvironment, liveLayer } from "./live.ts"
export { jsonLogger, layerJsonLogs } from "./logging.ts"
export { layerLogNotifier, layerSnsNotifier } from "./notifier.ts"
export { layerPlugins } from "./plugins.ts"
export { amiAnnouncementTopicArn, continueEventKind, decodeTrigger, type Trigger } from "./triggers.ts"
