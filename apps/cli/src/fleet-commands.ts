/**
 * `fleet plan|apply|status FILE` and `simulate --fleet FILE`: one AMI rollout across the clusters of a
 * fleet file, stage by stage (see @ecs-ami-deploy/multi-cluster). `plan` reads the file and the
 * fleet's stream only; `apply` starts the rollout or resumes the open one, each cluster through the
 * role the file names for it; `status` shows the newest rollout; `simulate --fleet` rehearses it on
 * one simulated world per cluster, in virtual time. A bad fleet file is refused before anything else.
 */
import { Clock, Effect, Layer, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { dirname, resolve } from "node:path"
import { formatDuration, type FleetClusterOutcome } from "@ecs-ami-deploy/domain"
import { FleetRolloutLog } from "@ecs-ami-deploy/ports"
import {
  awsClusterRunner,
  decodeFleetFile,
  defaultBakePollMs,
  describeFleetEvent,
  fleetLogAt,
  fleetStatusLines,
  fleetStatusView,
  fold,
  type FleetRolloutResult,
  runFleetRollout,
} from "@ecs-ami-deploy/multi-cluster"
import { simulatedFleet } from "@ecs-ami-deploy/multi-cluster/simulator"
import type { Scenario } from "ecs-ami-deploy/simulator"
import { MAX_SCENARIO_BYTES, readBoundedFile } from "./bounded-input.ts"
import { reportedWithRoot, runReported } from "./command-support.ts"
import { ConsoleIo, line } from "./console-io.ts"
import { CliFailure, ExitCode, toCliFailure, usageError } from "./failure.ts"
import { parseDuration, type TargetFlags } from "./flags.ts"
import { exitCodeOfOutcome } from "./outcome.ts"
import { loadScenario } from "./simulated-world.ts"

const fileArgument = Argument.String("file").pipe(
  Argument.withDescription(
    "the fleet file (JSON): stages of clusters, each with its Region, role and policy",
  ),
)

/** Reads and checks the fleet file; every problem of a bad one is a usage error, before anything else. */
export const readFleetFile = (file: string) =>
  Effect.gen(function* () {
    const io = yield* ConsoleIo
    const path = resolve(io.cwd, file)
    const text = yield* Effect.try({
      try: () => readBoundedFile(path, MAX_SCENARIO_BYTES),
      catch: (error) =>
        usageError(
          `cannot read fleet file ${path}: ${error instanceof Error ? error.message : String(error)}`,
          "give the path of a fleet JSON file (see the CLI README's fleet section)",
        ),
    })
    const definition = yield* decodeFleetFile(text, path).pipe(
      Effect.mapError((invalid) =>
        usageError(
          `fleet file ${path} cannot be used: ${invalid.problems.map(({ path: at, problem }) => `${at}: ${problem}`).join("; ")}`,
          "fix the file and run the command again (nothing was changed)",
        ),
      ),
    )
    return { path, definition }
  })

/** The exit code of a fleet rollout's end: a stop carries the code of the cluster outcome that stopped it. */
const exitCodeOfFleet = (result: FleetRolloutResult): ExitCode => {
  switch (result._tag) {
    case "NoOpenRollout":
      return ExitCode.success
    case "Suspended":
      return ExitCode.suspended
    case "Finished": {
      if (result.outcome === "succeeded") return ExitCode.success
      const outcome: FleetClusterOutcome | undefined = result.stoppedAt?.outcome
      return outcome === undefined ||
        outcome === "nothing-to-do" ||
        outcome === "refused" ||
        outcome === "error"
        ? ExitCode.failed
        : exitCodeOfOutcome(outcome)
    }
  }
}

/** Prints each fleet event as it is appended: a line of text, or a JSON line. */
const printEvent =
  (io: typeof ConsoleIo.Service, output: TargetFlags["output"]) =>
  (event: Parameters<typeof describeFleetEvent>[0]) =>
    io.out(
      `${output === "json" ? JSON.stringify({ type: "fleet-event", event }) : describeFleetEvent(event)}\n`,
    )

/** The result: a JSON line, or in text what the last event line did not already say. */
const printResult = (output: TargetFlags["output"], result: FleetRolloutResult, extra: object = {}) =>
  output === "json"
    ? line(JSON.stringify({ type: "fleet-result", result, ...extra }))
    : result._tag === "Suspended"
      ? line(`\`fleet apply\` resumes rollout ${result.rolloutId}`)
      : result._tag === "NoOpenRollout"
        ? line(`fleet ${result.fleetName} has no open rollout`)
        : Effect.void

/**
 * The fleet's stream and its clusters' runs where `--event-log` says (default: the local state
 * directory); a DynamoDB table in the Region and profile `--region` and `--profile` name.
 */
const fleetLogOf = (root: TargetFlags, cwd: string) =>
  Layer.build(
    fleetLogAt(Option.getOrUndefined(root.eventLog), {
      cwd,
      aws: {
        ...Option.match(root.region, { onNone: () => ({}), onSome: (region) => ({ region }) }),
        ...Option.match(root.profile, { onNone: () => ({}), onSome: (profile) => ({ profile }) }),
      },
    }),
  ).pipe(
    Effect.map((context) => Layer.succeedContext(context)),
    Effect.mapError(toCliFailure),
  )

/** The fleet file and where its newest rollout stands, read from the fleet's stream (changes nothing). */
const readFleetRollout = (root: TargetFlags, file: string) =>
  Effect.gen(function* () {
    const io = yield* ConsoleIo
    const { path, definition } = yield* readFleetFile(file)
    const events = yield* FleetRolloutLog.use((log) => log.load(definition.fleetName)).pipe(
      Effect.provide(yield* fleetLogOf(root, io.cwd)),
    )
    return { path, definition, status: fleetStatusView(definition, fold(events)) }
  })

const refuseSimulator = (root: TargetFlags, command: string) =>
  Option.isSome(root.simulator) || Option.isSome(root.simulatorState)
    ? Effect.fail(
        usageError(
          `fleet ${command} reaches each cluster through the fleet file's roles; --simulator is for one cluster`,
          "rehearse a fleet with `ecs-ami-deploy simulate --fleet FILE`",
        ),
      )
    : Effect.void

const planCommand = Command.make("plan", { file: fileArgument }, ({ file }) =>
  reportedWithRoot((root) =>
    Effect.gen(function* () {
      const { path, definition, status } = yield* readFleetRollout(root, file)
      const open = "stages" in status && (status.status === "open" || status.status === "suspended")
      if (root.output === "json") {
        yield* line(
          JSON.stringify({
            type: "fleet-plan",
            file: path,
            definition,
            ...(open ? { openRollout: status } : {}),
          }),
        )
        return ExitCode.success
      }
      const clusters = definition.stages.reduce((sum, stage) => sum + stage.clusters.length, 0)
      yield* line(
        `fleet ${definition.fleetName} (${path}): ${definition.stages.length} stage(s), ${clusters} cluster(s)`,
      )
      for (const [index, stage] of definition.stages.entries()) {
        const alarms = stage.clusters.reduce((sum, cluster) => sum + (cluster.policy.alarms ?? []).length, 0)
        const bake =
          alarms === 0
            ? "(no alarms named: it only waits)"
            : `reading the clusters' ${alarms} alarm(s) every ${formatDuration(defaultBakePollMs)} and at its end (one in ALARM stops the fleet)`
        yield* line(
          `stage ${index + 1} ${stage.name}: ${stage.clusters.length} cluster(s), ${stage.batchSize} at a time, then bake ${formatDuration(stage.bakeMs)} ${bake}${index === 0 ? "" : `; starts only when stage ${definition.stages[index - 1]?.name} succeeded and baked without an alarm`}`,
        )
        for (const cluster of stage.clusters)
          yield* line(
            `  ${cluster.id.padEnd(44)} ${cluster.roleArn === undefined ? "caller's credentials" : `role ${cluster.roleArn}`}${Object.keys(cluster.policy).length === 0 ? "" : `; policy ${JSON.stringify(cluster.policy)}`}`,
          )
      }
      yield* line(
        open
          ? `open rollout ${"rolloutId" in status ? status.rolloutId : ""}: \`fleet apply\` resumes it (\`fleet status\` shows where it is)`
          : "`fleet apply` starts the rollout; any failure stops the fleet and says where",
      )
      yield* line(
        "each cluster's own plan: `ecs-ami-deploy plan --cluster C -r REGION` with the cluster's role",
      )
      return ExitCode.success
    }),
  ),
).pipe(
  Command.withDescription(
    "Show a fleet file's stages, batches, bakes and clusters, and any open rollout. Changes nothing.",
  ),
)

const applyCommand = Command.make(
  "apply",
  {
    file: fileArgument,
    yes: Flag.Boolean("yes").pipe(
      Flag.withAlias("y"),
      Flag.withDescription("roll the fleet without asking (required when not on a terminal)"),
      Flag.withDefault(false),
    ),
    maxRunTime: Flag.String("max-run-time").pipe(
      Flag.withDescription("suspend the fleet rollout after this long, e.g. 2h; `fleet apply` resumes it"),
      Flag.optional,
    ),
  },
  (flags) =>
    reportedWithRoot((root) =>
      Effect.gen(function* () {
        const io = yield* ConsoleIo
        yield* refuseSimulator(root, "apply")
        const { definition } = yield* readFleetFile(flags.file)
        const deadline = Option.isSome(flags.maxRunTime)
          ? (yield* Clock.currentTimeMillis) + (yield* parseDuration("max-run-time", flags.maxRunTime.value))
          : undefined
        if (!flags.yes) {
          if (!io.interactive || root.output === "json")
            return yield* usageError(
              "not on a terminal (or --output json), so nobody can confirm rolling the fleet",
              "review `fleet plan FILE` first, then run again with --yes",
            )
          if (
            !(yield* io.confirm(`roll fleet ${definition.fleetName} (${definition.stages.length} stages)?`))
          )
            return ExitCode.failed
        }
        const log = yield* fleetLogOf(root, io.cwd)
        const profile = Option.getOrUndefined(root.profile)
        const runner = awsClusterRunner({
          fleetName: definition.fleetName,
          ...(profile === undefined ? {} : { profile }),
        }).pipe(Layer.provide(log))
        const result = yield* runFleetRollout({
          definition,
          holder: `ecs-ami-deploy-fleet@${process.pid}`,
          startIfNone: true,
          ...(deadline === undefined ? {} : { deadline }),
          onEvent: printEvent(io, root.output),
        }).pipe(Effect.provide(Layer.merge(runner, log)))
        yield* printResult(root.output, result)
        return exitCodeOfFleet(result)
      }),
    ),
).pipe(
  Command.withDescription(
    "Roll the fleet: stage by stage, each cluster through its role, a stage only after the previous one succeeded and baked; resumes an open rollout.",
  ),
)

const statusCommand = Command.make("status", { file: fileArgument }, ({ file }) =>
  reportedWithRoot((root) =>
    Effect.gen(function* () {
      const { status } = yield* readFleetRollout(root, file)
      if (root.output === "json") yield* line(JSON.stringify({ type: "fleet-status", status }))
      else yield* Effect.forEach(fleetStatusLines(status), line, { discard: true })
      return ExitCode.success
    }),
  ),
).pipe(
  Command.withDescription(
    "The fleet's newest rollout: each stage and cluster, run ids, and where it stopped.",
  ),
)

export const fleetCommand = Command.make("fleet").pipe(
  Command.withDescription("Roll an AMI across many clusters in stages (see `fleet plan FILE`)."),
  Command.withSubcommands([planCommand, applyCommand, statusCommand]),
  Command.withExamples([
    {
      command: "ecs-ami-deploy fleet plan fleet.json",
      description: "stages, batches and clusters; changes nothing",
    },
    {
      command: "ecs-ami-deploy fleet apply fleet.json --yes",
      description: "roll the fleet (or resume its open rollout)",
    },
    { command: "ecs-ami-deploy fleet status fleet.json -o json", description: "where the rollout is" },
  ]),
)

/**
 * `simulate --fleet FILE`: the fleet's rollout on one simulated world per cluster (each cluster's
 * `simulate.scenario`, a built-in name or a file relative to the fleet file; default `small`).
 */
export const simulateFleet = (root: TargetFlags, file: string) =>
  runReported(
    root.output,
    Effect.gen(function* () {
      const io = yield* ConsoleIo
      const { path, definition } = yield* readFleetFile(file)
      const scenarioByName = new Map<string, Scenario>()
      for (const stage of definition.stages)
        for (const cluster of stage.clusters) {
          const name = cluster.simulate?.scenario ?? "small"
          if (!scenarioByName.has(name)) scenarioByName.set(name, yield* loadScenario(name, dirname(path)))
        }
      const fleet = yield* Effect.try({
        try: () =>
          simulatedFleet(
            definition,
            (cluster) => scenarioByName.get(cluster.simulate?.scenario ?? "small") as Scenario,
          ),
        catch: (error) =>
          usageError(
            `the fleet's simulated worlds cannot be built: ${error instanceof Error ? error.message : String(error)}`,
            "check each cluster's simulate.scenario and simulate.faults in the fleet file",
          ),
      })
      const log = yield* fleetLogOf(
        { ...root, eventLog: Option.orElse(root.eventLog, () => Option.some("memory")) },
        io.cwd,
      )
      const startedAt = fleet.clock.currentTimeMillisUnsafe()
      const wallStart = performance.now()
      if (root.output === "text")
        yield* line(
          `simulating fleet ${definition.fleetName} from ${path}: one simulated world per cluster, virtual time`,
        )
      const result = yield* runFleetRollout({
        definition,
        holder: "simulate",
        startIfNone: true,
        onEvent: printEvent(io, root.output),
      }).pipe(Effect.provide(Layer.mergeAll(fleet.runner().pipe(Layer.provide(log)), log, fleet.clockLayer)))
      const wallMs = Math.round(performance.now() - wallStart)
      const simulatedMs = fleet.clock.currentTimeMillisUnsafe() - startedAt
      const awsRequests = [...fleet.worlds.values()].reduce(
        (sum, world) => sum + world.metrics().apiCalls.awsRequests,
        0,
      )
      const summary = {
        clusters: fleet.worlds.size,
        simulatedDuration: formatDuration(simulatedMs),
        simulatedDurationMs: simulatedMs,
        wallTimeMs: wallMs,
        awsRequests,
        assumeRoleCalls: fleet.assumeRoleCalls.length,
      }
      yield* printResult(root.output, result, { summary })
      if (root.output === "text")
        yield* line(
          `${summary.clusters} simulated clusters; fleet duration ${summary.simulatedDuration} (simulated); wall time ${(wallMs / 1000).toFixed(1)} s; ${awsRequests} simulated AWS requests; ${summary.assumeRoleCalls} AssumeRole calls`,
        )
      return exitCodeOfFleet(result)
    }).pipe(Effect.mapError((error) => (error instanceof CliFailure ? error : toCliFailure(error)))),
  )
