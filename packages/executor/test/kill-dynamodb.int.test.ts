/**
 * Kill at a sample of boundaries of a `standard-20` rollout, on the DynamoDB event log served by
 * dynalite in this process; each boundary gets its own table.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb"
import dynalite from "dynalite"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Effect, Exit } from "effect"
import { createTable, makeDynamoDbEventLog } from "@ecs-ami-deploy/event-log"
import { killAndResume, sample, scenario, uninterrupted } from "./kill-at-boundaries.ts"

const reference = await uninterrupted()
const server = dynalite({ createTableMs: 0 })
let client: DynamoDBClient | undefined

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: "eu-west-1",
    credentials: { accessKeyId: "fake", secretAccessKey: "fake" },
  })
})
afterAll(async () => {
  client?.destroy()
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
})

describe(`kill at sampled boundaries of ${scenario}, DynamoDB event log on dynalite`, () => {
  it.each(sample(reference.boundaries, 8))(
    "given an executor killed $when append $killAt ($event), when a fresh one resumes, then the rollout ends as if uninterrupted",
    async (boundary) => {
      if (client === undefined) throw new Error("dynalite did not start")
      const tableName = `runs-${boundary.when}-${boundary.killAt}`
      const created = await Effect.runPromiseExit(createTable({ tableName, client }))
      expect(Exit.isSuccess(created)).toBe(true)
      await killAndResume(reference, boundary, makeDynamoDbEventLog(tableName, client))
    },
  )
})
