/**
 * The run state the decider folds from the event log: which run is open, what it recorded when it
 * started (the facts rollback restores), and what happened to every command it issued. Resume is
 * nothing special: load the log, fold it with `evolve` from `initialState`, observe, decide.
 * Command records live in a persistent HashMap so folding a long log stays linear.
 */
import { HashMap } from "effect"
import type {
  Command,
  GateAction,
  GateFailure,
  GroupAtStart,
  Phase,
  Image,
  RolloutPolicy,
  RunEvent,
  RunOutcome,
  ServiceHealthAtStart,
} from "@ecs-ami-deploy/domain"
import { trackProgress, type GroupProgress } from "./group-progress.ts"

/** What the log says about one command id: its latest intent and its outcome, if any. */
export interface CommandRecord {
  readonly command: Command
  readonly issuedAt: number
  /** When its first intent was recorded. */
  readonly firstIssuedAt: number
  /** The log sequence number of its latest intent: orders commands issued within the same millisecond. */
  readonly issuedSeq: number
  readonly attempts: number
  readonly outcome: "unknown" | "succeeded" | "failed"
  /** When the latest outcome was recorded (the clock that deadlines after a command start from). */
  readonly outcomeAt: number
  readonly failures: number
  readonly lastFailure?: { readonly errorTag: string; readonly message: string; readonly retryable: boolean }
  /** What a launch-spec command reported the group used before it (for rollback). */
  readonly launchSpecBefore?: GroupAtStart["launchSpec"]
  /** The phase and wave its latest intent recorded (absent in logs recorded before they were kept). */
  readonly phase?: Phase
  readonly wave?: number
}

/** The facts of an open (or finished) run. */
export interface RunFacts {
  readonly runId: string
  readonly clusterName: string
  readonly startedAt: number
  readonly policy: RolloutPolicy
  readonly targetImage: Image
  readonly groups: ReadonlyArray<GroupAtStart>
  /** Replica services already below their healthy floor when the run started. */
  readonly servicesBelowFloorAtStart: ReadonlyArray<string>
  /** The planner behaviour the run started under (see decider-version.ts); 1 when the log predates it. */
  readonly deciderVersion: number
  /** Each service's deployment failures at the start (absent in runs recorded before the service gate). */
  readonly serviceHealthAtStart?: ReadonlyArray<ServiceHealthAtStart>
}

/** A checkpoint the run reached: paused until `resumesAt`, or until `continuedAt` (a `continue`). */
export interface CheckpointRecord {
  readonly percent: number
  readonly at: number
  readonly replaced: number
  readonly of: number
  readonly resumesAt?: number
  readonly continuedAt?: number
}

/** The folded state of a cluster's run log: no run, a running run, or a finished one. */
export type RunState =
  /** No run has started in this log. */
  | { readonly _tag: "NoRun"; readonly lastSeq: number }
  | {
      readonly _tag: "Running"
      readonly run: RunFacts
      readonly commands: HashMap.HashMap<string, CommandRecord>
      /** Each group's waves and rounds so far, by group name (group-progress.ts). */
      readonly groupProgress: HashMap.HashMap<string, GroupProgress>
      /** Set once RollbackStarted is folded: from then on decide only restores. */
      readonly rollback?: { readonly reason: string; readonly at: number }
      /** Set once GateFailed is folded: the gate that stopped the run and what it does about it. */
      readonly gate?: { readonly failure: GateFailure; readonly action: GateAction }
      /** The checkpoints reached so far, in order. */
      readonly checkpoints?: ReadonlyArray<CheckpointRecord>
      readonly lastSeq: number
    }
  | {
      readonly _tag: "Finished"
      readonly run: RunFacts
      /** What the run did, kept from its running state for progress and status. */
      readonly commands: HashMap.HashMap<string, CommandRecord>
      readonly rollback?: { readonly reason: string; readonly at: number }
      readonly outcome: RunOutcome
      readonly reason: string
      readonly lastSeq: number
    }

/** The state before any event: no run. */
export const initialState: RunState = { _tag: "NoRun", lastSeq: -1 }

const updateCommand = (
  state: Extract<RunState, { _tag: "Running" }>,
  commandId: string,
  update: (record: CommandRecord) => CommandRecord,
): RunState => {
  const existing = HashMap.get(state.commands, commandId)
  // An outcome for a command never issued in this log cannot be attributed; keep the state as it is.
  if (existing._tag === "None") return state
  return withRecord(state, commandId, update(existing.value))
}

/** The state with `record` as the latest of `commandId`, and the group progress it makes. */
const withRecord = (
  state: Extract<RunState, { _tag: "Running" }>,
  commandId: string,
  record: CommandRecord,
): RunState => ({
  ...state,
  commands: HashMap.set(state.commands, commandId, record),
  groupProgress: trackProgress(state.groupProgress, commandId, record),
})

/** Folds one event. Events of another run, or after the run finished, leave the state unchanged except the sequence. */
export const evolve = (state: RunState, event: RunEvent): RunState => {
  const withSeq = <S extends RunState>(s: S): S => ({ ...s, lastSeq: event.seq })
  switch (event._tag) {
    case "RunStarted":
      return {
        _tag: "Running",
        run: {
          runId: event.runId,
          clusterName: event.clusterName,
          startedAt: event.at,
          policy: event.policy,
          targetImage: event.targetImage,
          groups: event.groups,
          servicesBelowFloorAtStart: event.servicesBelowFloorAtStart ?? [],
          ...(event.serviceHealthAtStart === undefined
            ? {}
            : { serviceHealthAtStart: event.serviceHealthAtStart }),
          deciderVersion: event.deciderVersion ?? 1,
        },
        commands: HashMap.empty(),
        groupProgress: HashMap.empty(),
        lastSeq: event.seq,
      }
    case "LeaseAcquired":
    case "RunSuspended":
    case "Noted":
      return withSeq(state)
    case "CommandIssued": {
      if (state._tag !== "Running" || event.runId !== state.run.runId) return withSeq(state)
      const found = HashMap.get(state.commands, event.command.id)
      const previous = found._tag === "Some" ? found.value : undefined
      // A re-issue keeps what earlier attempts recorded, but its phase and wave are its own.
      const record: CommandRecord = {
        command: event.command,
        issuedAt: event.at,
        firstIssuedAt: previous?.firstIssuedAt ?? event.at,
        issuedSeq: event.seq,
        attempts: (previous?.attempts ?? 0) + 1,
        outcome: "unknown",
        outcomeAt: previous?.outcomeAt ?? event.at,
        failures: previous?.failures ?? 0,
        ...(previous?.lastFailure === undefined ? {} : { lastFailure: previous.lastFailure }),
        ...(previous?.launchSpecBefore === undefined ? {} : { launchSpecBefore: previous.launchSpecBefore }),
        ...(event.phase === undefined ? {} : { phase: event.phase }),
        ...(event.wave === undefined ? {} : { wave: event.wave }),
      }
      return withSeq(withRecord(state, event.command.id, record))
    }
    case "CommandSucceeded": {
      if (state._tag !== "Running" || event.runId !== state.run.runId) return withSeq(state)
      return withSeq(
        updateCommand(state, event.commandId, (record) => ({
          ...record,
          outcome: "succeeded",
          outcomeAt: event.at,
          ...(event.launchSpecBefore === undefined ? {} : { launchSpecBefore: event.launchSpecBefore }),
        })),
      )
    }
    case "CommandFailed": {
      if (state._tag !== "Running" || event.runId !== state.run.runId) return withSeq(state)
      return withSeq(
        updateCommand(state, event.commandId, (record) => ({
          ...record,
          outcome: "failed",
          outcomeAt: event.at,
          failures: record.failures + 1,
          lastFailure: { errorTag: event.errorTag, message: event.message, retryable: event.retryable },
        })),
      )
    }
    case "RollbackStarted":
      if (state._tag !== "Running" || state.rollback !== undefined) return withSeq(state)
      return withSeq({ ...state, rollback: { reason: event.reason, at: event.at } })
    case "GateFailed":
      if (state._tag !== "Running" || state.gate !== undefined) return withSeq(state)
      return withSeq({ ...state, gate: { failure: event.gate, action: event.action } })
    case "CheckpointReached":
      if (state._tag !== "Running") return withSeq(state)
      return withSeq({
        ...state,
        checkpoints: [
          ...(state.checkpoints ?? []),
          {
            percent: event.percent,
            at: event.at,
            replaced: event.replaced,
            of: event.of,
            ...(event.resumesAt === undefined ? {} : { resumesAt: event.resumesAt }),
          },
        ],
      })
    case "CheckpointContinued": {
      const reached = state._tag === "Running" ? (state.checkpoints ?? []) : []
      const last = reached.at(-1)
      if (state._tag !== "Running" || last?.percent !== event.percent || last.continuedAt !== undefined)
        return withSeq(state)
      return withSeq({ ...state, checkpoints: [...reached.slice(0, -1), { ...last, continuedAt: event.at }] })
    }
    case "RunFinished":
      if (state._tag !== "Running") return withSeq(state)
      return {
        _tag: "Finished",
        run: state.run,
        commands: state.commands,
        ...(state.rollback === undefined ? {} : { rollback: state.rollback }),
        outcome: event.outcome,
        reason: event.reason,
        lastSeq: event.seq,
      }
  }
}

/** The record of a command id in an open run, if it was ever issued. */
export const commandRecord = (
  state: Extract<RunState, { _tag: "Running" }>,
  commandId: string,
): CommandRecord | undefined => {
  const found = HashMap.get(state.commands, commandId)
  return found._tag === "Some" ? found.value : undefined
}
