/**
 * Per-group progress of an open run, kept by `evolve` as commands are issued and their outcomes
 * recorded: for each wave of a group (and each round of its surplus removal, by the end game or by
 * rollback), the instances it took and whether its terminate succeeded. `decide` reads where a group
 * is from here instead of probing command ids; the structured id (command-ids.ts) says which group,
 * step and number a command belongs to.
 */
import { HashMap } from "effect"
import type { Command } from "@ecs-ami-deploy/domain"
import { parseCommandId } from "./command-ids.ts"
import type { CommandRecord } from "./state.ts"

/**
 * One wave or round: the instances its detach, its drain and its drain's extension took (latest
 * intent), and whether its terminate succeeded.
 */
export interface StepProgress {
  readonly detached?: ReadonlyArray<string>
  readonly drained?: ReadonlyArray<string>
  readonly extended?: ReadonlyArray<string>
  readonly terminated: boolean
}

/** Which surplus removal a round belongs to: the end game's, or rollback's. */
export type RoundScope = "rollout" | "rollback"

/** What the log says about one group's waves and rounds, by number. */
export interface GroupProgress {
  readonly waves: ReadonlyMap<number, StepProgress>
  readonly rounds: ReadonlyMap<number, StepProgress>
  readonly rollbackRounds: ReadonlyMap<number, StepProgress>
}

const noProgress: GroupProgress = { waves: new Map(), rounds: new Map(), rollbackRounds: new Map() }
const notStarted: StepProgress = { terminated: false }

/** The instances a detach or drain took; `undefined` for another command. */
const membersOf = (command: Command): ReadonlyArray<string> | undefined =>
  command._tag === "DrainInstances" || command._tag === "DetachInstances" ? command.instanceIds : undefined

const withStep = (
  steps: ReadonlyMap<number, StepProgress>,
  n: number,
  update: (step: StepProgress) => StepProgress,
): ReadonlyMap<number, StepProgress> => new Map(steps).set(n, update(steps.get(n) ?? notStarted))

/** How a command's latest record changes its wave or round, by the step its id names. */
const stepUpdate = (
  step: string,
  record: CommandRecord,
): ((progress: StepProgress) => StepProgress) | undefined => {
  const members = membersOf(record.command)
  switch (step) {
    case "detach":
      return ({ detached: _, ...rest }) => (members === undefined ? rest : { ...rest, detached: members })
    case "drain":
    case "trim-drain":
      return ({ drained: _, ...rest }) => (members === undefined ? rest : { ...rest, drained: members })
    case "extend-drain":
    case "trim-extend":
      return ({ extended: _, ...rest }) => (members === undefined ? rest : { ...rest, extended: members })
    case "terminate":
    case "trim-terminate":
      return (progress) => ({ ...progress, terminated: record.outcome === "succeeded" })
    default:
      return undefined
  }
}

/** The groups' progress once the record of `commandId` is `record` (issued, succeeded or failed). */
export const trackProgress = (
  groups: HashMap.HashMap<string, GroupProgress>,
  commandId: string,
  record: CommandRecord,
): HashMap.HashMap<string, GroupProgress> => {
  const id = parseCommandId(commandId)
  if (id?.n === undefined) return groups
  const update = stepUpdate(id.step, record)
  if (update === undefined) return groups
  const n = id.n
  const progress = groupProgressIn(groups, id.asg)
  const next: GroupProgress =
    id.scope === "rollback"
      ? { ...progress, rollbackRounds: withStep(progress.rollbackRounds, n, update) }
      : id.step === "trim-drain" || id.step === "trim-extend" || id.step === "trim-terminate"
        ? { ...progress, rounds: withStep(progress.rounds, n, update) }
        : { ...progress, waves: withStep(progress.waves, n, update) }
  return HashMap.set(groups, id.asg, next)
}

/** A group's progress; none before its first wave. */
export const groupProgressIn = (
  groups: HashMap.HashMap<string, GroupProgress>,
  asgName: string,
): GroupProgress => {
  const found = HashMap.get(groups, asgName)
  return found._tag === "Some" ? found.value : noProgress
}
