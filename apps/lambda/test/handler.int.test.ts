/**
 * The Lambda on the simulator with its production event log: the DynamoDB driver against dynalite,
 * a DynamoDB server started in this process on a free port, one table per test. Real I/O sits between
 * the invocations' lock and log operations, which is where overlapping invocations race.
 */
import { describe } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import { createTable, layerDynamoDb } from "@ecs-ami-deploy/event-log"
import { startDynalite } from "@ecs-ami-deploy/event-log/testing"
import { lambdaOnSimulatorSuite } from "./lambda-suite.ts"

const dynamoDb = await startDynalite()
const { client } = dynamoDb
let tableCount = 0

afterAll(dynamoDb.stop)

/** A fresh table on the shared server. */
const freshTable = async () => {
  tableCount += 1
  const tableName = `lambda-runs-${tableCount}`
  await Effect.runPromise(createTable({ tableName, client }))
  return layerDynamoDb({ tableName, client })
}

describe("handler on the simulator, DynamoDB event log on dynalite", () => {
  lambdaOnSimulatorSuite(freshTable)
})
