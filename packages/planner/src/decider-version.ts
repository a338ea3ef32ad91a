/**
 * The decider version: which planner behaviour a run started under. An open run may be resumed by a
 * newer release, so a change that would make `decide` answer differently for a log already written
 * (a new step, a renamed command id, another wave size) must not apply to runs started before it —
 * as Temporal's patch flags keep a running workflow on the code path it started on. To make such a
 * change: raise `DECIDER_VERSION`, and guard the new behaviour with `decidesAsOf(run, <new version>)`
 * so older runs keep the old one; the replay fixtures (planner/test/replay.test.ts) fail when a
 * change reaches open runs unguarded. Runs recorded before the version was are version 1.
 */
import type { RunFacts } from "./state.ts"

/**
 * The planner behaviour a run started now runs under; recorded in `RunStarted.deciderVersion`.
 * 2: a new wave takes an old instance hosting a single task after the others of its zone (single-task-moves.ts).
 * 3: a surge wave (and a round removing surplus instances) keeps one task of each service with no floor
 *    running, and a wave extends its drain to the instances it kept out once those tasks run elsewhere
 *    (wave-extension.ts); waves stop at checkpoints (wave-size.ts); a wave's terminate never decrements
 *    below the capacity the run ends at.
 */
export const DECIDER_VERSION = 3

/** Whether `run` started under decider `version` or a later one: guards a behaviour change (see above). */
export const decidesAsOf = (run: Pick<RunFacts, "deciderVersion">, version: number): boolean =>
  run.deciderVersion >= version
