/**
 * Run status for the CLI and the library: the cluster's open run (or its latest), its folded state,
 * its progress (the planner's `progressOf`: phase, waves, old instances drained and terminated per
 * group, commands by outcome) and who holds the cluster's lock and until when.
 */
import { Effect } from "effect"
import { EventLog, type Lease, type RunSummary } from "@ecs-ami-deploy/ports"
import { evolve, initialState, progressOf, type RunProgress, type RunState } from "@ecs-ami-deploy/planner"
import { clusterRefOf } from "./cluster-ref.ts"

export type RunStatus =
  | { readonly _tag: "NoRuns"; readonly clusterName: string }
  | {
      readonly _tag: "Run"
      readonly summary: RunSummary
      readonly state: RunState
      readonly progress: RunProgress
      /** Who holds the cluster's lock and until when; `undefined` when nobody does (released, or never taken). */
      readonly lock: Lease | undefined
    }

/** The open run of the cluster, else its newest one, folded. */
export const runStatus = Effect.fn("runStatus")(function* (clusterName: string) {
  const eventLog = yield* EventLog
  const cluster = yield* clusterRefOf(clusterName)
  const runs = yield* eventLog.runs(cluster)
  const summary = runs.find((run) => run.status === "open") ?? runs[0]
  if (summary === undefined) return { _tag: "NoRuns", clusterName } satisfies RunStatus as RunStatus
  const events = yield* eventLog.load(summary.runId)
  const state = events.reduce(evolve, initialState)
  const lock = yield* eventLog.lock(cluster)
  return { _tag: "Run", summary, state, progress: progressOf(state), lock } satisfies RunStatus as RunStatus
})
