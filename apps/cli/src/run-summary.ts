/**
 * The summary a rollout invocation ends with: how long the run has taken so far, how many of its old
 * instances were replaced, which instances it left and why, the extra capacity it asked for, and the
 * AWS requests this invocation sent. It is folded from the run's whole event log, so a resumed run is
 * summarised from its start, not from the resume.
 */
import type { RunEvent, RunOutcome } from "@ecs-ami-deploy/domain"
import { formatDuration } from "@ecs-ami-deploy/domain"
import { evolve, initialState, progressOf } from "ecs-ami-deploy"
import { inFlagTerms } from "./text.ts"

export interface SkippedInstance {
  readonly instanceId: string
  readonly reason: string
}

export interface RunSummary {
  readonly runId: string
  /** From the run's start to its last event, on the run's clock. */
  readonly durationMs: number
  readonly oldInstances: number
  readonly replaced: number
  /** Instances the run leaves on their image, each with why. */
  readonly skipped: ReadonlyArray<SkippedInstance>
  /** The most instances asked for above a group's desired count at the start. */
  readonly peakExtraInstances: number
  /** Requests this invocation sent to AWS (simulated ones under --simulator), when the target counts them. */
  readonly awsRequests: number | undefined
}

/**
 * Why an old instance the run did not terminate is not counted as replaced, once the run ended
 * `outcome`: after a success (the fleet audit allows no old member but those the policy keeps) it was
 * kept for its standalone tasks under `--standalone-tasks skip-instance`, or else it went by other
 * hands: another actor's scale-in, a Spot loss, EC2. After any other end the result's own message
 * lists the fleet, and a suspended run is not done yet.
 */
const leftReason = (
  outcome: RunOutcome | "suspended",
  standaloneTasks: string | undefined,
): string | undefined =>
  outcome !== "succeeded"
    ? undefined
    : standaloneTasks === "skip-instance"
      ? "standalone tasks run there (--standalone-tasks skip-instance)"
      : "terminated by other hands (another actor's scale-in, a Spot loss, EC2), not by this run"

/** Folds a run's events into its summary; `skippedAtStart` are the instances the plan left out, with reasons. */
export const summarizeRun = (
  events: ReadonlyArray<RunEvent>,
  options: {
    readonly skippedAtStart?: ReadonlyArray<SkippedInstance>
    readonly awsRequests: number | undefined
  },
): RunSummary => {
  const state = events.reduce(evolve, initialState)
  const progress = progressOf(state)
  const outcome = state._tag === "Finished" ? state.outcome : "suspended"
  const reason = leftReason(outcome, state._tag === "NoRun" ? undefined : state.run.policy.standaloneTasks)
  const instances = progress.groups.flatMap((group) => group.instances)
  const left =
    reason === undefined
      ? []
      : instances
          .filter((instance) => instance.step !== "replaced")
          .map(({ instanceId }) => ({ instanceId, reason }))
  const startedAt = state._tag === "NoRun" ? events[0]?.at : state.run.startedAt
  const lastAt = events.at(-1)?.at
  return {
    runId: events[0]?.runId ?? "",
    durationMs: startedAt === undefined || lastAt === undefined ? 0 : lastAt - startedAt,
    oldInstances: instances.length,
    replaced: instances.filter((instance) => instance.step === "replaced").length,
    skipped: [...(options.skippedAtStart ?? []), ...left],
    peakExtraInstances: progress.peakExtraInstances,
    awsRequests: options.awsRequests,
  }
}

const row = (label: string, value: string) => `  ${label.padEnd(16)}${value}`

/** The summary as text lines; `moreRows` are figures a caller adds (label, value), aligned with the rest. */
export const summaryLines = (
  summary: RunSummary,
  moreRows: ReadonlyArray<readonly [string, string]> = [],
): ReadonlyArray<string> => [
  `summary of run ${summary.runId}`,
  row("duration", formatDuration(summary.durationMs)),
  row("replaced", `${summary.replaced} of ${summary.oldInstances} old instance(s)`),
  ...(summary.skipped.length === 0
    ? [row("skipped", "none")]
    : summary.skipped.map((skip, index) =>
        row(index === 0 ? "skipped" : "", `${skip.instanceId}: ${inFlagTerms(skip.reason)}`),
      )),
  row(
    "extra capacity",
    summary.peakExtraInstances === 0
      ? "none asked for"
      : `up to +${summary.peakExtraInstances} instance(s) above a group's desired count`,
  ),
  ...(summary.awsRequests === undefined
    ? []
    : [row("AWS requests", `${summary.awsRequests} (this invocation)`)]),
  ...moreRows.map(([label, value]) => row(label, value)),
]
