/**
 * The `ecs-ami-deploy` command tree and its runner: `runCli(argv)` parses with effect/cli, runs the
 * chosen command and resolves to the documented exit code (never fails). Help and version go to
 * standard output; a command line that does not parse is reported on standard error with exit code 2.
 */
import { Effect, Layer } from "effect"
import { CliError, CliOutput, Command } from "effect/cli"
import { readFileSync } from "node:fs"
import { awsCommands } from "./aws-commands.ts"
import { rootCommand } from "./command-support.ts"
import { ConsoleIo } from "./console-io.ts"
import { ExitCode, exitCodeHelp, ExitWith } from "./failure.ts"
import { rolloutCommands } from "./rollout-commands.ts"
import { simulationCommands } from "./simulate.ts"
import { snapshotCommands } from "./snapshot.ts"

const packageJson: { readonly version: string } = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
)

/** The CLI's version (its package's). */
export const version = packageJson.version

export const cli = rootCommand.pipe(
  Command.withSubcommands([...awsCommands, ...rolloutCommands, ...simulationCommands, ...snapshotCommands]),
  Command.withExamples([
    {
      command: "ecs-ami-deploy simulate",
      description: "rehearse a rollout of the small scenario and write simulation-report.html",
    },
    {
      command: "ecs-ami-deploy plan --cluster prod -r eu-west-1",
      description: "what a rollout would do, without changing anything",
    },
    {
      command: "ecs-ami-deploy upgrade-cluster --cluster prod --max-surge 25% --yes",
      description: "roll the cluster",
    },
    { command: "ecs-ami-deploy status --cluster prod", description: "the open or last run" },
  ]),
)

/** Help, version and parse errors through the CLI's console, errors with a pointer to `--help`. */
const presenterOn = (io: typeof ConsoleIo.Service) => {
  const formatter = CliOutput.defaultFormatter({ colors: io.color, globalFlags: "summary" })
  return CliOutput.layerPresenter({
    present: (event) => {
      switch (event._tag) {
        case "Help":
          return io.out(`${formatter.formatHelpDoc(event.helpDoc)}\n\n${exitCodeHelp}\n`)
        case "Version":
          return io.out(`${formatter.formatVersion(event.name, event.version)}\n`)
        case "InvalidInvocation":
          return io.err(
            `${formatter.formatErrors(event.errors)}\nsee: ${[...event.commandPath].join(" ")} --help\n`,
          )
      }
    },
  })
}

/** Runs the CLI on `argv` (without node and script) and resolves to the exit code. */
export const runCli = (argv: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const io = yield* ConsoleIo
    return yield* Command.runWith(cli, { version })(argv).pipe(
      Effect.as<number>(ExitCode.success),
      Effect.catch((error: unknown) => {
        if (error instanceof ExitWith) return Effect.succeed<number>(error.code)
        // Parse errors were presented already; a bare `ecs-ami-deploy` (help shown) is no command run either.
        return Effect.succeed<number>(CliError.isCliError(error) ? ExitCode.usage : ExitCode.failed)
      }),
      Effect.provide(Layer.fresh(presenterOn(io))),
    )
  })
