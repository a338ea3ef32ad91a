/**
 * Where an event log lives, as an operator writes it (the CLI's `--event-log`): `dynamodb://TABLE`,
 * `file://DIRECTORY` or a plain directory path, or `memory` for a dry run that keeps nothing.
 */
import type { DynamoDBClientConfig } from "@aws-sdk/client-dynamodb"
import type { EventLog, FleetRolloutLog } from "@ecs-ami-deploy/ports"
import { Data, Result, type Layer } from "effect"
import * as path from "node:path"
import { layerDynamoDb, layerDynamoDbWithFleets } from "./dynamodb.ts"
import { layerFile, layerFileWithFleets } from "./file.ts"
import { layerMemory, layerMemoryWithFleets } from "./memory.ts"

export type EventLogLocation =
  | { readonly _tag: "Memory" }
  | { readonly _tag: "File"; readonly directory: string }
  | { readonly _tag: "DynamoDb"; readonly tableName: string }

export class InvalidEventLogLocation extends Data.TaggedError("InvalidEventLogLocation")<{
  readonly location: string
  readonly problem: string
}> {
  override get message(): string {
    return `event log location ${JSON.stringify(this.location)}: ${this.problem}`
  }
}

/** DynamoDB's own rule for table names. */
const tableNamePattern = /^[A-Za-z0-9_.-]{3,255}$/

/** Reads a location; relative directories resolve against `cwd`. */
export const parseEventLogLocation = (
  location: string,
  cwd: string = process.cwd(),
): Result.Result<EventLogLocation, InvalidEventLogLocation> => {
  if (location === "memory") return Result.succeed({ _tag: "Memory" })
  if (location.startsWith("dynamodb://")) {
    const tableName = location.slice("dynamodb://".length)
    return tableNamePattern.test(tableName)
      ? Result.succeed({ _tag: "DynamoDb", tableName })
      : Result.fail(
          new InvalidEventLogLocation({ location, problem: "a table name is 3 to 255 of A-Z a-z 0-9 _ . -" }),
        )
  }
  const directory = location.startsWith("file://") ? location.slice("file://".length) : location
  if (directory === "" || /^[a-z][a-z0-9+.-]*:\/\//i.test(directory))
    return Result.fail(
      new InvalidEventLogLocation({
        location,
        problem: "expected dynamodb://TABLE, file://DIRECTORY, a directory or memory",
      }),
    )
  return Result.succeed({ _tag: "File", directory: path.resolve(cwd, directory) })
}

/** How the DynamoDB driver builds its client (timeouts, Region, profile); default: the SDK's default chain. */
export interface LocationOptions {
  readonly dynamoDbClientConfig?: DynamoDBClientConfig
}

const dynamoDbOptions = (tableName: string, options: LocationOptions) => ({
  tableName,
  ...(options.dynamoDbClientConfig === undefined ? {} : { clientConfig: options.dynamoDbClientConfig }),
})

/** The driver for a location. */
export const layerForLocation = (
  location: EventLogLocation,
  options: LocationOptions = {},
): Layer.Layer<EventLog> => {
  switch (location._tag) {
    case "Memory":
      return layerMemory()
    case "File":
      return layerFile({ directory: location.directory })
    case "DynamoDb":
      return layerDynamoDb(dynamoDbOptions(location.tableName, options))
  }
}

/** The driver for a location with its fleet rollout log, both over the same storage (and locks). */
export const layerWithFleetsForLocation = (
  location: EventLogLocation,
  options: LocationOptions = {},
): Layer.Layer<EventLog | FleetRolloutLog> => {
  switch (location._tag) {
    case "Memory":
      return layerMemoryWithFleets()
    case "File":
      return layerFileWithFleets({ directory: location.directory })
    case "DynamoDb":
      return layerDynamoDbWithFleets(dynamoDbOptions(location.tableName, options))
  }
}
