/**
 * Exit codes and what the CLI says when something goes wrong. Every error a command can meet — a
 * bad flag, a library error, an AWS error — becomes one `CliFailure` carrying the exit code, what was
 * wrong and what to do, so each failure is reported the same way in text and in JSON.
 */
import { Data } from "effect"
import {
  AwsCallError,
  EventLogCorrupt,
  EventLogUnavailable,
  ImageNotFound,
  InvalidOptions,
  InvalidPolicy,
  LaunchSpecError,
  LockHeld,
  NoOpenRun,
  ObservationInvalid,
  PluginFailed,
  SequenceConflict,
  StaleLease,
} from "ecs-ami-deploy"
import { paint } from "./text.ts"

/** The documented exit codes (README, `--help`). */
export const ExitCode = {
  /** The run succeeded, or there was nothing to do. */
  success: 0,
  /** The command failed (AWS error, refused plan, failed run, missing image, ...). */
  failed: 1,
  /** The command line is wrong: unknown flag, bad value, conflicting flags, unknown scenario. */
  usage: 2,
  /** Another run holds the cluster's lock. */
  locked: 3,
  /** The run was rolled back: the cluster is as it was found. */
  rolledBack: 4,
  /** The run ended with a mixed fleet (outcome incomplete or halted): the message lists every instance and its image. */
  mixedFleet: 5,
  /** The run was suspended (`--max-run-time`, or an invocation stopped before its deadline): `resume` continues it. EX_TEMPFAIL. */
  suspended: 75,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export const exitCodeHelp =
  "exit codes: 0 success or nothing to do, 1 failed, 2 usage error, 3 locked by another run, 4 rolled back, 5 ended with a mixed fleet (incomplete or halted: the message lists the fleet), 75 suspended (resume continues it), 129/130/143 interrupted by SIGHUP/SIGINT/SIGTERM and 141 output closed (the run stays open, recorded as suspended)"

/** A failure as the user sees it: what was wrong, what to do, and the exit code. */
export class CliFailure extends Data.TaggedError("CliFailure")<{
  readonly exitCode: ExitCode
  readonly problem: string
  readonly fix: string
}> {}

export const usageError = (problem: string, fix: string) =>
  new CliFailure({ exitCode: ExitCode.usage, problem, fix })

/**
 * A failure as written to standard error — the one error style of the CLI, for command failures and
 * command lines that do not parse alike: `error: …` and `what to do: …`, or with `--output json` one
 * `{"type":"error","exitCode","problem","fix"}` line.
 */
export const renderFailure = (output: "text" | "json", color: boolean, failure: CliFailure): string =>
  output === "json"
    ? `${JSON.stringify({ type: "error", exitCode: failure.exitCode, problem: failure.problem, fix: failure.fix })}\n`
    : `${paint(color, "red", "error:")} ${failure.problem}\n  ${paint(color, "bold", "what to do:")} ${failure.fix}\n`

/**
 * The command-line flag behind each policy field the library names in an `InvalidPolicy`, and what to
 * type: a person at the CLI set flags, not library fields.
 */
const policyFieldFlags: Readonly<Record<string, { readonly flag: string; readonly fix: string }>> = {
  maxSurge: {
    flag: "--max-surge",
    fix: "give --max-surge a count of at least 1 or a percentage from 1% to 100%, or --capacity-mode detach",
  },
  maxDraining: {
    flag: "--max-draining",
    fix: "give --max-draining a count of at least 1 or a percentage from 1% to 100%",
  },
  "timeouts.newCapacityMs": {
    flag: "--new-capacity-timeout",
    fix: "give --new-capacity-timeout (or --polling-timeout-minutes) a positive duration, e.g. 15m",
  },
  "timeouts.drainWaveMs": {
    flag: "--drain-timeout",
    fix: "give --drain-timeout (or --polling-timeout-minutes) a positive duration, e.g. 30m",
  },
  "timeouts.runMs": {
    flag: "--run-timeout",
    fix: "give --run-timeout a duration longer than --new-capacity-timeout and --drain-timeout (defaults 15m and 30m)",
  },
  pollIntervalMs: { flag: "--polling-interval-seconds", fix: "give --polling-interval-seconds 1 or more" },
}

/** What to do about an AWS error, by its kind. */
const awsFix: Readonly<Record<AwsCallError["kind"], string>> = {
  "access-denied":
    "check the credentials (AWS_PROFILE, --profile, `aws sts get-caller-identity`) and that the role allows the action (`ecs-ami-deploy iam-policy`)",
  "not-found": "check the name or id, and the region (--region)",
  "invalid-parameter": "check the value given for this resource",
  throttled: "AWS is throttling the account: run again later (the run resumes where it stopped)",
  transient: "AWS failed temporarily: run again (the run resumes where it stopped)",
  conflict: "another change is in progress on this resource: run again shortly",
  "limit-exceeded": "raise the account limit or reduce --max-surge",
  unknown: "check the AWS error above; run again once it is fixed",
}

const failed = (problem: string, fix: string) => new CliFailure({ exitCode: ExitCode.failed, problem, fix })
const rerun = "run again; if it persists, report it with the output of `history --output json`"

/** Translates any error a command fails with into a `CliFailure`. */
export const toCliFailure = (error: unknown): CliFailure => {
  if (error instanceof CliFailure) return error
  if (error instanceof InvalidOptions)
    return usageError(
      error.problems.map((p) => `${p.path}: ${p.problem}`).join("; "),
      "correct the flags named above (see --help)",
    )
  if (error instanceof InvalidPolicy)
    return usageError(
      error.problems.map((p) => `${policyFieldFlags[p.field]?.flag ?? p.field}: ${p.problem}`).join("; "),
      [...new Set(error.problems.map((p) => policyFieldFlags[p.field]?.fix ?? p.fix))].join("; "),
    )
  if (error instanceof LockHeld)
    return new CliFailure({
      exitCode: ExitCode.locked,
      problem: error.message,
      fix: "wait for the other run to finish (`status` shows it), or for its lease to expire",
    })
  if (error instanceof StaleLease)
    return new CliFailure({
      exitCode: ExitCode.locked,
      problem: `another executor took over cluster ${error.clusterName} while this one ran`,
      fix: "let the other executor finish; `status` shows the run",
    })
  if (error instanceof NoOpenRun)
    return failed(
      `cluster ${error.clusterName} has no open run to continue`,
      "`status` shows the last run; start a new one with `upgrade-cluster`",
    )
  if (error instanceof ImageNotFound)
    return failed(`no image found (${error.source}): ${error.problem}`, error.fix)
  if (error instanceof LaunchSpecError) return failed(`group ${error.asgName}: ${error.problem}`, error.fix)
  if (error instanceof AwsCallError)
    return failed(`AWS call ${error.operation} failed (${error.code}): ${error.message}`, awsFix[error.kind])
  if (error instanceof EventLogCorrupt)
    return failed(
      error.message,
      "move the damaged file aside (it is the record of a run) or point --event-log elsewhere; never edit it to resume",
    )
  if (error instanceof EventLogUnavailable)
    return failed(
      `event log ${error.location} unavailable: ${error.problem}`,
      "check the --event-log location and its permissions",
    )
  if (
    error instanceof PluginFailed ||
    error instanceof ObservationInvalid ||
    error instanceof SequenceConflict
  )
    return failed(`${error._tag}: ${error.message}`, rerun)
  return failed(
    error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    "this is a bug: report it with the command you ran",
  )
}

/** The command has written its output and ends with `code`: not an error to report again. */
export class ExitWith extends Data.TaggedError("ExitWith")<{ readonly code: ExitCode }> {}
