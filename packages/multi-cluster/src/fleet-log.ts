/**
 * Where a fleet's stream and its clusters' runs are recorded, by the same locations as the CLI's
 * `--event-log`: `memory`, `dynamodb://TABLE`, `file://DIRECTORY` or a directory; none: the local
 * file log in the user's state directory. Both logs share one storage, so the fleet's lock is the
 * event log's.
 */
import { Effect, Layer, Result } from "effect"
import {
  layerFileWithFleets,
  layerWithFleetsForLocation,
  parseEventLogLocation,
} from "@ecs-ami-deploy/event-log"
import type { EventLog, FleetRolloutLog } from "@ecs-ami-deploy/ports"
import { InvalidOptions } from "ecs-ami-deploy"

export const fleetLogAt = (
  location?: string,
  options: { readonly cwd?: string } = {},
): Layer.Layer<EventLog | FleetRolloutLog, InvalidOptions> => {
  if (location === undefined) return layerFileWithFleets()
  const parsed = parseEventLogLocation(location, options.cwd)
  return Result.isSuccess(parsed)
    ? layerWithFleetsForLocation(parsed.success)
    : Layer.effectContext(
        Effect.fail(
          new InvalidOptions({
            operation: "fleetLogAt",
            problems: [{ path: "eventLog", problem: parsed.failure.message }],
          }),
        ),
      )
}
