/**
 * Another actor changing a group's desired capacity mid-run (a person, a scaling policy, a scheduled
 * action): detected by comparing the group's desired capacity with the last value this run set, at
 * moments when that value is exactly known — the run's latest SetCapacity succeeded and no command
 * that moves desired capacity by a count (a terminate or detach that decrements it, an attach) came
 * at or after it, and no command of the group has an unknown outcome. The run then adopts the change
 * rather than overwrite it: a SetCapacity of the observed value carrying `adoptsChangeBy`, and from
 * then on the group's start capacity (what the run restores at its end, and sizes waves from) is
 * shifted by every adopted change.
 */
import { HashMap } from "effect"
import type { Command, GroupAtStart } from "@ecs-ami-deploy/domain"
import type { CommandRecord, RunFacts, RunState } from "./state.ts"

type Running = Extract<RunState, { _tag: "Running" }>

const groupOf = (command: Command): string | undefined => ("asgName" in command ? command.asgName : undefined)

/** Commands that move desired capacity by a count rather than to a value. */
const movesCapacityByCount = (command: Command): boolean =>
  (command._tag === "TerminateInstances" && command.decrementDesiredCapacity) ||
  (command._tag === "DetachInstances" && command.decrementDesiredCapacity) ||
  command._tag === "AttachInstances"

/**
 * The desired capacity the group should show if nobody else touched it, or `undefined` when the run
 * cannot know it exactly now (a command in flight or with an unknown outcome, a count-based change
 * after the last value set, or no value set yet since a count-based change).
 */
export const expectedDesired = (state: Running, g: GroupAtStart): number | undefined => {
  const records: Array<CommandRecord> = []
  for (const record of HashMap.values(state.commands))
    if (groupOf(record.command) === g.asgName && record.outcome !== "failed") records.push(record)
  if (records.some((record) => record.outcome !== "succeeded")) return undefined
  const lastSet = records
    .filter((record) => record.command._tag === "SetCapacity")
    .sort((a, b) => a.issuedSeq - b.issuedSeq)
    .at(-1)
  const countChanges = records.filter((record) => movesCapacityByCount(record.command))
  if (lastSet === undefined) return countChanges.length === 0 ? g.desiredCapacity : undefined
  if (countChanges.some((record) => record.issuedSeq > lastSet.issuedSeq)) return undefined
  return lastSet.command._tag === "SetCapacity" ? lastSet.command.desiredCapacity : undefined
}

/** The sum of the changes this run adopted for a group. */
const adoptedChange = (state: Running, asgName: string): number => {
  let change = 0
  for (const record of HashMap.values(state.commands))
    if (
      record.outcome === "succeeded" &&
      record.command._tag === "SetCapacity" &&
      record.command.asgName === asgName
    )
      change += record.command.adoptsChangeBy ?? 0
  return change
}

/** The run's facts with every adopted change applied to its groups' start capacity (never below min size). */
export const withAdoptedChanges = (state: Running): RunFacts => ({
  ...state.run,
  groups: state.run.groups.map((g) => {
    const change = adoptedChange(state, g.asgName)
    if (change === 0) return g
    const desiredCapacity = Math.max(g.minSize, g.desiredCapacity + change)
    return { ...g, desiredCapacity, maxSize: Math.max(g.maxSize, desiredCapacity) }
  }),
})
