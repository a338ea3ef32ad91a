/**
 * The `--simulator` target: the AWS ports backed by the library's simulator instead of AWS, so every
 * command — plan, upgrade, resume, rollback, status — can be rehearsed, and tested as a process.
 *
 * With `--simulator-state FILE` the simulated world outlives the process. The simulator is
 * deterministic (same scenario, seed and calls at the same simulated times give the same world), so
 * the file is a journal rather than a dump: the scenario and seed, then every call that changed the
 * world with its simulated time, then the time the process stopped. Opening the file replays it onto
 * a fresh simulation. A call is journaled as soon as it returns, so a process killed mid-run leaves a
 * journal that matches what the world saw — which is what makes interruption and `resume` across
 * processes real.
 */
import { type Context, Effect, Layer, Schema } from "effect"
import { appendFileSync, existsSync, writeFileSync } from "node:fs"
import { MAX_SCENARIO_BYTES, MAX_STATE_BYTES, parseBoundedJson, readBoundedFile } from "./bounded-input.ts"
import { resolve } from "node:path"
import {
  AutoScaling,
  type AwsPorts,
  CloudWatch,
  Ec2,
  Ecs,
  Iam,
  Identity,
  LoadBalancing,
  Ssm,
} from "ecs-ami-deploy"
import {
  makeSimulation,
  type Scenario,
  scenarioNames,
  scenarios,
  type Simulation,
} from "ecs-ami-deploy/simulator"
import { CliFailure, ExitCode, usageError } from "./failure.ts"

const portServices = { Ec2, AutoScaling, Ecs, Ssm } as const
type PortName = keyof typeof portServices

const JournalHeader = Schema.Struct({
  kind: Schema.Literal("world"),
  journalVersion: Schema.Literal(1),
  seed: Schema.Number,
  scenario: Schema.Unknown,
})
const JournalCall = Schema.Struct({
  kind: Schema.Literal("call"),
  at: Schema.Number,
  port: Schema.Literals(["Ec2", "AutoScaling", "Ecs", "Ssm"]),
  method: Schema.String,
  args: Schema.Array(Schema.Unknown),
})
const JournalClock = Schema.Struct({ kind: Schema.Literal("clock"), at: Schema.Number })
const JournalEntry = Schema.Union([JournalHeader, JournalCall, JournalClock])
type JournalCall = typeof JournalCall.Type
const decodeEntry = Schema.decodeUnknownSync(JournalEntry)

/** A simulated world for one process, journaled to a file when one was named. */
export interface SimulatedWorld {
  readonly simulation: Simulation
  /** The simulated AWS ports and the simulation's clock, as the library's `simulatedPorts` gives them. */
  readonly ports: Layer.Layer<AwsPorts>
  /** Calls this process made that changed the world. */
  readonly mutatingCalls: () => number
  /** Where the world is journaled, if anywhere. */
  readonly stateFile: string | undefined
}

/** A built-in scenario by name, or a scenario JSON file; anything else is a usage error naming both. */
export const loadScenario = (nameOrPath: string, cwd: string): Effect.Effect<Scenario, CliFailure> =>
  Effect.suspend(() => {
    const builtIn = scenarios[nameOrPath]
    if (builtIn !== undefined) return Effect.succeed(builtIn)
    const path = resolve(cwd, nameOrPath)
    if (!existsSync(path))
      return Effect.fail(
        usageError(
          `unknown scenario "${nameOrPath}" (neither a built-in scenario nor a file)`,
          `use one of ${scenarioNames.join(", ")}, or the path of a scenario JSON file (see \`snapshot\`)`,
        ),
      )
    return Effect.try({
      try: () => {
        const parsed = parseBoundedJson(readBoundedFile(path, MAX_SCENARIO_BYTES))
        // makeSimulation validates the scenario against the simulator's schema and names the bad field.
        return makeSimulation(parsed as Scenario).scenario
      },
      catch: (error) =>
        usageError(
          `scenario file ${path} is not a valid scenario: ${error instanceof Error ? error.message : String(error)}`,
          "fix the field named above, or write the file with `ecs-ami-deploy snapshot`",
        ),
    })
  })

const stateProblem = (path: string, problem: string) =>
  new CliFailure({
    exitCode: ExitCode.usage,
    problem: `simulator state ${path} cannot be used: ${problem}`,
    fix: "point --simulator-state at a file this CLI wrote, or at a new path to start a fresh world",
  })

/**
 * Every entry ends with a newline. A process killed while appending leaves its last entry without one:
 * that call is not part of the world (the run's event log holds at most its intent, so a resumed run
 * re-observes and re-issues it). A complete entry that does not decode is still refused.
 */
const readJournal = (path: string) =>
  Effect.try({
    try: () =>
      readBoundedFile(path, MAX_STATE_BYTES)
        .split("\n")
        .slice(0, -1)
        .filter((text) => text.trim() !== "")
        .map((text) => decodeEntry(parseBoundedJson(text))),
    catch: (error) => stateProblem(path, error instanceof Error ? error.message : String(error)),
  })

/** Calls the port method a journal entry names, with its recorded arguments. */
const replayCall = (simulation: Simulation, call: JournalCall) =>
  Effect.tryPromise({
    try: () =>
      simulation.run(
        Effect.gen(function* () {
          const service: unknown = yield* portServices[call.port]
          const method = (service as Record<string, unknown>)[call.method]
          if (typeof method !== "function")
            return yield* Effect.die(new Error(`no method ${call.port}.${call.method}`))
          yield* (method as (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>)(
            ...call.args,
          )
        }),
      ),
    catch: (error) => String(error),
  })

/**
 * Wraps a port service so that each method call that changed the world (the simulator logged a
 * successful mutating call while it ran) is journaled with its arguments and completion time.
 */
const journaling = <S extends object>(
  service: S,
  port: PortName,
  simulation: Simulation,
  journal: (call: JournalCall) => void,
): S =>
  new Proxy(service, {
    get: (target, key, receiver) => {
      const value: unknown = Reflect.get(target, key, receiver)
      if (typeof value !== "function" || typeof key !== "string") return value
      return (...args: ReadonlyArray<unknown>) =>
        Effect.suspend(() => {
          const logged = simulation.callLog.length
          const effect = (value as (...a: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>).apply(
            target,
            [...args],
          )
          return Effect.tap(effect, () =>
            Effect.sync(() => {
              if (simulation.callLog.slice(logged).some((call) => call.mutating && call.outcome === "ok"))
                journal({
                  kind: "call",
                  at: simulation.now(),
                  port,
                  method: key,
                  args: structuredClone(args),
                })
            }),
          )
        })
    },
  })

const journaledPorts = (
  simulation: Simulation,
  journal: (call: JournalCall) => void,
): Layer.Layer<AwsPorts> => {
  const wrap = <I, S extends object>(port: PortName, tag: Context.Service<I, S>) =>
    Layer.effect(
      tag,
      tag.useSync((service) => journaling(service, port, simulation, journal)),
    )
  const wrapped = Layer.mergeAll(
    wrap("Ec2", Ec2),
    wrap("AutoScaling", AutoScaling),
    wrap("Ecs", Ecs),
    wrap("Ssm", Ssm),
    // Identity, IAM, CloudWatch and LoadBalancing change nothing in the world: nothing to journal.
    Layer.effect(
      Identity,
      Identity.useSync((identity) => identity),
    ),
    Layer.effect(
      CloudWatch,
      CloudWatch.useSync((cloudWatch) => cloudWatch),
    ),
    Layer.effect(
      LoadBalancing,
      LoadBalancing.useSync((loadBalancing) => loadBalancing),
    ),
    Layer.effect(
      Iam,
      Iam.useSync((iam) => iam),
    ),
  )
  return Layer.merge(Layer.provide(wrapped, simulation.layer), simulation.clockLayer)
}

/**
 * Opens the simulated world: replays `stateFile` when it exists, else starts `scenario` (journaling
 * to `stateFile` from now on when one is named), then lets `waitMs` of simulated time pass. The
 * simulated time the process stopped at is journaled when the scope closes.
 */
export const openSimulatedWorld = (options: {
  readonly scenario: string | undefined
  readonly stateFile: string | undefined
  readonly seed?: number
  readonly cwd: string
  /** Simulated time to let pass once the world is open (journaled at once). */
  readonly waitMs?: number
}) =>
  Effect.gen(function* () {
    const stateFile = options.stateFile === undefined ? undefined : resolve(options.cwd, options.stateFile)
    const append = (entry: object) => {
      if (stateFile !== undefined) appendFileSync(stateFile, `${JSON.stringify(entry)}\n`)
    }
    let simulation: Simulation
    if (stateFile !== undefined && existsSync(stateFile)) {
      const entries = yield* readJournal(stateFile)
      const header = entries[0]
      if (header?.kind !== "world")
        return yield* stateProblem(stateFile, "its first line is not a world header")
      simulation = yield* Effect.try({
        try: () => makeSimulation(header.scenario as Scenario, { seed: header.seed }),
        catch: (error) => stateProblem(stateFile, String(error)),
      })
      if (options.scenario !== undefined && options.scenario !== simulation.scenario.name)
        return yield* usageError(
          `--simulator ${options.scenario} conflicts with ${stateFile}, which holds scenario ${simulation.scenario.name}`,
          "leave out --simulator to continue that world, or give a new --simulator-state file",
        )
      for (const entry of entries.slice(1)) {
        if (entry.kind === "world") return yield* stateProblem(stateFile, "it holds a second world header")
        simulation.advance(Math.max(0, entry.at - simulation.now()))
        if (entry.kind === "call") {
          const replayed = yield* replayCall(simulation, entry).pipe(Effect.result)
          if (replayed._tag === "Failure")
            return yield* stateProblem(
              stateFile,
              `replaying ${entry.port}.${entry.method} failed: ${replayed.failure}`,
            )
        }
      }
    } else {
      if (options.scenario === undefined)
        return yield* usageError(
          "the simulator target needs a scenario",
          "give --simulator <scenario> (e.g. small), or an existing --simulator-state file",
        )
      const scenario = yield* loadScenario(options.scenario, options.cwd)
      const seed = options.seed ?? 1
      simulation = makeSimulation(scenario, { seed })
      if (stateFile !== undefined)
        writeFileSync(stateFile, `${JSON.stringify({ kind: "world", journalVersion: 1, seed, scenario })}\n`)
    }
    if (options.waitMs !== undefined && options.waitMs > 0) {
      simulation.advance(options.waitMs)
      append({ kind: "clock", at: simulation.now() })
    }
    let mutating = 0
    const ports = journaledPorts(simulation, (call) => {
      mutating += 1
      append(call)
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => append({ kind: "clock", at: simulation.now() })))
    return { simulation, ports, mutatingCalls: () => mutating, stateFile } satisfies SimulatedWorld
  })
