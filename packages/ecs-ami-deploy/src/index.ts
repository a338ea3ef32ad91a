/**
 * ecs-ami-deploy as a library: roll every EC2 instance of an ECS cluster onto a new AMI with zero
 * service downtime, resumable wherever it stops. Two styles over one executor:
 *
 * - Promise API: `upgradeCluster(options, { ports: awsPorts({ region }), signal, onEvent })` and friends.
 * - Effect API: `Rollout.upgradeCluster(options)` and friends, needing a `RolloutEnvironment` layer.
 *
 * The simulator lives in `ecs-ami-deploy/simulator`, so this entry never pulls it into a bundle.
 * Every export is listed in `api.md` and documented here or in its own module; a test holds both.
 */

// The Promise API (documented in ./promise.ts).
export {
  type CallOptions,
  callerIdentity,
  clusterRuns,
  continueRun,
  latestAmi,
  listClusters,
  planUpgrade,
  resumeRun,
  rollbackRun,
  runStatus,
  upgradeCluster,
} from "./promise.ts"

/** The Effect API: the same ten operations as Effects that need a `RolloutEnvironment`. */
export * as Rollout from "./rollout.ts"

// Options (documented in ./options.ts) and the policy.
export type {
  AmountText,
  ContinueOptions,
  LatestAmiOptions,
  PlanOptions,
  PolicyInput,
  PolicyOverrides,
  ResumeOptions,
  RollbackOptions,
  StatusOptions,
  UpgradeOptions,
} from "./options.ts"
/** Checks `upgradeCluster`'s options as it will (unknown fields, amounts, the merged policy) without touching anything. */
export { checkUpgradeOptions } from "./options.ts"
export {
  /** An amount of instances, absolute or a percentage of the group's desired capacity at run start (schema and type). */
  Amount,
  /** The policy a careful operator would pick; `PolicyOverrides` change it field by field. */
  defaultPolicy,
  /** The rollout policy (schema and type): capacity mode, surge, draining, timeouts, and the choices for awkward instances and tasks. */
  RolloutPolicy,
  /** The domain's check of a policy: refuses impossible combinations, naming each field and its fix. */
  validatePolicy,
} from "@ecs-ami-deploy/domain"

// Where a call runs (documented in ./environment.ts), and the ports for plugins and custom layers.
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
export {
  /** The Auto Scaling port (groups, capacity, processes, launch configurations). */
  AutoScaling,
  /** The CloudWatch port (the states of the alarms a policy names). */
  CloudWatch,
  /** The EC2 port (instances, images, tags, launch templates): what AMI sources use. */
  Ec2,
  /** The ECS port (clusters, container instances, services, tasks). */
  Ecs,
  /** The event log port: append-only run logs and the per-cluster lease lock. */
  EventLog,
  /** The IAM port: the roles of an instance profile (what `iam:PassRole` must reach). */
  Iam,
  /** The Elastic Load Balancing v2 port (the health of a target group's targets: the target health gate). */
  LoadBalancing,
  /** The identity port: the account (STS GetCallerIdentity) and Region the AWS ports act in. */
  Identity,
  /** The notifier port: who is told that a run started, finished or was suspended. */
  Notifier,
  /** The SSM port (parameters naming images). */
  Ssm,
} from "@ecs-ami-deploy/ports"

// Plugins: the contracts and the built-ins.
export {
  /** The contract of an AMI source: `name`, `description`, and `resolve(context)` giving the target image. */
  type AmiSource,
  /** Where the target image comes from, as data: `image-filter`, `ssm-parameter` or `pinned` (the CLI's and the Lambda's AMI settings). */
  type AmiSourceSpec,
  /** The AMI source a spec describes. */
  amiSourceFromSpec,
  /** The one default AMI source of the CLI, the Lambda and the library: the Go tool's image filter, owner `amazon`. */
  defaultAmiSourceSpec,
  /** Launch template, mixed instances policy and launch configuration strategies, in the order they are tried. */
  builtInLaunchSpecStrategies,
  /** AWS's public SSM parameter naming the recommended ECS-optimized Amazon Linux 2023 image. */
  defaultEcsImageParameter,
  /** The Go tool's default image name filter. */
  defaultImageNamePattern,
  /** The newest available image matching a name pattern. */
  imageFilterSource,
  /** The newest of some images by creation date (`undefined` for none): what a custom AMI source usually returns. */
  newestImage,
  /** Options of `imageFilterSource`: name pattern, owners, architecture, deprecated images. */
  type ImageFilterOptions,
  /** The strategy for groups launching from a (legacy) launch configuration. */
  launchConfigurationStrategy,
  /** The contract of a launch-spec strategy: `handles`, `resolveImageId`, `apply`, `restore`, `cleanup`. */
  type LaunchSpecStrategy,
  /** The strategy for groups launching from a launch template. */
  launchTemplateStrategy,
  /** The strategy for groups with a mixed instances policy. */
  mixedInstancesStrategy,
  /** One given image id, checked to exist. */
  pinnedImageSource,
  /** What plugins may use: the `Ec2`, `AutoScaling` and `Ssm` ports. */
  type PluginServices,
  /** The image an SSM parameter names; by default AWS's recommended ECS-optimized Amazon Linux 2023 image. */
  ssmParameterSource,
  /** Options of `ssmParameterSource`: the parameter's name. */
  type SsmParameterOptions,
} from "@ecs-ami-deploy/strategies"

// Results, progress and the event log's contents.
export {
  /**
   * Why an interrupted invocation stopped: the reason its `RunSuspended` event records. An application
   * that interrupts a call on a signal provides its own holder and sets `current` first.
   */
  StopReason,
  /** The progress hook of the Effect API: provide it to hear each appended event and each decision. */
  RunObserver,
  /** What a `RunObserver` implements: `eventAppended` and `decided`. */
  type RunObserverShape,
  /** How an invocation ended: `NothingToDo`, `Refused`, `Deferred`, `Finished` or `Suspended`. */
  type RunResult,
  /** `NoRuns`, or the cluster's open (else newest) run with its folded state and progress. */
  type RunStatus,
} from "@ecs-ami-deploy/executor"
export {
  /** What a rollout starting now would do — groups, outdated instances, predicted waves — or why it would refuse. */
  type Plan,
  /** One Auto Scaling group in a plan. */
  type PlanGroup,
  /** Why a plan is refused, and what to change. */
  type PlanProblem,
  /** One predicted drain wave of a plan. */
  type PlanWave,
  /** A plan as text for people. */
  renderPlanText,
  /** Folds one event into a run's state; `events.reduce(evolve, initialState)` is a run's state from its log. */
  evolve,
  /** The state before any event: no run. */
  initialState,
  /** The checkpoint an open run pauses at now (from its state), waiting for `continueRun` or for its delay. */
  checkpointPause,
  /** The folded state of a run's log: `NoRun`, `Running` or `Finished`. */
  type RunState,
  /** A run's progress from its state: phase, waves, old instances per group, commands by outcome and per phase. */
  progressOf,
  /** What `progressOf` returns. */
  type RunProgress,
  /** One group's progress: old instances, how many were drained and terminated, and how far each got. */
  type GroupProgress,
  /** How far one old instance got: `replaced`, `draining` or `to replace`. */
  type InstanceStep,
  /** One phase's commands by outcome and when it acted. */
  type PhaseProgress,
} from "@ecs-ami-deploy/planner"
export {
  /** A command the planner asks the executor to run, with its stable id and reason. */
  type Command,
  /** What the planner decides at each step: start, act, wait, roll back, finish, or refuse. */
  type Decision,
  /** Decodes one stored log record, refusing records of another schema version. */
  decodeRunEvent,
  /** The version of the run event schema this release reads and writes. */
  EVENT_SCHEMA_VERSION,
  /** The gate (alarm or service) that stopped a run: kind, name, what it said. */
  type GateFailure,
  /** An AMI: id, name, owner, creation date, architecture, state, tags. */
  type Image,
  /** The phase of a run a decision belongs to. */
  type Phase,
  /** A run event as stored in the log (schema and type): started, lease, command issued/succeeded/failed, noted, rollback, suspended, finished. */
  RunEvent,
  /** The `_tag` of a run event. */
  type RunEventTag,
} from "@ecs-ami-deploy/domain"

// The readable line of each event (documented in ./event-lines.ts), as the CLI prints them.
export { type EventLineOptions, eventLineFormatter } from "./event-lines.ts"

// Errors: the library's own (documented in ./errors.ts), then those of the contracts.
export { InvalidOptions, PluginFailed } from "./errors.ts"
export {
  /** An AWS call failed; `kind` classifies it (`throttled`, `access-denied`, ...) and `retryable` says whether retrying helps. */
  AwsCallError,
  /** A log record that cannot be read: corrupt, or written by another schema version. */
  EventLogCorrupt,
  /** The event log's storage failed (disk, DynamoDB). */
  EventLogUnavailable,
  /** A policy that cannot work, with each problem's field and fix. */
  InvalidPolicy,
  /** Another executor holds the cluster's lock: who, which run, until when. */
  LockHeld,
  /** Two writers raced for one sequence number of a run's log. */
  SequenceConflict,
  /** This invocation's lease was taken over: it must stop at once. */
  StaleLease,
} from "@ecs-ami-deploy/domain"
export {
  /** Resume or rollback asked of a cluster without an open run. */
  NoOpenRun,
  /** `continue` asked of a cluster whose run does not pause at a checkpoint. */
  NotAtCheckpoint,
  /** What AWS returned does not decode as a cluster snapshot: the run does not act on it. */
  ObservationInvalid,
} from "@ecs-ami-deploy/executor"
export {
  /** The AMI source found no usable image: what it looked for, and what to change. */
  ImageNotFound,
  /** A launch spec no strategy can work with: which group, the problem, and the fix. */
  LaunchSpecError,
} from "@ecs-ami-deploy/strategies"
