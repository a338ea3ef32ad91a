/**
 * The `ecs-ami-deploy` command tree and its runner: `runCli(argv)` parses with effect/cli, runs the
 * chosen command and resolves to the documented exit code (never fails). Help and version go to
 * standard output; a command line that does not parse is reported on standard error with exit code 2,
 * in the same style as any failure (a JSON error object with `--output json`).
 */
import { Effect, Layer, Option } from "effect"
import { CliError, CliOutput, Command, type HelpDoc } from "effect/cli"
import { readFileSync } from "node:fs"
import { awsCommands } from "./aws-commands.ts"
import { fleetCommand } from "./fleet-commands.ts"
import { rootCommand } from "./command-support.ts"
import { ConsoleIo } from "./console-io.ts"
import { CliFailure, ExitCode, exitCodeHelp, ExitWith, renderFailure, usageError } from "./failure.ts"
import { rolloutCommands } from "./rollout-commands.ts"
import { simulationCommands } from "./simulate.ts"
import { snapshotCommands } from "./snapshot.ts"

const packageJson: { readonly version: string } = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
)

/** The CLI's version (its package's). */
export const version = packageJson.version

export const cli = rootCommand.pipe(
  Command.withSubcommands([
    ...awsCommands,
    ...rolloutCommands,
    ...simulationCommands,
    ...snapshotCommands,
    fleetCommand,
  ]),
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

/**
 * The root flags each command takes, where it is not all of them: its help lists only these. `simulate`
 * builds its own world; `iam-policy` only prints (the Region scopes the policy); the read-only AWS
 * commands record no runs.
 */
const rootFlagsTaken: Readonly<Record<string, ReadonlyArray<string>>> = {
  simulate: ["output", "event-log"],
  "iam-policy": ["region", "output"],
  "list-clusters": ["profile", "region", "output", "simulator", "simulator-state", "simulator-wait"],
  "latest-ami": ["profile", "region", "output", "simulator", "simulator-state", "simulator-wait"],
  snapshot: ["profile", "region", "output", "simulator", "simulator-state", "simulator-wait"],
}

const markRequired = (flag: HelpDoc.FlagDoc): HelpDoc.FlagDoc =>
  flag.required
    ? { ...flag, description: Option.some(`(required) ${Option.getOrElse(flag.description, () => "")}`) }
    : flag

/** A command's help as the user needs it: required flags marked, root flags it ignores left out. */
export const tailorHelp = (commandPath: ReadonlyArray<string>, doc: HelpDoc.HelpDoc): HelpDoc.HelpDoc => {
  const taken = rootFlagsTaken[commandPath.at(-1) ?? ""]
  const inherited = doc.inheritedFlags ?? []
  return {
    ...doc,
    flags: doc.flags.map(markRequired),
    inheritedFlags: taken === undefined ? inherited : inherited.filter((flag) => taken.includes(flag.name)),
  }
}

/** The output format the command line asks for, read before it is parsed so a command line that does not parse is reported in it too. */
export const requestedOutput = (argv: ReadonlyArray<string>): "text" | "json" => {
  let output: "text" | "json" = "text"
  for (const [index, arg] of argv.entries()) {
    if (arg === "--") break
    const value =
      arg === "-o" || arg === "--output" ? argv[index + 1] : /^(?:-o|--output)=(.*)$/.exec(arg)?.[1]
    if (value === "json" || value === "text") output = value
  }
  return output
}

/** Help, version and parse errors through the CLI's console; a parse error in the one error style of every failure. */
const presenterOn = (io: typeof ConsoleIo.Service, output: "text" | "json") => {
  const formatter = CliOutput.defaultFormatter({ colors: io.color, globalFlags: "summary" })
  return CliOutput.layerPresenter({
    present: (event) => {
      switch (event._tag) {
        case "Help":
          return io.out(
            `${formatter.formatHelpDoc(tailorHelp(event.commandPath, event.helpDoc))}\n\n${exitCodeHelp}\n`,
          )
        case "Version":
          return io.out(`${formatter.formatVersion(event.name, event.version)}\n`)
        case "InvalidInvocation":
          return io.err(
            renderFailure(
              output,
              io.color,
              usageError(
                event.errors.map((error) => error.message).join("; "),
                `see the flags it takes: ${[...event.commandPath].join(" ")} --help`,
              ),
            ),
          )
      }
    },
  })
}

/**
 * The Go tool's `help [command]` and `about` run as their equivalents here (`[command] --help`,
 * `--version`); its `--config FILE` has none, so it is refused naming what to use instead.
 */
const goToolCommandLine = (argv: ReadonlyArray<string>): ReadonlyArray<string> | CliFailure => {
  const config = argv.findIndex((arg) => arg === "--config" || arg.startsWith("--config="))
  if (config >= 0 && (argv.indexOf("--") < 0 || config < argv.indexOf("--")))
    return usageError(
      "--config FILE (the Go tool's configuration file) is not supported",
      "give the settings as flags (each command's --help lists them); in scripts, keep them in a shell array or an alias",
    )
  if (argv[0] === "help") return [...argv.slice(1), "--help"]
  if (argv[0] === "about" && argv.length === 1) return ["--version"]
  return argv
}

/** Runs the CLI on `argv` (without node and script) and resolves to the exit code. */
export const runCli = (argv: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const io = yield* ConsoleIo
    const commandLine = goToolCommandLine(argv)
    if (commandLine instanceof CliFailure) {
      yield* io.err(renderFailure(requestedOutput(argv), io.color, commandLine))
      return commandLine.exitCode
    }
    return yield* Command.runWith(cli, { version })(commandLine).pipe(
      Effect.as<number>(ExitCode.success),
      Effect.catch((error: unknown) => {
        if (error instanceof ExitWith) return Effect.succeed<number>(error.code)
        // Parse errors were presented already; a bare `ecs-ami-deploy` (help shown) is no command run either.
        return Effect.succeed<number>(CliError.isCliError(error) ? ExitCode.usage : ExitCode.failed)
      }),
      Effect.provide(Layer.fresh(presenterOn(io, requestedOutput(argv)))),
    )
  })
