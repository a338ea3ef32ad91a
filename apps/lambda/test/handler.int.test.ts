/**
 * The Lambda on the simulator with its production event log: the DynamoDB driver against dynalite,
 * a DynamoDB server started in this process on a free port, one table per test. Real I/O sits between
 * the invocations' lock and log operations, which is where overlapping invocations race.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb"
import { describe } from "@effect/vitest"
import dynalite from "dynalite"
import { Effect } from "effect"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll } from "vitest"
import { createTable, layerDynamoDb } from "@ecs-ami-deploy/event-log"
import { lambdaOnSimulatorSuite } from "./lambda-suite.ts"

const server = dynalite({ createTableMs: 0 })
let client: DynamoDBClient | undefined
let tableCount = 0

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "fake", secretAccessKey: "fake" },
    maxAttempts: 1,
  })
})
afterAll(async () => {
  client?.destroy()
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
})

/** A fresh table on the shared server. */
const freshTable = async () => {
  if (client === undefined) throw new Error("dynalite is not started")
  tableCount += 1
  const tableName = `lambda-runs-${tableCount}`
  await Effect.runPromise(createTable({ tableName, client }))
  return layerDynamoDb({ tableName, client })
}

describe("handler on the simulator, DynamoDB event log on dynalite", () => {
  lambdaOnSimulatorSuite(freshTable)
})
