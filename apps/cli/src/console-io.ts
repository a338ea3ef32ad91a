/**
 * Where the CLI writes and what it knows about its terminal: one small service, so every command
 * prints through the same place and the tests can run the whole CLI in-process and read what it
 * wrote. On a terminal, progress is redrawn in place; elsewhere it is one line per event.
 */
import { Context, Effect, Layer } from "effect"

export interface ConsoleIoShape {
  /** Writes `text` to standard output as is (no newline added). */
  readonly out: (text: string) => Effect.Effect<void>
  /** Writes `text` to standard error as is (no newline added). */
  readonly err: (text: string) => Effect.Effect<void>
  /** Standard output is a terminal: progress may be redrawn in place and questions asked. */
  readonly interactive: boolean
  /** ANSI colours are allowed (a terminal, and `NO_COLOR` unset). */
  readonly color: boolean
  /** Asks a yes/no question on the terminal; resolves false on anything but y/yes. */
  readonly confirm: (question: string) => Effect.Effect<boolean>
  /** The process environment (AWS variables, `XDG_STATE_HOME`). */
  readonly env: Readonly<Record<string, string | undefined>>
  /** The directory relative paths resolve against. */
  readonly cwd: string
}

export class ConsoleIo extends Context.Service<ConsoleIo, ConsoleIoShape>()(
  "@ecs-ami-deploy/cli/ConsoleIo",
) {}

/** Writes one line to standard output. */
export const line = (text: string) => ConsoleIo.use((io) => io.out(`${text}\n`))

/** Writes one line to standard error. */
export const errorLine = (text: string) => ConsoleIo.use((io) => io.err(`${text}\n`))

const askOnTerminal = (question: string): Effect.Effect<boolean> =>
  Effect.callback<boolean>((resume) => {
    process.stdout.write(`${question} [y/N] `)
    process.stdin.setEncoding("utf8")
    process.stdin.resume()
    process.stdin.once("data", (answer: string) => {
      process.stdin.pause()
      resume(Effect.succeed(/^y(es)?$/i.test(answer.trim())))
    })
  })

/**
 * What the console allows: questions and redrawing need a terminal on both ends; colour also needs
 * `NO_COLOR` unset or empty (https://no-color.org).
 */
export const terminalCapabilities = (
  stdoutIsTty: boolean,
  stdinIsTty: boolean,
  env: Readonly<Record<string, string | undefined>>,
) => {
  const interactive = stdoutIsTty && stdinIsTty
  return { interactive, color: interactive && (env["NO_COLOR"] ?? "") === "" }
}

/** The real process: stdout/stderr, its TTY-ness and `NO_COLOR`. */
export const nodeConsoleIo: Layer.Layer<ConsoleIo> = Layer.sync(ConsoleIo, () => {
  const { interactive, color } = terminalCapabilities(
    process.stdout.isTTY === true,
    process.stdin.isTTY === true,
    process.env,
  )
  return ConsoleIo.of({
    out: (text) => Effect.sync(() => void process.stdout.write(text)),
    err: (text) => Effect.sync(() => void process.stderr.write(text)),
    interactive,
    color,
    confirm: askOnTerminal,
    env: process.env,
    cwd: process.cwd(),
  })
})
