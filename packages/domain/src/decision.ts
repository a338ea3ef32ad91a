/**
 * What the planner's `decide` returns: start a run, act, wait, roll back, finish, or refuse — always
 * with a reason. It lives in the domain so the executor and the planner agree on it without the
 * executor reaching into the planner's internals.
 */
import { Schema } from "effect"
import type { Command } from "./commands.ts"
import type { GroupAtStart, RunOutcome, ServiceHealthAtStart } from "./events.ts"
import type { GateAction, GateFailure } from "./gates.ts"
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
  "checkpoint",
  "rolling-back",
  "finished",
])
export type Phase = typeof Phase.Type

/** What a gate or a checkpoint asks of the executor (see gates.ts). */
export type GateStep =
  /** Record that the gate failed (GateFailed); the run then rolls back or halts, as `action` says. */
  | {
      readonly _tag: "Fail"
      readonly gate: GateFailure
      readonly action: GateAction
      readonly reason: string
    }
  /** Record that the run reached a checkpoint (CheckpointReached), pausing until `resumesAt` or a `continue`. */
  | {
      readonly _tag: "ReachCheckpoint"
      readonly percent: number
      readonly replaced: number
      readonly of: number
      readonly resumesAt?: number
      readonly reason: string
    }
  /** The run waits at a checkpoint for an explicit `continue`: suspend it and let go of the cluster. */
  | {
      readonly _tag: "AwaitContinue"
      readonly percent: number
      readonly since: number
      readonly reason: string
    }

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
      /** Each service's deployment failures now, for the service gate. */
      readonly serviceHealthAtStart?: ReadonlyArray<ServiceHealthAtStart>
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
  | {
      readonly _tag: "Wait"
      readonly phase: Phase
      readonly reason: string
      readonly deadline: number
      /** What the run's log should note while it waits (once per run each), e.g. a task holding a drain up. */
      readonly notes?: ReadonlyArray<{ readonly level: "info" | "warning"; readonly message: string }>
    }
  | { readonly _tag: "RollBack"; readonly reason: string }
  /** A gate failed or a checkpoint is reached: the executor records it (and suspends at a checkpoint awaiting `continue`). */
  | { readonly _tag: "Gate"; readonly step: GateStep }
  | { readonly _tag: "Finish"; readonly outcome: RunOutcome; readonly reason: string }
