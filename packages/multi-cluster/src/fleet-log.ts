/**
 * Where a fleet's stream and its clusters' runs are recorded, by the same locations as the CLI's
 * `--event-log`: `memory`, `dynamodb://TABLE`, `file://DIRECTORY` or a directory; none: the local
 * file log in the user's state directory. Both logs share one storage, so the fleet's lock is the
 * event log's. A DynamoDB table is reached in `options.aws`'s Region and profile, with the AWS ports' timeouts.
 */
import { Effect, Layer, Result } from "effect"
import {
  layerFileWithFleets,
  layerWithFleetsForLocation,
  parseEventLogLocation,
} from "@ecs-ami-deploy/event-log"
import { sdkClientConfig, type AwsConfig } from "@ecs-ami-deploy/aws"
import type { EventLog, FleetRolloutLog } from "@ecs-ami-deploy/ports"
import { InvalidOptions } from "ecs-ami-deploy"

export const fleetLogAt = (
  location?: string,
  options: { readonly cwd?: string; readonly aws?: AwsConfig } = {},
): Layer.Layer<EventLog | FleetRolloutLog, InvalidOptions> => {
  if (location === undefined) return layerFileWithFleets()
  const parsed = parseEventLogLocation(location, options.cwd)
  return Result.isSuccess(parsed)
    ? layerWithFleetsForLocation(parsed.success, { dynamoDbClientConfig: sdkClientConfig(options.aws ?? {}) })
    : Layer.effectContext(
        Effect.fail(
          new InvalidOptions({
            operation: "fleetLogAt",
            problems: [{ path: "eventLog", problem: parsed.failure.message }],
          }),
        ),
      )
}
