/**
 * ecs-ami-deploy as a library: roll every EC2 instance of an ECS cluster onto a new AMI with zero
 * service downtime, resumable wherever it stops. Two styles over one executor:
 *
 * - Promise API: `upgradeCluster(options, { ports: awsPorts({ region }), signal, onEvent })` and friends.
 * - Effect API: `Rollout.upgradeCluster(options)` and friends, needing a `RolloutEnvironment` layer.
 *
 * The simulator lives in `ecs-ami-deploy/simulator`, so this entry never pulls it into a bundle.
 * Every export is listed in `api.md`; a test fails when the two disagree.
 */

// The Promise API and the Effect API (as the `Rollout` namespace).
export {
  type CallOptions,
  latestAmi,
  listClusters,
  planUpgrade,
  resumeRun,
  rollbackRun,
  runStatus,
  upgradeCluster,
} from "./promise.ts"
export * as Rollout from "./rollout.ts"

// Options, the policy, and where a call runs.
export type {
  LatestAmiOptions,
  PlanOptions,
  PolicyOverrides,
  ResumeOptions,
  RollbackOptions,
  StatusOptions,
  UpgradeOptions,
} from "./options.ts"
export { Amount, defaultPolicy, RolloutPolicy, validatePolicy } from "@ecs-ami-deploy/domain"
export {
  type AwsConfig,
  type AwsPorts,
  awsPorts,
  type EnvironmentChoice,
  eventLogAt,
  memoryEventLog,
  rolloutEnvironment,
  type RolloutEnvironment,
  silentNotifier,
} from "./environment.ts"
export { AutoScaling, Ec2, Ecs, EventLog, Notifier, Ssm } from "@ecs-ami-deploy/ports"

// Plugins: the contracts and the built-ins.
export {
  type AmiSource,
  builtInLaunchSpecStrategies,
  defaultEcsImageParameter,
  defaultImageNamePattern,
  imageFilterSource,
  type ImageFilterOptions,
  launchConfigurationStrategy,
  type LaunchSpecStrategy,
  launchTemplateStrategy,
  mixedInstancesStrategy,
  pinnedImageSource,
  type PluginServices,
  ssmParameterSource,
  type SsmParameterOptions,
} from "@ecs-ami-deploy/strategies"

// Results, progress and the event log's contents.
export {
  type GroupProgress,
  type RunProgress,
  RunObserver,
  type RunObserverShape,
  type RunResult,
  type RunStatus,
} from "@ecs-ami-deploy/executor"
export { type Plan, type PlanGroup, type PlanProblem, type PlanWave, renderPlanText } from "@ecs-ami-deploy/planner"
export {
  type Command,
  type Decision,
  decodeRunEvent,
  EVENT_SCHEMA_VERSION,
  type Image,
  type Phase,
  RunEvent,
  type RunEventTag,
} from "@ecs-ami-deploy/domain"

// Errors.
export { InvalidOptions, PluginFailed } from "./errors.ts"
export {
  AwsCallError,
  EventLogCorrupt,
  EventLogUnavailable,
  InvalidPolicy,
  LockHeld,
  SequenceConflict,
  StaleLease,
} from "@ecs-ami-deploy/domain"
export { NoOpenRun, ObservationInvalid, UnexpectedDecision } from "@ecs-ami-deploy/executor"
export { ImageNotFound, LaunchSpecError } from "@ecs-ami-deploy/strategies"
