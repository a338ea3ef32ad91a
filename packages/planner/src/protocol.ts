/**
 * The decider's two questions, each typed by the answers it can give. Before a run (`decideStart`):
 * start it, wait (a scale-out under way), nothing to do, or refuse. During a run (`decideNext`): act,
 * wait, roll back or finish — and a wait on a drain carries the notes the executor records (the
 * standalone tasks holding it up). Starting is resuming an empty log: the executor asks `decideStart`
 * while the run's folded state is `NoRun` and `decideNext` once it is `Running`, so it needs no
 * branch for an answer that cannot come.
 */
import type { ClusterSnapshot, Decision, RolloutPolicy } from "@ecs-ami-deploy/domain"
import { decide } from "./decide.ts"
import { standaloneBlockerNotes } from "./drain-blockers.ts"
import { initialState, type RunState } from "./state.ts"

export type StartDecision = Extract<Decision, { readonly _tag: "NothingToDo" | "Refuse" | "Start" | "Wait" }>
export type NextDecision = Extract<Decision, { readonly _tag: "Act" | "Wait" | "RollBack" | "Finish" }>

/** An answer outside its question's: a defect of the planner, never a condition of the world. */
const outOfProtocol = (question: string, decision: Decision): never => {
  throw new Error(`the planner answered ${decision._tag} to ${question}`)
}

/** What to do about a cluster with no open run, under `policy`, at `now`. */
export const decideStart = (snapshot: ClusterSnapshot, policy: RolloutPolicy, now: number): StartDecision => {
  const decision = decide(initialState, snapshot, policy, now)
  switch (decision._tag) {
    case "NothingToDo":
    case "Refuse":
    case "Start":
    case "Wait":
      return decision
    default:
      return outOfProtocol("decideStart", decision)
  }
}

/** The next step of an open run, under the policy it started with, at `now`. */
export const decideNext = (
  running: Extract<RunState, { _tag: "Running" }>,
  snapshot: ClusterSnapshot,
  now: number,
): NextDecision => {
  const decision = decide(running, snapshot, running.run.policy, now)
  switch (decision._tag) {
    case "Act":
    case "RollBack":
    case "Finish":
      return decision
    case "Wait": {
      const notes = decision.phase === "draining" ? standaloneBlockerNotes(snapshot, running.run) : []
      return notes.length === 0 ? decision : { ...decision, notes }
    }
    default:
      return outOfProtocol("decideNext", decision)
  }
}
