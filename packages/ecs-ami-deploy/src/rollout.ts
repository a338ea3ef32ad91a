/**
 * The Effect API: every operation of the library as an Effect that needs a {@link RolloutEnvironment}
 * (AWS or simulated ports, an event log, a notifier). Each one decodes its options first — nothing in
 * the cluster is read or changed when they are wrong — then hands over to the executor, the planner or
 * a port; this module adds no rollout logic of its own. The Promise API runs these same effects.
 *
 * Progress: provide the executor's `RunObserver` to hear every appended event and every decision.
 *
 * Interruption: interrupting `upgradeCluster`, `resumeRun` or `rollbackRun` (an aborted Promise call is
 * one), or a defect inside them (a progress callback or plugin that throws), stops the executor where
 * it is; while it still holds the cluster's lease it records `RunSuspended` (with `StopReason`), then
 * releases the lock. The run stays open, and `resumeRun` continues it. A typed failure (`LockHeld`,
 * `StaleLease`, ...) records nothing: it already says why.
 */
import { Clock, Effect, type Layer } from "effect"
import {
  clusterRefOf,
  observeCluster,
  resumeRun as executorResumeRun,
  rollbackRun as executorRollbackRun,
  runRollout,
  runStatus as executorRunStatus,
} from "@ecs-ami-deploy/executor"
import { foreignActivity, planRollout } from "@ecs-ami-deploy/planner"
import { Ecs, EventLog, Identity } from "@ecs-ami-deploy/ports"
import { Plugins } from "@ecs-ami-deploy/strategies"
import {
  decodeOptions,
  LatestAmiOptions,
  PlanOptions,
  resolvePolicy,
  ResumeOptions,
  RollbackOptions,
  StatusOptions,
  UpgradeOptions,
} from "./options.ts"
import { defaultHolder, takingOverDeadLocalHolder } from "./local-holder.ts"
import { pluginsLayer, surfacePluginFailures } from "./plugins.ts"

const invocationOf = (options: {
  readonly cluster: string
  readonly holder?: string
  readonly deadline?: number
}) => ({
  clusterName: options.cluster,
  holder: options.holder ?? defaultHolder(),
  ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
})

/** Runs `effect` with the plugins the options chose, reporting a caller's broken plugin as `PluginFailed`. */
const withPlugins = <A, E, R>(effect: Effect.Effect<A, E, R>, plugins: Layer.Layer<Plugins>) =>
  surfacePluginFailures(Effect.provide(effect, plugins))

/**
 * Starts a rollout of the cluster onto the image the AMI source names, or resumes the cluster's open
 * run, and drives it until it finishes, is refused, or reaches `deadline` (then it is suspended and
 * `resumeRun` continues it). Fails with `LockHeld` when another executor holds the cluster.
 */
export const upgradeCluster = Effect.fn("upgradeCluster")(function* (options: UpgradeOptions) {
  const valid = yield* decodeOptions("upgradeCluster", UpgradeOptions)(options)
  const policy = yield* resolvePolicy(valid.policy)
  const invocation = invocationOf(valid)
  return yield* takingOverDeadLocalHolder((replacing) =>
    withPlugins(
      runRollout({ ...invocation, policy, ...(replacing === undefined ? {} : { replacing }) }),
      pluginsLayer(valid),
    ),
  )
})

/**
 * Says what a rollout starting now would do — groups, outdated instances, predicted waves — or why it
 * would refuse. Reads only; `renderPlanText(plan)` prints it for people.
 */
export const planUpgrade = Effect.fn("planUpgrade")(function* (options: PlanOptions) {
  const valid = yield* decodeOptions("planUpgrade", PlanOptions)(options)
  const policy = yield* resolvePolicy(valid.policy)
  const snapshot = yield* withPlugins(
    observeCluster(valid.cluster, { terminationProtection: policy.capacityMode === "detach" }),
    pluginsLayer(valid),
  )
  const cluster = yield* clusterRefOf(valid.cluster)
  const plan = planRollout(snapshot, policy, yield* Clock.currentTimeMillis)
  // With no run open in this event log, another actor mid-change would make a start refuse: say so now.
  const runs = yield* EventLog.use((eventLog) => eventLog.runs(cluster))
  if (runs.some((run) => run.status === "open")) return plan
  const foreign = foreignActivity(snapshot, new Set(runs.map((run) => run.runId)))
  return foreign.length === 0
    ? plan
    : { ...plan, verdict: "refused" as const, problems: [...plan.problems, ...foreign] }
})

/** The image the AMI source names now (default: AWS's recommended ECS-optimized Amazon Linux 2023 image). */
export const latestAmi = Effect.fn("latestAmi")(function* (options: LatestAmiOptions = {}) {
  const valid = yield* decodeOptions("latestAmi", LatestAmiOptions)(options)
  const resolve = Plugins.use((plugins) =>
    plugins.amiSource.resolve(valid.architecture === undefined ? {} : { architecture: valid.architecture }),
  )
  return yield* withPlugins(resolve, pluginsLayer(valid))
})

/**
 * The account (STS GetCallerIdentity), caller ARN and Region the environment's AWS ports act in: what
 * runs and locks are keyed by, and what a person should see before confirming a rollout.
 */
export const callerIdentity = Effect.fn("callerIdentity")(function* () {
  return yield* Identity.use((identity) => identity.callerIdentity)
})

/** The cluster's runs in this account and Region (and those of releases that knew clusters by name only), newest first. */
export const clusterRuns = Effect.fn("clusterRuns")(function* (clusterName: string) {
  const cluster = yield* clusterRefOf(clusterName)
  return yield* EventLog.use((eventLog) => eventLog.runs(cluster))
})

/** The names of the ECS clusters the environment can see. */
export const listClusters = Effect.fn("listClusters")(function* () {
  const ecs = yield* Ecs
  return yield* ecs.listClusters()
})

/**
 * Continues the cluster's open run (suspended, aborted or killed) from its log, with the policy and
 * target image it started with (no AMI source is asked); `NoOpenRun` when there is none.
 */
export const resumeRun = Effect.fn("resumeRun")(function* (options: ResumeOptions) {
  const valid = yield* decodeOptions("resumeRun", ResumeOptions)(options)
  const invocation = invocationOf(valid)
  return yield* takingOverDeadLocalHolder((replacing) =>
    withPlugins(
      executorResumeRun({ ...invocation, ...(replacing === undefined ? {} : { replacing }) }),
      pluginsLayer(valid),
    ),
  )
})

/** Rolls the cluster's open run back to where it started, recording `reason`; `NoOpenRun` when there is none. */
export const rollbackRun = Effect.fn("rollbackRun")(function* (options: RollbackOptions) {
  const valid = yield* decodeOptions("rollbackRun", RollbackOptions)(options)
  const reason = valid.reason ?? "rollback requested through the library API"
  const invocation = invocationOf(valid)
  return yield* takingOverDeadLocalHolder((replacing) =>
    withPlugins(
      executorRollbackRun({ ...invocation, reason, ...(replacing === undefined ? {} : { replacing }) }),
      pluginsLayer(valid),
    ),
  )
})

/** The cluster's open run (else its newest) with its folded state and progress, or `NoRuns`. */
export const runStatus = Effect.fn("runStatus")(function* (options: StatusOptions) {
  const valid = yield* decodeOptions("runStatus", StatusOptions)(options)
  return yield* executorRunStatus(valid.cluster)
})
