/**
 * EventLog drivers: memory (tests and simulations), local file (the CLI's default) and DynamoDB
 * (the Lambda's). All enforce the same lease, fencing and sequence rules and pass one contract suite.
 */
export { emptyMemoryStorage, layerMemory, makeMemoryEventLog, type MemoryStorage } from "./memory.ts"
export { defaultStateDirectory, layerFile, makeFileEventLog, type FileEventLogOptions } from "./file.ts"
export { createTable, layerDynamoDb, makeDynamoDbEventLog, type DynamoDbEventLogOptions } from "./dynamodb.ts"
export {
  InvalidEventLogLocation,
  layerForLocation,
  parseEventLogLocation,
  type EventLogLocation,
} from "./location.ts"
