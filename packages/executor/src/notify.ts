/**
 * How a run's milestones are announced: the `Notifier` hears that a run started, was suspended or
 * ended (with the verb for its outcome), and the run's end is recorded in its log first.
 */
import { Effect } from "effect"
import type { RunOutcome } from "@ecs-ami-deploy/domain"
import { Notifier, type RunNotification } from "@ecs-ami-deploy/ports"
import type { Invocation } from "./invocation.ts"
import type { Journal, Running } from "./journal.ts"

/** Tells the notifier one thing about the run. */
export const notify = (
  kind: RunNotification["kind"],
  invocation: Invocation,
  runId: string,
  subject: string,
  summary: string,
) =>
  Notifier.use((notifier) =>
    notifier.notify({ kind, clusterName: invocation.clusterName, runId, subject, summary }),
  )

/** The run in one phrase: how many instances in which groups, to which image. */
export const describeRun = (state: Running): string => {
  const oldInstances = state.run.groups.reduce((total, group) => total + group.oldInstanceIds.length, 0)
  const groups = state.run.groups.map((group) => group.asgName).join(", ")
  return `${oldInstances} instance(s) in ${state.run.groups.length} group(s) (${groups}) to ${state.run.targetImage.name} (${state.run.targetImage.imageId})`
}

/** Records that the run stops here for now (the next invocation resumes it) and says so. */
export const suspend = (invocation: Invocation, journal: Journal, reason: string) =>
  Effect.gen(function* () {
    yield* journal.append({ _tag: "RunSuspended", reason })
    yield* notify(
      "suspended",
      invocation,
      journal.runId,
      `Rollout on ${invocation.clusterName} suspended`,
      `${reason}; the next invocation resumes it`,
    )
    return { _tag: "Suspended", clusterName: invocation.clusterName, runId: journal.runId, reason } as const
  })

const outcomeVerb: Record<RunOutcome, string> = {
  succeeded: "succeeded",
  failed: "failed",
  "rolled-back": "was rolled back",
  incomplete: "ended incomplete (the fleet is mixed)",
  halted: "halted (the fleet is mixed)",
}

/** Records the run's end with its outcome and says so. */
export const finish = (invocation: Invocation, journal: Journal, outcome: RunOutcome, reason: string) =>
  Effect.gen(function* () {
    const before = yield* journal.state
    yield* journal.append({ _tag: "RunFinished", outcome, reason })
    const what = before._tag === "Running" ? describeRun(before) : "the run"
    const verb = outcomeVerb[outcome]
    yield* notify(
      outcome,
      invocation,
      journal.runId,
      `Rollout on ${invocation.clusterName} ${verb}`,
      `Rolling ${what} ${verb}: ${reason}`,
    )
    return {
      _tag: "Finished",
      clusterName: invocation.clusterName,
      runId: journal.runId,
      outcome,
      reason,
    } as const
  })
