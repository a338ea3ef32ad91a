/**
 * EventLog drivers: memory (tests and simulations), local file (the CLI's default) and DynamoDB
 * (the Lambda's). All enforce the same lease, fencing and sequence rules and pass one contract suite.
 */
export {
  emptyMemoryStorage,
  layerMemory,
  layerMemoryWithFleets,
  makeMemoryEventLog,
  makeMemoryFleetRolloutLog,
  type MemoryStorage,
} from "./memory.ts"
export {
  defaultStateDirectory,
  layerFile,
  layerFileWithFleets,
  makeFileEventLog,
  makeFileFleetRolloutLog,
  type FileEventLogOptions,
} from "./file.ts"
export {
  createTable,
  layerDynamoDb,
  layerDynamoDbWithFleets,
  makeDynamoDbEventLog,
  makeDynamoDbFleetRolloutLog,
  type DynamoDbEventLogOptions,
} from "./dynamodb.ts"
export {
  InvalidEventLogLocation,
  layerForLocation,
  layerWithFleetsForLocation,
  parseEventLogLocation,
  type EventLogLocation,
  type LocationOptions,
} from "./location.ts"
