/**
 * Run status for the CLI and the library: the cluster's open run (or its latest), its folded state,
 * and progress per group read from the log — how many of the run's old instances were drained and
 * terminated so far, and how many commands succeeded, failed or have no recorded outcome — and who
 * holds the cluster's lock and until when.
 */
import { Effect } from "effect"
import type { Command, CommandTag, Phase, RunEvent } from "@ecs-ami-deploy/domain"
import { EventLog, type Lease, type RunSummary } from "@ecs-ami-deploy/ports"
import { evolve, initialState, type RunState } from "@ecs-ami-deploy/planner"
import { clusterRefOf } from "./cluster-ref.ts"

export interface GroupProgress {
  readonly asgName: string
  readonly oldInstances: number
  readonly drained: number
  readonly terminated: number
}

export interface RunProgress {
  /** The phase of the latest recorded step (waits are not recorded: a run proving new capacity shows `launching`). */
  readonly phase: Phase
  readonly groups: ReadonlyArray<GroupProgress>
  readonly commands: { readonly succeeded: number; readonly failed: number; readonly outcomeUnknown: number }
  /** Set once the run is rolling back (or rolled back): why. */
  readonly rollbackReason?: string
}

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

const phaseOfCommand: Record<CommandTag, Phase> = {
  TagInstances: "preparing",
  SuspendProcesses: "preparing",
  UpdateLaunchSpec: "preparing",
  SetCapacity: "launching",
  DetachInstances: "launching",
  AttachInstances: "rolling-back",
  DrainInstances: "draining",
  StopTasks: "draining",
  TerminateInstances: "terminating",
  ResumeProcesses: "cleaning-up",
  CleanupLaunchSpecs: "cleaning-up",
  RestoreLaunchSpec: "rolling-back",
  ActivateInstances: "rolling-back",
}

/** Progress of a run from its events: each command counts by its latest outcome. */
export const progressOf = (events: ReadonlyArray<RunEvent>): RunProgress => {
  const commands = new Map<string, { command: Command; outcome: "succeeded" | "failed" | "unknown" }>()
  let groups: ReadonlyArray<{ readonly asgName: string; readonly oldInstanceIds: ReadonlyArray<string> }> = []
  let rollbackReason: string | undefined
  let phase: Phase = "preparing"
  for (const event of events) {
    if (event._tag === "RunStarted") groups = event.groups
    if (event._tag === "RollbackStarted") {
      rollbackReason ??= event.reason
      phase = "rolling-back"
    }
    if (event._tag === "RunFinished") phase = "finished"
    if (event._tag === "CommandIssued") {
      commands.set(event.command.id, { command: event.command, outcome: "unknown" })
      phase = rollbackReason === undefined ? phaseOfCommand[event.command._tag] : "rolling-back"
    }
    if (event._tag === "CommandSucceeded" || event._tag === "CommandFailed") {
      const record = commands.get(event.commandId)
      if (record !== undefined) record.outcome = event._tag === "CommandSucceeded" ? "succeeded" : "failed"
    }
  }
  const records = [...commands.values()]
  const touched = (tag: "DrainInstances" | "TerminateInstances") =>
    new Set(
      records.flatMap((record) =>
        record.outcome === "succeeded" && record.command._tag === tag ? record.command.instanceIds : [],
      ),
    )
  const drained = touched("DrainInstances")
  const terminated = touched("TerminateInstances")
  const count = (outcome: "succeeded" | "failed" | "unknown") =>
    records.filter((record) => record.outcome === outcome).length
  return {
    phase,
    groups: groups.map((group) => ({
      asgName: group.asgName,
      oldInstances: group.oldInstanceIds.length,
      drained: group.oldInstanceIds.filter((id) => drained.has(id)).length,
      terminated: group.oldInstanceIds.filter((id) => terminated.has(id)).length,
    })),
    commands: { succeeded: count("succeeded"), failed: count("failed"), outcomeUnknown: count("unknown") },
    ...(rollbackReason === undefined ? {} : { rollbackReason }),
  }
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
  return { _tag: "Run", summary, state, progress: progressOf(events), lock } satisfies RunStatus as RunStatus
})
