/**
 * A run's progress, read from its folded state: the one model the executor's status, the CLI's live
 * view, summary and `status`, and the library show. The phase and wave of each step are the planner's
 * own, recorded on its `CommandIssued` event; a log recorded before they were kept falls back to the
 * phase its command's kind implies. Per group: how many of the run's old instances were drained and
 * terminated, and how far each got; per phase: its commands by outcome and when it acted.
 */
import { HashMap } from "effect"
import type { Command, CommandTag, Phase } from "@ecs-ami-deploy/domain"
import { waveSizeFor } from "./plan.ts"
import type { CommandRecord, RunState } from "./state.ts"

/** How far one old instance got. */
export type InstanceStep = "replaced" | "draining" | "to replace"

export interface GroupProgress {
  readonly asgName: string
  readonly oldInstances: number
  readonly drained: number
  readonly terminated: number
  /** Each old instance of the group and how far it got. */
  readonly instances: ReadonlyArray<{ readonly instanceId: string; readonly step: InstanceStep }>
}

/** Commands of one phase by outcome, and when the phase first and last acted. */
export interface PhaseProgress {
  readonly phase: Phase
  readonly succeeded: number
  readonly failed: number
  readonly inFlight: number
  readonly firstAt: number
  readonly lastAt: number
}

export interface RunProgress {
  /** The phase of the latest recorded step (waits are not recorded: a run proving new capacity shows its last command's). */
  readonly phase: Phase
  /** The highest wave a command that succeeded belongs to (0 before the first). */
  readonly wave: number
  /** Waves the run needs as the planner sized them at its start; waves are chosen against what fits, so a run may need more. */
  readonly estimatedWaves: number
  readonly groups: ReadonlyArray<GroupProgress>
  /** The most instances asked for above a group's desired capacity at the start. */
  readonly peakExtraInstances: number
  readonly commands: { readonly succeeded: number; readonly failed: number; readonly outcomeUnknown: number }
  /** Per phase, in the order the phases first acted. */
  readonly phases: ReadonlyArray<PhaseProgress>
  /** Set once the run is rolling back (or rolled back): why. */
  readonly rollbackReason?: string
}

/** The phase a command's kind implies: only for commands recorded before the phase was kept on the log. */
const phaseBeforeRecorded: Readonly<Record<CommandTag, Phase>> = {
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

type RunRollback = { readonly reason: string; readonly at: number } | undefined

const phaseOfRecord = (record: CommandRecord, rollback: RunRollback): Phase =>
  record.phase ??
  (rollback !== undefined && record.issuedAt >= rollback.at
    ? "rolling-back"
    : phaseBeforeRecorded[record.command._tag])

/** The wave a command belongs to; a log recorded before waves were kept knows it from the drain only. */
const waveOfRecord = (record: CommandRecord): number =>
  record.wave ?? (record.command._tag === "DrainInstances" ? record.command.wave : 0)

const noProgress: RunProgress = {
  phase: "preparing",
  wave: 0,
  estimatedWaves: 0,
  groups: [],
  peakExtraInstances: 0,
  commands: { succeeded: 0, failed: 0, outcomeUnknown: 0 },
  phases: [],
}

const instancesOf = (records: ReadonlyArray<CommandRecord>, tag: "DrainInstances" | "TerminateInstances") =>
  new Set(
    records.flatMap((record) =>
      record.outcome === "succeeded" && record.command._tag === tag ? record.command.instanceIds : [],
    ),
  )

const phasesOf = (
  records: ReadonlyArray<CommandRecord>,
  rollback: RunRollback,
): ReadonlyArray<PhaseProgress> => {
  const phases = new Map<Phase, PhaseProgress & { readonly firstSeq: number }>()
  for (const record of records) {
    const phase = phaseOfRecord(record, rollback)
    const lastAt =
      record.outcome === "unknown" ? record.issuedAt : Math.max(record.issuedAt, record.outcomeAt)
    const span = phases.get(phase) ?? {
      phase,
      succeeded: 0,
      failed: 0,
      inFlight: 0,
      firstAt: record.firstIssuedAt,
      lastAt,
      firstSeq: record.issuedSeq,
    }
    phases.set(phase, {
      ...span,
      succeeded: span.succeeded + (record.outcome === "succeeded" ? 1 : 0),
      failed: span.failed + (record.outcome === "failed" ? 1 : 0),
      inFlight: span.inFlight + (record.outcome === "unknown" ? 1 : 0),
      firstAt: Math.min(span.firstAt, record.firstIssuedAt),
      lastAt: Math.max(span.lastAt, lastAt),
      firstSeq: Math.min(span.firstSeq, record.issuedSeq),
    })
  }
  return [...phases.values()]
    .sort((a, b) => a.firstAt - b.firstAt || a.firstSeq - b.firstSeq)
    .map(({ firstSeq: _order, ...phase }) => phase)
}

/** Progress of a run from its folded state. */
export const progressOf = (state: RunState): RunProgress => {
  if (state._tag === "NoRun") return noProgress
  const { run, rollback } = state
  const records = [...HashMap.values(state.commands)].sort((a, b) => a.issuedSeq - b.issuedSeq)
  const latest = records.at(-1)
  const phase: Phase =
    state._tag === "Finished"
      ? "finished"
      : rollback !== undefined && (latest === undefined || latest.issuedAt < rollback.at)
        ? "rolling-back"
        : latest === undefined
          ? "preparing"
          : phaseOfRecord(latest, rollback)
  const drained = instancesOf(records, "DrainInstances")
  const terminated = instancesOf(records, "TerminateInstances")
  const desiredAtStart = new Map(run.groups.map((group) => [group.asgName, group.desiredCapacity]))
  const succeeded = records.filter((record) => record.outcome === "succeeded")
  const count = (outcome: CommandRecord["outcome"]) =>
    records.filter((record) => record.outcome === outcome).length
  return {
    phase,
    wave: Math.max(0, ...succeeded.map(waveOfRecord)),
    estimatedWaves: run.groups.reduce((sum, group) => {
      const old = group.oldInstanceIds.length
      return old === 0 ? sum : sum + Math.ceil(old / waveSizeFor(group.desiredCapacity, run.policy, old))
    }, 0),
    groups: run.groups.map((group) => ({
      asgName: group.asgName,
      oldInstances: group.oldInstanceIds.length,
      drained: group.oldInstanceIds.filter((id) => drained.has(id)).length,
      terminated: group.oldInstanceIds.filter((id) => terminated.has(id)).length,
      instances: group.oldInstanceIds.map((instanceId) => ({
        instanceId,
        step: terminated.has(instanceId) ? "replaced" : drained.has(instanceId) ? "draining" : "to replace",
      })),
    })),
    peakExtraInstances: Math.max(
      0,
      ...succeeded.map(({ command }: { readonly command: Command }) =>
        command._tag === "SetCapacity"
          ? command.desiredCapacity - (desiredAtStart.get(command.asgName) ?? command.desiredCapacity)
          : 0,
      ),
    ),
    commands: { succeeded: count("succeeded"), failed: count("failed"), outcomeUnknown: count("unknown") },
    phases: phasesOf(records, rollback),
    ...(rollback === undefined ? {} : { rollbackReason: rollback.reason }),
  }
}
