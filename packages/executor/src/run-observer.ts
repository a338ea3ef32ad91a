/**
 * Progress hooks for the CLI and the library API. The run loop reports every event it appends and
 * every decision it acts on; by default nobody listens. Provide `RunObserver` to follow a run live.
 */
import { Context, Effect } from "effect"
import type { ClusterSnapshot, Decision, Phase, RunEvent } from "@ecs-ami-deploy/domain"
import type { RunState } from "@ecs-ami-deploy/planner"

/** What a decision was taken on, besides the run's log: the observation and the time (for replay fixtures). */
export interface DecisionBasis {
  readonly snapshot: ClusterSnapshot
  readonly now: number
}

export interface RunObserverShape {
  /** Called after an event is durably appended to the log, with the run's state folded up to it. */
  readonly eventAppended: (event: RunEvent, state: RunState) => Effect.Effect<void>
  /** Called with each decision of the planner, the phase it belongs to and its basis, before the loop acts on it. */
  readonly decided: (decision: Decision, phase: Phase, basis: DecisionBasis) => Effect.Effect<void>
}

/** The progress hook; its default ignores everything. */
export const RunObserver = Context.Reference<RunObserverShape>("@ecs-ami-deploy/executor/RunObserver", {
  defaultValue: () => ({ eventAppended: () => Effect.void, decided: () => Effect.void }),
})

/** The phase a decision belongs to, for progress displays. */
export const phaseOf = (decision: Decision): Phase => {
  switch (decision._tag) {
    case "Act":
    case "Wait":
      return decision.phase
    case "RollBack":
      return "rolling-back"
    case "Finish":
      return "finished"
    case "Start":
    case "NothingToDo":
    case "Refuse":
      return "preparing"
  }
}
