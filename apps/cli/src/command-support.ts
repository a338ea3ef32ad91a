/**
 * What every command shares: the root command with the target flags, running a body against the
 * resolved target, and reporting a failure once — as text on standard error, or as a JSON line with
 * `--output json` — before ending with its exit code.
 */
import { Effect } from "effect"
import { Command } from "effect/cli"
import { ConsoleIo } from "./console-io.ts"
import { type CliFailure, ExitCode, ExitWith, renderFailure, toCliFailure } from "./failure.ts"
import { targetFlags, type TargetFlags } from "./flags.ts"
import { resolveTarget, type Target } from "./target.ts"

export const rootCommand = Command.make("ecs-ami-deploy").pipe(
  Command.withSharedFlags(targetFlags),
  Command.withDescription(
    "Roll every EC2 instance of an ECS cluster onto a new AMI with zero service downtime; resumable wherever it stops.",
  ),
)

/** Writes a failure where the output format says. */
export const reportFailure = (output: TargetFlags["output"], failure: CliFailure) =>
  Effect.gen(function* () {
    const io = yield* ConsoleIo
    yield* io.err(renderFailure(output, io.color, failure))
  })

/** Ends a command: success is silent, any other code becomes `ExitWith` for the entry point. */
const endWith = (code: ExitCode): Effect.Effect<void, ExitWith> =>
  code === ExitCode.success ? Effect.void : Effect.fail(new ExitWith({ code }))

/**
 * Runs a command body: failures (flag meaning, library errors, AWS errors) are reported once and
 * become the exit code; a defect is reported as a bug rather than as a stack trace. `body` returns
 * its own exit code.
 */
export const runReported = <R>(output: TargetFlags["output"], body: Effect.Effect<ExitCode, unknown, R>) => {
  const report = (error: unknown) => {
    const failure = toCliFailure(error)
    return Effect.as(reportFailure(output, failure), failure.exitCode)
  }
  return Effect.scoped(body).pipe(
    Effect.catch(report),
    Effect.catchDefect(report),
    Effect.onInterrupt(() => interrupted(output)),
    Effect.flatMap(endWith),
  )
}

/** Ctrl-C: the executor releases its lock on the way out and the run stays open, ready for `resume`. */
const interrupted = (output: TargetFlags["output"]) =>
  ConsoleIo.use((io) =>
    io.err(
      output === "json"
        ? `${JSON.stringify({ type: "interrupted" })}\n`
        : "\ninterrupted: an open run stays open; `status` shows it and `resume` continues it\n",
    ),
  )

/** Runs `body` against the target the root flags name. */
export const onTarget = <R>(
  root: TargetFlags,
  body: (target: Target) => Effect.Effect<ExitCode, unknown, R>,
  options: { readonly seed?: number } = {},
) =>
  runReported(
    root.output,
    Effect.gen(function* () {
      const target = yield* resolveTarget(root, options)
      return yield* Effect.provide(body(target), target.environment)
    }),
  )

/** A command's handler: `body` runs with the root flags, its failures reported (see `runReported`). */
export const reportedWithRoot = <R>(body: (root: TargetFlags) => Effect.Effect<ExitCode, unknown, R>) =>
  Effect.gen(function* () {
    const root = yield* rootCommand
    return yield* runReported(root.output, body(root))
  })

/** A command's handler: `body` runs against the target the root flags name (see `onTarget`). */
export const onRootTarget = <R>(
  body: (context: {
    readonly root: TargetFlags
    readonly target: Target
  }) => Effect.Effect<ExitCode, unknown, R>,
) =>
  Effect.gen(function* () {
    const root = yield* rootCommand
    return yield* onTarget(root, (target) => body({ root, target }))
  })
