/**
 * Why an invocation was interrupted, for the `RunSuspended` event the executor records when it stops
 * a run it still holds. A caller that interrupts on a signal provides its own holder and sets
 * `current` first (the CLI writes "interrupted by SIGHUP"); the default says only that the invocation
 * was interrupted.
 */
import { Context } from "effect"

export const StopReason = Context.Reference<{ current: string }>("@ecs-ami-deploy/executor/StopReason", {
  defaultValue: () => ({ current: "interrupted" }),
})
