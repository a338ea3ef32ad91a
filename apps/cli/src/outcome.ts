/**
 * How a rollout invocation ended, for people and for the exit code: the library's `RunResult`
 * becomes one summary line (or JSON object) and one of the documented exit codes.
 */
import type { RunResult } from "ecs-ami-deploy"
import type { RunOutcome } from "@ecs-ami-deploy/domain"
import { type ExitCode, ExitCode as Codes } from "./failure.ts"
import { inFlagTerms } from "./text.ts"

/** The exit code a run that ended with `outcome` gives. */
export const exitCodeOfOutcome = (outcome: RunOutcome): ExitCode => exitCodeByOutcome[outcome]

const exitCodeByOutcome: Record<RunOutcome, ExitCode> = {
  succeeded: Codes.success,
  failed: Codes.failed,
  "rolled-back": Codes.rolledBack,
  incomplete: Codes.mixedFleet,
  halted: Codes.mixedFleet,
}

/** The exit code of a run's result. */
export const exitCodeOf = (result: RunResult): ExitCode => {
  switch (result._tag) {
    case "NothingToDo":
      return Codes.success
    case "Finished":
      return exitCodeOfOutcome(result.outcome)
    case "Refused":
    case "Deferred":
      return Codes.failed
    case "Suspended":
      return Codes.suspended
  }
}

/** One or more lines saying how the invocation ended and what to do next, in the CLI's words. */
export const describeResult = (result: RunResult): ReadonlyArray<string> =>
  resultLines(result).map(inFlagTerms)

const resultLines = (result: RunResult): ReadonlyArray<string> => {
  switch (result._tag) {
    case "NothingToDo":
      return [`nothing to do on ${result.clusterName}: ${result.reason}`]
    case "Refused":
      return [
        `refused to start a run on ${result.clusterName}:`,
        ...result.problems.flatMap((p) => [`  - ${p.problem}`, `    fix: ${p.fix}`]),
      ]
    case "Deferred":
      return [`no run started on ${result.clusterName}: ${result.reason}`]
    case "Suspended":
      return [
        `run ${result.runId} suspended: ${result.reason}`,
        result.waitsAtCheckpoint === undefined
          ? `continue it with: ecs-ami-deploy resume --cluster ${result.clusterName}`
          : `continue past the checkpoint with: ecs-ami-deploy continue --cluster ${result.clusterName} (or undo it: ecs-ami-deploy rollback --cluster ${result.clusterName})`,
      ]
    case "Finished":
      return [`run ${result.runId} ${result.outcome}: ${result.reason}`]
  }
}
