/**
 * The ids of the commands a run issues. Every id is derived from the group and the wave or round
 * (`drain:<asg>:w<k>`), so deciding twice on the same inputs yields the same commands, and an id
 * recorded in an event log is found again when the run resumes.
 */
/** Ids of the commands a run issues; stable for a group and wave. */
export const commandIds = {
  tag: (asg: string) => `tag-old:${asg}`,
  suspend: (asg: string) => `suspend:${asg}`,
  launchSpec: (asg: string) => `launch-spec:${asg}`,
  capacity: (asg: string, wave: number) => `capacity:${asg}:w${wave}`,
  detach: (asg: string, wave: number) => `detach:${asg}:w${wave}`,
  drain: (asg: string, wave: number) => `drain:${asg}:w${wave}`,
  stopTasks: (asg: string, wave: number) => `stop-tasks:${asg}:w${wave}`,
  stopStalled: (asg: string, wave: number) => `stop-stalled:${asg}:w${wave}`,
  terminate: (asg: string, wave: number) => `terminate:${asg}:w${wave}`,
  balance: (asg: string, round: number) => `balance-capacity:${asg}:r${round}`,
  trimDrain: (asg: string, round: number) => `trim-drain:${asg}:r${round}`,
  trimTerminate: (asg: string, round: number) => `trim-terminate:${asg}:r${round}`,
  restoreCapacity: (asg: string) => `restore-capacity:${asg}`,
  resume: (asg: string) => `resume:${asg}`,
  cleanup: (asg: string) => `cleanup:${asg}`,
  restoreSpec: (asg: string) => `rollback-launch-spec:${asg}`,
  activate: (asg: string) => `rollback-activate:${asg}`,
  rollbackAttachMaxSize: (asg: string) => `rollback-attach-max-size:${asg}`,
  rollbackAttach: (asg: string) => `rollback-attach:${asg}`,
  removeNew: (asg: string) => `rollback-terminate-new:${asg}`,
  rollbackMinSize: (asg: string) => `rollback-min-size:${asg}`,
  rollbackCapacity: (asg: string) => `rollback-capacity:${asg}`,
  rollbackResume: (asg: string) => `rollback-resume:${asg}`,
  rollbackTrimDrain: (asg: string, round: number) => `rollback-trim-drain:${asg}:r${round}`,
  rollbackTrimTerminate: (asg: string, round: number) => `rollback-trim-terminate:${asg}:r${round}`,
  rollbackBalance: (asg: string, round: number) => `rollback-balance-capacity:${asg}:r${round}`,
  adoptCapacity: (asg: string, n: number) => `adopt-capacity:${asg}:n${n}`,
} as const

/** Rollback's own commands: every id it issues starts with `rollback-` (see `commandIds`). */
export const isRollbackCommand = (id: string): boolean => id.startsWith("rollback-")
