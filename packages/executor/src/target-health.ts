/**
 * The target health gate's reads, paid for only where the gate can change what the run does: a
 * forward run's decision to act (a wave, a termination, finishing) is taken again with the target
 * health of the load-balanced services that have a task on an instance the run launched — the
 * targets a new image can break — one DescribeTargetHealth request per target group. With a bake time
 * the run also reads them while it waits, at most once a GATE_CHECK_INTERVAL_MS (the run-loop wakes
 * that often then), so a bake is watched as alarms are. Before a run starts, and
 * on instances it did not launch, nothing is read: until a task lands on new capacity the new image
 * cannot have broken a target.
 */
import { Effect, Result } from "effect"
import type { ClusterSnapshot } from "@ecs-ami-deploy/domain"
import {
  decideNext,
  GATE_CHECK_INTERVAL_MS,
  type NextDecision,
  targetGroupsToWatch,
} from "@ecs-ami-deploy/planner"
import { LoadBalancing } from "@ecs-ami-deploy/ports"
import type { Running } from "./journal.ts"
import type { ObservationMemory } from "./observation-memory.ts"
import { isRetryable, retryTransient } from "./retry.ts"
import { phaseOf } from "./run-observer.ts"

/** Whether the gate reads target health before this decision is carried out. */
const targetHealthDue = (
  state: Running,
  decision: NextDecision,
  now: number,
  lastReadAt: number | undefined,
): boolean =>
  state.run.policy.targetHealthGate === true &&
  state.rollback === undefined &&
  state.gate === undefined &&
  (decision._tag === "Act" ||
    decision._tag === "Finish" ||
    (decision._tag === "Wait" &&
      state.run.policy.bakeTimeMs > 0 &&
      (lastReadAt === undefined || now - lastReadAt >= GATE_CHECK_INTERVAL_MS)))

/**
 * The next decision of a forward run with its target health gate: decided on the observation, then —
 * when due and some target group is watched — decided again with the target health read (or reused
 * with the observation's ECS side, see ObservationMemory).
 */
export const decideWithTargetHealth = (
  state: Running,
  observed: ClusterSnapshot,
  now: number,
  budgetEnd: number,
  memory: ObservationMemory,
) =>
  Effect.gen(function* () {
    const first = decideNext(state, observed, now)
    if (!targetHealthDue(state, first, now, memory.targetHealthReadAt))
      return { decision: first, snapshot: observed }
    const targetGroupArns = targetGroupsToWatch(observed, {
      oldInstanceIds: new Set(),
      targetImageId: state.run.targetImage.imageId,
      startedAt: state.run.startedAt,
    })
    if (targetGroupArns.length === 0) return { decision: first, snapshot: observed }
    const reused = memory.reusableTargetHealth(targetGroupArns)
    const read =
      reused === undefined
        ? yield* retryTransient(budgetEnd)(
            LoadBalancing.use((loadBalancing) => loadBalancing.describeTargetHealth(targetGroupArns)),
          ).pipe(Effect.result)
        : Result.succeed(reused)
    // Unreadable for now (throttled past the step's budget, a call that hung): the run does not act
    // without its gate, and reads again at the next poll, as an observation that fails is tried again.
    if (Result.isFailure(read)) {
      if (!isRetryable(read.failure)) return yield* read.failure
      const wait: NextDecision = {
        _tag: "Wait",
        phase: phaseOf(first),
        reason: `target health unreadable (${read.failure.message}); the run acts only once it is read`,
        deadline: now + state.run.policy.pollIntervalMs,
      }
      return { decision: wait, snapshot: observed }
    }
    const targetHealth = read.success
    memory.rememberTargetHealth(targetGroupArns, targetHealth, now)
    const snapshot: ClusterSnapshot = { ...observed, targetHealth }
    return { decision: decideNext(state, snapshot, now), snapshot }
  })
