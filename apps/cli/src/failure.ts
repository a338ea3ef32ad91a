/**
 * Exit codes and what the CLI says when something goes wrong. Every error a command can meet — a
 * bad flag, a library error, an AWS error — becomes one `CliFailure` carrying the exit code, what was
 * wrong and what to do, so each failure is reported the same way in text and in JSON.
 */
import { Data } from "effect"

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
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export const exitCodeHelp =
  "exit codes: 0 success or nothing to do, 1 failed, 2 usage error, 3 locked by another run, 4 rolled back, 130 interrupted (the run stays open)"

/** A failure as the user sees it: what was wrong, what to do, and the exit code. */
export class CliFailure extends Data.TaggedError("CliFailure")<{
  readonly exitCode: ExitCode
  readonly problem: string
  readonly fix: string
}> {}

export const usageError = (problem: string, fix: string) => new CliFailure({ exitCode: ExitCode.usage, problem, fix })

const isTagged = (error: unknown): error is { readonly _tag: string } & Record<string, unknown> =>
  typeof error === "object" && error !== null && typeof (error as { _tag?: unknown })._tag === "string"

const text = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value))

const problemsOf = (error: Record<string, unknown>): ReadonlyArray<Record<string, unknown>> =>
  Array.isArray(error["problems"]) ? (error["problems"] as ReadonlyArray<Record<string, unknown>>) : []

/** What to do about an AWS error, by its kind. */
const awsFix: Readonly<Record<string, string>> = {
  "access-denied":
    "check the credentials (AWS_PROFILE, --profile, `aws sts get-caller-identity`) and that the role allows the action (`ecs-ami-deploy iam-policy`)",
  "not-found": "check the name or id, and the region (--region)",
  "invalid-parameter": "check the value given for this resource",
  throttled: "AWS is throttling the account: run again later (the run resumes where it stopped)",
  transient: "AWS failed temporarily: run again (the run resumes where it stopped)",
  conflict: "another change is in progress on this resource: run again shortly",
  "limit-exceeded": "raise the account limit or reduce --max-surge",
}

/** Translates any error a command fails with into a `CliFailure`. */
export const toCliFailure = (error: unknown): CliFailure => {
  if (error instanceof CliFailure) return error
  if (!isTagged(error)) return new CliFailure({ exitCode: ExitCode.failed, problem: String(error), fix: "report this as a bug with the command you ran" })
  switch (error._tag) {
    case "InvalidOptions":
      return usageError(
        problemsOf(error).map((p) => `${text(p["path"])}: ${text(p["problem"])}`).join("; "),
        "correct the flags named above (see --help)",
      )
    case "InvalidPolicy":
      return usageError(
        problemsOf(error).map((p) => `${text(p["field"])}: ${text(p["problem"])}`).join("; "),
        problemsOf(error).map((p) => text(p["fix"])).join("; "),
      )
    case "LockHeld":
      return new CliFailure({ exitCode: ExitCode.locked, problem: String(error["message"]), fix: "wait for the other run to finish (`status` shows it), or for its lease to expire" })
    case "NoOpenRun":
      return new CliFailure({
        exitCode: ExitCode.failed,
        problem: `cluster ${text(error["clusterName"])} has no open run to continue`,
        fix: "`status` shows the last run; start a new one with `upgrade-cluster`",
      })
    case "ImageNotFound":
      return new CliFailure({ exitCode: ExitCode.failed, problem: `no image found (${text(error["source"])}): ${text(error["problem"])}`, fix: text(error["fix"]) })
    case "LaunchSpecError":
      return new CliFailure({ exitCode: ExitCode.failed, problem: `group ${text(error["asgName"])}: ${text(error["problem"])}`, fix: text(error["fix"]) })
    case "AwsCallError":
      return new CliFailure({
        exitCode: ExitCode.failed,
        problem: `AWS call ${text(error["operation"])} failed (${text(error["code"])}): ${text(error["message"])}`,
        fix: awsFix[text(error["kind"])] ?? "check the AWS error above; run again once it is fixed",
      })
    case "EventLogCorrupt":
      return new CliFailure({
        exitCode: ExitCode.failed,
        problem: String(error["message"]),
        fix: "move the damaged file aside (it is the record of a run) or point --event-log elsewhere; never edit it to resume",
      })
    case "EventLogUnavailable":
      return new CliFailure({ exitCode: ExitCode.failed, problem: `event log ${text(error["location"])} unavailable: ${text(error["problem"])}`, fix: "check the --event-log location and its permissions" })
    case "StaleLease":
      return new CliFailure({ exitCode: ExitCode.locked, problem: `another executor took over cluster ${text(error["clusterName"])} while this one ran`, fix: "let the other executor finish; `status` shows the run" })
    case "ObservationInvalid":
    case "UnexpectedDecision":
    case "PluginFailed":
    case "SequenceConflict":
      return new CliFailure({ exitCode: ExitCode.failed, problem: `${error._tag}: ${String(error["message"] ?? "")}`, fix: "run again; if it persists, report it with `history --output json`" })
    default:
      return new CliFailure({ exitCode: ExitCode.failed, problem: `${error._tag}: ${String(error["message"] ?? "")}`, fix: "report this as a bug with the command you ran" })
  }
}

/** The command has written its output and ends with `code`: not an error to report again. */
export class ExitWith extends Data.TaggedError("ExitWith")<{ readonly code: ExitCode }> {}
