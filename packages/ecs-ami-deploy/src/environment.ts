/**
 * Where a rollout runs, as layers: the AWS ports (real AWS here; the simulator from the separate
 * `ecs-ami-deploy/simulator` entry, so a Lambda bundle of this one never contains it), the event log
 * (in memory, a local directory — the default — or a DynamoDB table), and who is told about runs.
 */
import { Effect, Layer, Result } from "effect"
import { AwsLive, IamLive, sdkClientConfig, type AwsConfig } from "@ecs-ami-deploy/aws"
import { layerFile, layerForLocation, layerMemory, parseEventLogLocation } from "@ecs-ami-deploy/event-log"
import {
  type AutoScaling,
  type CloudWatch,
  type Ec2,
  type Ecs,
  EventLog,
  type Iam,
  type Identity,
  type LoadBalancing,
  Notifier,
  type Ssm,
} from "@ecs-ami-deploy/ports"
import { InvalidOptions } from "./errors.ts"

/**
 * The AWS ports a rollout uses — real AWS (`awsPorts`) or the simulator (`simulatedPorts`) — and the
 * IAM read of `iam-policy --cluster` (a rollout never calls it).
 */
export type AwsPorts = Ec2 | AutoScaling | Ecs | Ssm | CloudWatch | LoadBalancing | Identity | Iam

/** Everything the Effect API needs from its caller: the AWS ports, the event log and a notifier. */
export type RolloutEnvironment = AwsPorts | EventLog | Notifier

/** Region and profile for real AWS; anything left out comes from the SDK's default chain. */
export type { AwsConfig }

/** The AWS ports on the AWS SDK, with the SDK's default credential chain plus `config`. */
export const awsPorts = (config: AwsConfig = {}): Layer.Layer<AwsPorts> =>
  Layer.merge(AwsLive(config), IamLive(config))

/**
 * An event log by location, as the CLI's `--event-log` reads it: `"memory"` (lost with the process),
 * `"dynamodb://TABLE"`, `"file://DIRECTORY"` or a directory; without a location, the local file log
 * in the user's state directory (`~/.local/state/ecs-ami-deploy`). A relative directory resolves
 * against `options.cwd` (default: the process's). A DynamoDB table is reached in `options.aws`'s
 * Region and profile (default: the SDK's default chain), with the AWS ports' timeouts. A location that
 * does not parse — an unknown scheme such as `s3://b`, or `DYNAMODB://t` — is an `InvalidOptions` naming it.
 */
export const eventLogAt = (
  location?: string,
  options: { readonly cwd?: string; readonly aws?: AwsConfig } = {},
): Layer.Layer<EventLog, InvalidOptions> => {
  if (location === undefined) return layerFile()
  const parsed = parseEventLogLocation(location, options.cwd)
  return Result.isSuccess(parsed)
    ? layerForLocation(parsed.success, { dynamoDbClientConfig: sdkClientConfig(options.aws ?? {}) })
    : Layer.effect(
        EventLog,
        Effect.fail(
          new InvalidOptions({
            operation: "eventLogAt",
            problems: [{ path: "eventLog", problem: parsed.failure.message }],
          }),
        ),
      )
}

/** An in-memory event log that keeps its runs for as long as the layer value lives, across calls. */
export const memoryEventLog = (): Layer.Layer<EventLog> => layerMemory()

/** A notifier that tells nobody: the event log and progress callbacks already say everything. */
export const silentNotifier: Layer.Layer<Notifier> = Layer.succeed(Notifier, { notify: () => Effect.void })

/** How a call reaches the world: which AWS ports, which event log, and who is notified. */
export interface EnvironmentChoice {
  /** `awsPorts({ region, profile })`, or `simulatedPorts(simulation)` from `ecs-ami-deploy/simulator`. */
  readonly ports: Layer.Layer<AwsPorts>
  /** A location for {@link eventLogAt}, or an event log layer such as {@link memoryEventLog}. Default: the local file log. */
  readonly eventLog?: string | Layer.Layer<EventLog>
  /** Default: {@link silentNotifier}. */
  readonly notifier?: Layer.Layer<Notifier>
}

/** The whole environment of the Effect API in one layer. */
export const rolloutEnvironment = (
  choice: EnvironmentChoice,
): Layer.Layer<RolloutEnvironment, InvalidOptions> =>
  Layer.mergeAll(
    choice.ports,
    typeof choice.eventLog === "object" ? choice.eventLog : eventLogAt(choice.eventLog),
    choice.notifier ?? silentNotifier,
  )
