/**
 * The ids of the commands a run issues, built and read in one place. An id has a structured form
 * (`{ scope, step, asg, n }`: rollout or rollback, the step, the group, and the wave, round or count
 * the step is numbered by) and one canonical string form (`drain:<asg>:w<k>`,
 * `rollback-trim-drain:<asg>:r<k>`), which is what event logs record. Every id is derived from the
 * group and its number, so deciding twice on the same inputs yields the same commands, and an id
 * recorded in an event log is found again when the run resumes: the string forms must never change.
 */

/** What a step's number counts, as its string form writes it: waves (`w`), rounds (`r`), adopted changes (`n`). */
type Counter = "w" | "r" | "n"

/** The steps of a rollout, each with the counter it is numbered by (none: once per group). */
const rolloutSteps = {
  "tag-old": undefined,
  suspend: undefined,
  "launch-spec": undefined,
  capacity: "w",
  detach: "w",
  drain: "w",
  "extend-drain": "w",
  "stop-tasks": "w",
  "stop-stalled": "w",
  terminate: "w",
  "balance-capacity": "r",
  "trim-drain": "r",
  "trim-extend": "r",
  "trim-terminate": "r",
  "restore-capacity": undefined,
  resume: undefined,
  cleanup: undefined,
  "adopt-capacity": "n",
} as const satisfies Record<string, Counter | undefined>

/** The steps of a rollback; their string forms start with `rollback-`. */
const rollbackSteps = {
  "launch-spec": undefined,
  activate: undefined,
  "attach-max-size": undefined,
  attach: undefined,
  "terminate-new": undefined,
  "min-size": undefined,
  capacity: undefined,
  resume: undefined,
  "trim-drain": "r",
  "trim-extend": "r",
  "trim-terminate": "r",
  "balance-capacity": "r",
} as const satisfies Record<string, Counter | undefined>

/** A command id in structured form; `n` is the wave, round or count for a step numbered by one. */
export type CommandId =
  | {
      readonly scope: "rollout"
      readonly step: keyof typeof rolloutSteps
      readonly asg: string
      readonly n?: number
    }
  | {
      readonly scope: "rollback"
      readonly step: keyof typeof rollbackSteps
      readonly asg: string
      readonly n?: number
    }

const ROLLBACK_PREFIX = "rollback-"

const counterOf = (id: CommandId): Counter | undefined =>
  id.scope === "rollout" ? rolloutSteps[id.step] : rollbackSteps[id.step]

/** The canonical string form of a command id: what the event log records. */
export const formatCommandId = (id: CommandId): string => {
  const counter = counterOf(id)
  const prefix = id.scope === "rollback" ? `${ROLLBACK_PREFIX}${id.step}` : id.step
  return counter === undefined || id.n === undefined
    ? `${prefix}:${id.asg}`
    : `${prefix}:${id.asg}:${counter}${id.n}`
}

const isStepOf = <Steps extends object>(steps: Steps, step: string): step is Extract<keyof Steps, string> =>
  Object.hasOwn(steps, step)

/**
 * The structured form of a command id string, or `undefined` when no step of a run has that form.
 * A group name may contain `:`: the step comes before the first one, the counter after the last.
 */
export const parseCommandId = (text: string): CommandId | undefined => {
  const colon = text.indexOf(":")
  if (colon < 0) return undefined
  const prefix = text.slice(0, colon)
  const rest = text.slice(colon + 1)
  const rollbackStep = prefix.startsWith(ROLLBACK_PREFIX) ? prefix.slice(ROLLBACK_PREFIX.length) : undefined
  const id: CommandId | undefined =
    rollbackStep !== undefined && isStepOf(rollbackSteps, rollbackStep)
      ? { scope: "rollback", step: rollbackStep, asg: rest }
      : isStepOf(rolloutSteps, prefix)
        ? { scope: "rollout", step: prefix, asg: rest }
        : undefined
  if (id === undefined) return undefined
  const counter = counterOf(id)
  if (counter === undefined) return id
  const numbered = new RegExp(`^(.*):${counter}(\\d+)$`).exec(rest)
  return numbered === null ? undefined : { ...id, asg: numbered[1] ?? "", n: Number(numbered[2]) }
}

const rollout = (step: keyof typeof rolloutSteps, asg: string, n?: number): string =>
  formatCommandId(n === undefined ? { scope: "rollout", step, asg } : { scope: "rollout", step, asg, n })
const rollback = (step: keyof typeof rollbackSteps, asg: string, n?: number): string =>
  formatCommandId(n === undefined ? { scope: "rollback", step, asg } : { scope: "rollback", step, asg, n })

/** Ids of the commands a run issues; stable for a group and wave. */
export const commandIds = {
  tag: (asg: string) => rollout("tag-old", asg),
  suspend: (asg: string) => rollout("suspend", asg),
  launchSpec: (asg: string) => rollout("launch-spec", asg),
  capacity: (asg: string, wave: number) => rollout("capacity", asg, wave),
  detach: (asg: string, wave: number) => rollout("detach", asg, wave),
  drain: (asg: string, wave: number) => rollout("drain", asg, wave),
  extendDrain: (asg: string, wave: number) => rollout("extend-drain", asg, wave),
  stopTasks: (asg: string, wave: number) => rollout("stop-tasks", asg, wave),
  stopStalled: (asg: string, wave: number) => rollout("stop-stalled", asg, wave),
  terminate: (asg: string, wave: number) => rollout("terminate", asg, wave),
  balance: (asg: string, round: number) => rollout("balance-capacity", asg, round),
  trimDrain: (asg: string, round: number) => rollout("trim-drain", asg, round),
  trimExtend: (asg: string, round: number) => rollout("trim-extend", asg, round),
  trimTerminate: (asg: string, round: number) => rollout("trim-terminate", asg, round),
  restoreCapacity: (asg: string) => rollout("restore-capacity", asg),
  resume: (asg: string) => rollout("resume", asg),
  cleanup: (asg: string) => rollout("cleanup", asg),
  restoreSpec: (asg: string) => rollback("launch-spec", asg),
  activate: (asg: string) => rollback("activate", asg),
  rollbackAttachMaxSize: (asg: string) => rollback("attach-max-size", asg),
  rollbackAttach: (asg: string) => rollback("attach", asg),
  removeNew: (asg: string) => rollback("terminate-new", asg),
  rollbackMinSize: (asg: string) => rollback("min-size", asg),
  rollbackCapacity: (asg: string) => rollback("capacity", asg),
  rollbackResume: (asg: string) => rollback("resume", asg),
  rollbackTrimDrain: (asg: string, round: number) => rollback("trim-drain", asg, round),
  rollbackTrimExtend: (asg: string, round: number) => rollback("trim-extend", asg, round),
  rollbackTrimTerminate: (asg: string, round: number) => rollback("trim-terminate", asg, round),
  rollbackBalance: (asg: string, round: number) => rollback("balance-capacity", asg, round),
  adoptCapacity: (asg: string, n: number) => rollout("adopt-capacity", asg, n),
} as const

/** Rollback's own commands (see `rollbackSteps`). */
export const isRollbackCommand = (id: string): boolean => parseCommandId(id)?.scope === "rollback"
