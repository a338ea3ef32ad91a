/**
 * The executor's public entry points, called by the CLI, the Lambda and the library: start or resume
 * a rollout, roll back the open run on request, read a run's status, and observe a cluster.
 */
import { Clock, Effect, Result } from "effect"
import { validatePolicy, type RolloutPolicy } from "@ecs-ami-deploy/domain"
import { EventLog } from "@ecs-ami-deploy/ports"
import { evolve, initialState } from "@ecs-ami-deploy/planner"
import { clusterRefOf } from "./cluster-ref.ts"
import { NoOpenRun } from "./errors.ts"
import { observeSnapshot } from "./observe.ts"
import {
  defaultExecutorSettings,
  withClusterLock,
  type ExecutorSettings,
  type Invocation,
} from "./invocation.ts"
import { openRunOf, resume, resumeRollingBack, startOrResume } from "./run-loop.ts"

export interface InvocationInput {
  readonly clusterName: string
  /** Who runs this invocation (host/pid, Lambda request id): named in LockHeld errors of others. */
  readonly holder: string
  /** Epoch ms on the Clock by which the invocation must have returned; the run is suspended before it. */
  readonly deadline?: number
  /** What the suspension at the deadline records as its reason (default: "stopped before the deadline <time>"). */
  readonly stopReason?: string
  /** Take the lock over from this lease even before it expires: its holder is known dead (see EventLog.acquire). */
  readonly replacing?: { readonly holder: string; readonly leaseExpiresAt: number }
  readonly settings?: Partial<ExecutorSettings>
}

const lockInput = (input: InvocationInput) => ({
  clusterName: input.clusterName,
  holder: input.holder,
  deadline: input.deadline,
  stopReason: input.stopReason,
  replacing: input.replacing,
  settings: { ...defaultExecutorSettings, ...input.settings },
})

/**
 * Starts a rollout of the cluster under `policy`, or resumes its open run (which keeps the policy it
 * started with). Fails with LockHeld when another executor holds the cluster.
 */
export const runRollout = Effect.fn("runRollout")(function* (
  input: InvocationInput & { readonly policy: RolloutPolicy },
) {
  const policy = validatePolicy(input.policy)
  if (Result.isFailure(policy)) return yield* policy.failure
  return yield* withClusterLock(lockInput(input), (invocation) => startOrResume(invocation, policy.success))
})

/** Runs `use` on the cluster's open run under its lock; `NoOpenRun` when there is none (nothing is started). */
const withOpenRun = <A, E, R>(
  input: InvocationInput,
  use: (invocation: Invocation, runId: string) => Effect.Effect<A, E, R>,
) =>
  withClusterLock(lockInput(input), (invocation) =>
    Effect.gen(function* () {
      const open = yield* openRunOf(invocation)
      if (open === undefined) return yield* new NoOpenRun({ clusterName: input.clusterName })
      return yield* use(invocation, open.runId)
    }),
  )

/**
 * Continues the cluster's open run (suspended, interrupted or killed) from its log, under the policy and
 * target image it started with: no AMI source is asked. `NoOpenRun` when there is none; it never starts a run.
 */
export const resumeRun = Effect.fn("resumeRun")(function* (input: InvocationInput) {
  return yield* withOpenRun(input, (invocation, runId) => resume(invocation, runId))
})

/** Rolls back the cluster's open run: records the request with `reason`, then drives the rollback to its end. */
export const rollbackRun = Effect.fn("rollbackRun")(function* (
  input: InvocationInput & { readonly reason: string },
) {
  return yield* withOpenRun(input, (invocation, runId) => resumeRollingBack(invocation, runId, input.reason))
})

/**
 * Observes the cluster as the executor would; with an open run, against that run's target image.
 * `terminationProtection` asks EC2 which old members are termination protected (detach mode's plan).
 */
export const observeCluster = Effect.fn("observeCluster")(function* (
  clusterName: string,
  options: { readonly terminationProtection?: boolean } = {},
) {
  const open = yield* openRunOf(yield* clusterRefOf(clusterName))
  const state =
    open === undefined
      ? initialState
      : (yield* EventLog.use((log) => log.load(open.runId))).reduce(evolve, initialState)
  const now = yield* Clock.currentTimeMillis
  return yield* observeSnapshot(clusterName, {
    budgetEnd: now + defaultExecutorSettings.stepBudgetMs,
    ...options,
    ...(state._tag === "Running" ? { targetImage: state.run.targetImage, runGroups: state.run.groups } : {}),
  })
})
