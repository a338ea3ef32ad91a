/**
 * What the planner's `decide` returns: start a run, act, wait, roll back, finish, or refuse — always
 * with a reason. It lives in the domain so the executor and the planner agree on it without the
 * executor reaching into the planner's internals.
 */
import { Schema } from "effect"
import type { Command } from "./commands.ts"
import type { GroupAtStart, RunOutcome } from "./events.ts"
import type { Image } from "./snapshot.ts"

/** The phase of a run a step belongs to; the planner names it, the log records it, progress reads it. */
export const Phase = Schema.Literals([
  "preparing",
  "launching",
  "proving",
  "draining",
  "terminating",
  "restoring",
  "cleaning-up",
  "rolling-back",
  "finished",
])
export type Phase = typeof Phase.Type

export type Decision =
  /** No open run and nothing outdated (or a run is not allowed to start): no run is created. */
  | { readonly _tag: "NothingToDo"; readonly reason: string }
  /** No open run and the plan is unsafe under the policy: refuse, naming each problem and its fix. */
  | {
      readonly _tag: "Refuse"
      readonly problems: ReadonlyArray<{ readonly problem: string; readonly fix: string }>
    }
  /** Begin a run: the executor records `RunStarted` with these facts. */
  | {
      readonly _tag: "Start"
      readonly targetImage: Image
      readonly groups: ReadonlyArray<GroupAtStart>
      readonly reason: string
      /** Replica services below their healthy floor now, before the run touches anything. */
      readonly servicesBelowFloorAtStart: ReadonlyArray<string>
      /** The planner behaviour the run starts under: recorded in `RunStarted.deciderVersion`. */
      readonly deciderVersion: number
    }
  | {
      readonly _tag: "Act"
      readonly phase: Phase
      readonly commands: ReadonlyArray<Command>
      /** The wave of its group these commands belong to, when they belong to one. */
      readonly wave?: number
    }
  /** Nothing to issue now; re-observe after the poll interval. `deadline` is when the planner will give up waiting. */
  | { readonly _tag: "Wait"; readonly phase: Phase; readonly reason: string; readonly deadline: number }
  | { readonly _tag: "RollBack"; readonly reason: string }
  | { readonly _tag: "Finish"; readonly outcome: RunOutcome; readonly reason: string }
