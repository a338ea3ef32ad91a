/**
 * Where a command runs: real AWS (region and profile) or the simulator (`--simulator`,
 * `--simulator-state`), with the event log the flags name. This is the only place that chooses layers;
 * the commands only ever see a `RolloutEnvironment`, exactly as a library caller would.
 */
import { Effect, Layer, Option, type Scope } from "effect"
import {
  type AwsPorts,
  awsPorts,
  type EventLog,
  eventLogAt,
  type InvalidOptions,
  type RolloutEnvironment,
  silentNotifier,
} from "ecs-ami-deploy"
import { type AwsLocation, resolveAwsLocation } from "./aws-profile.ts"
import { ConsoleIo } from "./console-io.ts"
import { type CliFailure, toCliFailure, usageError } from "./failure.ts"
import { parseDuration, type TargetFlags } from "./flags.ts"
import { openSimulatedWorld, type SimulatedWorld } from "./simulated-world.ts"

/** A resolved target: the environment layer, and the simulated world when there is one. */
export interface Target {
  readonly environment: Layer.Layer<RolloutEnvironment>
  readonly world: SimulatedWorld | undefined
  /** Where runs are recorded, for messages. */
  readonly eventLogLocation: string
  /** AWS requests sent so far (simulated ones on a simulated target, this process's on AWS). */
  readonly awsRequests: () => number
  /** The AWS profile in use (`--profile`, else `AWS_PROFILE`); `undefined`: the default chain, or the simulator. */
  readonly profile: string | undefined
}

const regionPattern = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/

/**
 * The profile and Region the flags, the environment and the shared config file name (see
 * aws-profile.ts), the Region checked for shape (a typo must not reach the SDK's endpoint lookup).
 */
/** Where a Region that is not --region's came from, for the message refusing it. */
const sourceOf = (location: AwsLocation): string =>
  location.regionSource === "--region"
    ? ""
    : location.regionSource === "profile"
      ? ` (from the region of profile ${location.profile ?? "default"} in the shared config file)`
      : ` (from ${location.regionSource})`

const awsLocationOf = (flags: TargetFlags, env: Readonly<Record<string, string | undefined>>) => {
  const location = resolveAwsLocation(
    { profile: Option.getOrUndefined(flags.profile), region: Option.getOrUndefined(flags.region) },
    env,
  )
  return regionPattern.test(location.region)
    ? Effect.succeed(location)
    : Effect.fail(
        usageError(
          `"${location.region}"${sourceOf(location)} is not an AWS Region`,
          "give a Region code such as us-east-1 or eu-west-3 with --region",
        ),
      )
}

/**
 * Resolves the target of a command. `defaultEventLog` applies when `--event-log` is absent and the
 * target is a simulator without a state file (its runs would otherwise land next to real ones).
 */
export const resolveTarget = (
  flags: TargetFlags,
  options: { readonly seed?: number } = {},
): Effect.Effect<Target, CliFailure, ConsoleIo | Scope.Scope> =>
  Effect.gen(function* () {
    const io = yield* ConsoleIo
    const simulated = Option.isSome(flags.simulator) || Option.isSome(flags.simulatorState)
    if (!simulated && Option.isSome(flags.simulatorWait))
      return yield* usageError(
        "--simulator-wait moves a simulated clock, but no --simulator target was given",
        "leave out --simulator-wait, or give --simulator / --simulator-state",
      )
    const waitMs = Option.isSome(flags.simulatorWait)
      ? yield* parseDuration("simulator-wait", flags.simulatorWait.value)
      : 0
    if (simulated && (Option.isSome(flags.profile) || Option.isSome(flags.region)))
      return yield* usageError(
        "--profile and --region choose an AWS account, but --simulator runs against a simulated one",
        "leave out --profile/--region, or leave out --simulator",
      )
    const stateFile = Option.getOrUndefined(flags.simulatorState)
    const eventLogLocation =
      Option.getOrUndefined(flags.eventLog) ??
      (simulated ? (stateFile === undefined ? "memory" : `${stateFile}.events`) : undefined)
    // Relative directories resolve against the CLI's working directory; an unknown scheme is refused.
    if (simulated) {
      const eventLog = eventLogAt(eventLogLocation, { cwd: io.cwd })
      const world = yield* openSimulatedWorld({
        scenario: Option.getOrUndefined(flags.simulator),
        stateFile,
        cwd: io.cwd,
        waitMs,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      })
      const environment = yield* buildEnvironment(world.ports, eventLog)
      return {
        environment,
        world,
        eventLogLocation: eventLogLocation ?? "memory",
        awsRequests: () => world.simulation.metrics().apiCalls.awsRequests,
        profile: undefined,
      }
    }
    const { region, profile } = yield* awsLocationOf(flags, io.env)
    // A DynamoDB event log is read in the same Region and profile as the cluster.
    const eventLog = eventLogAt(eventLogLocation, {
      cwd: io.cwd,
      aws: { region, ...(profile === undefined ? {} : { profile }) },
    })
    let requests = 0
    const ports = awsPorts({
      region,
      ...(profile === undefined ? {} : { profile }),
      onRequest: () => void requests++,
    })
    return {
      environment: yield* buildEnvironment(ports, eventLog),
      world: undefined,
      eventLogLocation: eventLogLocation ?? "the local state directory",
      awsRequests: () => requests,
      profile,
    }
  })

/** Builds the environment once (so a bad `--event-log` is reported before any AWS call) and hands it on as a layer. */
const buildEnvironment = (ports: Layer.Layer<AwsPorts>, eventLog: Layer.Layer<EventLog, InvalidOptions>) =>
  Layer.build(Layer.mergeAll(ports, eventLog, silentNotifier)).pipe(
    Effect.map((context) => Layer.succeedContext(context)),
    Effect.mapError(toCliFailure),
  )
