/**
 * Test support: the CLI in-process (fast, output captured) and as a real process (`node` on the
 * sources, as `npm start` runs it), temp directories, and reading a simulator journal.
 */
import { NodeServices } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import os, { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { runCli } from "../src/cli.ts"
import { ConsoleIo } from "../src/console-io.ts"

export interface CliRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `ecs-ami-deploy-cli-${prefix}-`))

/** A console that is not the process's: what the CLI wrote, as text, and the questions it asked. */
interface CapturedConsole {
  readonly layer: Layer.Layer<ConsoleIo>
  readonly stdout: () => string
  readonly stderr: () => string
  readonly questions: () => ReadonlyArray<string>
}

const captureConsole = (options: {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
  readonly interactive?: boolean
  readonly answer?: boolean
}): CapturedConsole => {
  const questions: Array<string> = []
  let stdout = ""
  let stderr = ""
  const layer = Layer.succeed(
    ConsoleIo,
    ConsoleIo.of({
      out: (text) => Effect.sync(() => void (stdout += text)),
      err: (text) => Effect.sync(() => void (stderr += text)),
      interactive: options.interactive ?? false,
      color: false,
      confirm: (question) => Effect.sync(() => (questions.push(question), options.answer ?? false)),
      env: options.env,
      cwd: options.cwd,
    }),
  )
  return { layer, stdout: () => stdout, stderr: () => stderr, questions: () => questions }
}

/** Runs the CLI in this process with a captured, non-interactive console. */
export const runInProcess = async (
  argv: ReadonlyArray<string>,
  options: {
    readonly cwd: string
    readonly env?: Record<string, string>
    readonly interactive?: boolean
    readonly answer?: boolean
  },
): Promise<CliRun & { readonly questions: ReadonlyArray<string> }> => {
  const console = captureConsole({
    cwd: options.cwd,
    env: { XDG_STATE_HOME: join(options.cwd, "state"), ...options.env },
    ...(options.interactive === undefined ? {} : { interactive: options.interactive }),
    ...(options.answer === undefined ? {} : { answer: options.answer }),
  })
  const code = await Effect.runPromise(runCli(argv).pipe(Effect.provide([NodeServices.layer, console.layer])))
  return { code, stdout: console.stdout(), stderr: console.stderr(), questions: console.questions() }
}

const main = resolve(import.meta.dirname, "../src/main.ts")

/**
 * Runs the CLI as a process (Node 24 on the sources), without a terminal. `interruptWhen` sends
 * `signal` (default SIGINT, Ctrl-C) once standard output matches it, or with `signal: "close-output"`
 * closes the reading end of its standard output (what `| head` does once it has its lines).
 */
export const runProcess = (
  argv: ReadonlyArray<string>,
  options: {
    readonly cwd: string
    readonly env?: Record<string, string>
    readonly interruptWhen?: RegExp
    readonly signal?: NodeJS.Signals | "close-output"
  },
): Promise<CliRun> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--conditions=@ecs-ami-deploy/source", main, ...argv], {
      cwd: options.cwd,
      env: {
        PATH: process.env["PATH"] ?? "",
        HOME: options.cwd,
        XDG_STATE_HOME: join(options.cwd, "state"),
        NO_COLOR: "1",
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    let interrupted = false
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      if (!interrupted && options.interruptWhen?.test(stdout) === true) {
        interrupted = true
        if (options.signal === "close-output") child.stdout.destroy()
        else child.kill(options.signal ?? "SIGINT")
      }
    })
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("error", fail)
    child.on("close", (code, signal) =>
      done({ code: code ?? (signal === null ? -1 : 128 + os.constants.signals[signal]), stdout, stderr }),
    )
  })

/** The calls that changed the simulated world, as journaled in a `--simulator-state` file (none when it was never created). */
export const journaledCalls = (
  stateFile: string,
): ReadonlyArray<{ readonly port: string; readonly method: string }> =>
  existsSync(stateFile)
    ? readFileSync(stateFile, "utf8")
        .split("\n")
        .filter((text) => text.trim() !== "")
        .map((text) => JSON.parse(text) as { kind: string; port: string; method: string })
        .filter((entry) => entry.kind === "call")
    : []

/**
 * The instances terminated in a journaled simulated world, one entry per termination: through Auto
 * Scaling one by one, or through EC2 in batches (how the executor terminates detached members).
 */
export const terminatedInstances = (stateFile: string): ReadonlyArray<string> =>
  journaledCalls(stateFile).flatMap((call) => {
    const args = (call as unknown as { readonly args: ReadonlyArray<unknown> }).args
    if (call.method === "terminateInstanceInGroup") return [args[0] as string]
    if (call.method === "terminateInstances") return [...(args[0] as ReadonlyArray<string>)]
    return []
  })

/** JSON lines of an output. */
export const jsonLines = (text: string): ReadonlyArray<Record<string, unknown>> =>
  text
    .split("\n")
    .filter((t) => t.trim() !== "")
    .map((t) => JSON.parse(t) as Record<string, unknown>)
