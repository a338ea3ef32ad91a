/**
 * The decider's `decide`: from the folded run state, a fresh snapshot, the policy and the time, the
 * one next step of a rollout. This module only dispatches by phase: before a run (start.ts); for an
 * open run, the failures that end it (run-failure.ts), gates (gates.ts), preparation (prepare.ts),
 * adopting capacity another actor set (capacity-drift.ts), then group by group one wave (wave.ts)
 * and the group's end game (settle.ts, surplus.ts), then the end of the run (finish.ts); once it
 * failed, rollback (rollback.ts). Every command id is derived from the group and wave
 * (command-ids.ts), so deciding twice on the same inputs yields the same commands; a command whose
 * outcome is unknown is re-emitted (same id, same content) only when its effect is not visible in the
 * snapshot, and a destructive command that succeeded is never emitted again.
 */
import { HashMap } from "effect"
import type { ClusterSnapshot, Command, Decision, RolloutPolicy } from "@ecs-ami-deploy/domain"
import { expectedDesired, withAdoptedChanges } from "./capacity-drift.ts"
import { indexCluster, type ClusterIndex } from "./cluster.ts"
import { commandIds, isRollbackCommand } from "./command-ids.ts"
import { act, failRun, type Context, type Running } from "./decide-context.ts"
import { finalize } from "./finish.ts"
import { truthfulFinish } from "./fleet-audit.ts"
import { decideGates } from "./gates.ts"
import { pastPreparation, prepare } from "./prepare.ts"
import { rollBack } from "./rollback.ts"
import { MAX_COMMAND_FAILURES, runFailure } from "./run-failure.ts"
import { decideBeforeRun } from "./start.ts"
import type { RunState } from "./state.ts"
import { replaceGroup } from "./wave.ts"

/** The next step of an open run; a Finish is checked against the fleet the snapshot shows (`truthfulFinish`). */
const decideRunning = (state: Running, snapshot: ClusterSnapshot, now: number): Decision => {
  const index = indexCluster(snapshot)
  const decision = decideOpenRun(state, index, now)
  return decision._tag === "Finish" ? truthfulFinish(state.run, index, decision) : decision
}

/**
 * Adopts a desired capacity another actor set mid-run (see capacity-drift.ts) instead of overwriting
 * it: the observed value becomes the group's start capacity for the rest of the run.
 */
const adoptCapacityChanges = (ctx: Context): ReadonlyArray<Command> =>
  ctx.run.groups.flatMap((g) => {
    const group = ctx.index.groupByName.get(g.asgName)
    const expected = expectedDesired(ctx.state, g)
    if (group === undefined || expected === undefined || group.desiredCapacity === expected) return []
    let adopted = 0
    for (const record of HashMap.values(ctx.state.commands))
      if (
        record.command._tag === "SetCapacity" &&
        record.command.asgName === g.asgName &&
        record.command.adoptsChangeBy !== undefined
      )
        adopted++
    return [
      {
        _tag: "SetCapacity",
        id: commandIds.adoptCapacity(g.asgName, adopted + 1),
        reason: `another actor set the desired capacity of ${g.asgName} to ${group.desiredCapacity} (this run had set ${expected}): the run keeps ${group.desiredCapacity} as the group's capacity, restores it at the end, and adds its own new instances on top`,
        asgName: g.asgName,
        desiredCapacity: group.desiredCapacity,
        minSize: group.minSize,
        maxSize: group.maxSize,
        adoptsChangeBy: group.desiredCapacity - g.desiredCapacity,
      },
    ]
  })

const decideOpenRun = (state: Running, index: ClusterIndex, now: number): Decision => {
  const ctx: Context = {
    state,
    run: withAdoptedChanges(state),
    policy: state.run.policy,
    index,
    now,
    oldIds: new Set(state.run.groups.flatMap((g) => g.oldInstanceIds)),
  }
  if (state.rollback !== undefined) {
    // Only rollback's own commands can fail the rollback; the failure that started it is its reason.
    for (const [id, record] of state.commands)
      if (
        isRollbackCommand(id) &&
        record.outcome === "failed" &&
        record.lastFailure !== undefined &&
        (!record.lastFailure.retryable || record.failures >= MAX_COMMAND_FAILURES)
      )
        return {
          _tag: "Finish",
          outcome: "failed",
          reason: `rollback command ${id} failed: ${record.lastFailure.errorTag}: ${record.lastFailure.message} (the rollback followed: ${state.rollback.reason})`,
        }
    return rollBack(ctx)
  }
  const failure = runFailure(ctx)
  if (failure !== undefined) return failRun(ctx, failure)
  const gated = decideGates(state, index, now)
  if (gated !== undefined) return gated
  const preparing = pastPreparation(ctx) ? [] : prepare(ctx)
  if (preparing.length > 0) return act("preparing", preparing)
  const adopting = adoptCapacityChanges(ctx)
  if (adopting.length > 0) return act("launching", adopting)
  for (const g of ctx.run.groups) {
    const decision = replaceGroup(ctx, g)
    if (decision !== undefined) return decision
  }
  return finalize(ctx)
}

/**
 * The next step of a rollout. Pure: the same state, snapshot, policy and time always give the same
 * decision. `policy` applies when no run is open; an open run keeps the policy it started with.
 */
export const decide = (
  state: RunState,
  snapshot: ClusterSnapshot,
  policy: RolloutPolicy,
  now: number,
): Decision => {
  if (state._tag === "Running") return decideRunning(state, snapshot, now)
  return decideBeforeRun(snapshot, policy, now)
}
