/**
 * What every command shares: the root command with the target flags, running a body against the
 * resolved target, and reporting a failure once — as text on standard error, or as a JSON line with
 * `--output json` — before ending with its exit code.
 */
import { Effect, type Scope } from "effect"
import { Command } from "effect/cli"
import type { RolloutEnvironment } from "ecs-ami-deploy"
import { ConsoleIo } from "./console-io.ts"
import { type CliFailure, ExitCode, ExitWith, toCliFailure } from "./failure.ts"
import { targetFlags, type TargetFlags } from "./flags.ts"
import { resolveTarget, type Target } from "./target.ts"
import { paint } from "./text.ts"

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
    if (output === "json") {
      yield* io.err(`${JSON.stringify({ type: "error", exitCode: failure.exitCode, problem: failure.problem, fix: failure.fix })}\n`)
      return
    }
    yield* io.err(`${paint(io.color, "red", "error:")} ${failure.problem}\n  ${paint(io.color, "bold", "what to do:")} ${failure.fix}\n`)
  })

/** Ends a command: success is silent, any other code becomes `ExitWith` for the entry point. */
const endWith = (code: ExitCode): Effect.Effect<void, ExitWith> => (code === ExitCode.success ? Effect.void : Effect.fail(new ExitWith({ code })))

/**
 * Runs a command body: failures (flag meaning, library errors, AWS errors) are reported once and
 * become the exit code. `body` returns its own exit code.
 */
export const runReported = <R>(output: TargetFlags["output"], body: Effect.Effect<ExitCode, unknown, R>): Effect.Effect<void, ExitWith, Exclude<R, Scope.Scope> | ConsoleIo> =>
  Effect.scoped(body).pipe(
    Effect.catch((error: unknown) =>
      Effect.as(reportFailure(output, toCliFailure(error)), toCliFailure(error).exitCode),
    ),
    Effect.flatMap(endWith),
  ) as Effect.Effect<void, ExitWith, Exclude<R, Scope.Scope> | ConsoleIo>

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
  ) as Effect.Effect<void, ExitWith, Exclude<R, RolloutEnvironment | Scope.Scope> | ConsoleIo>
