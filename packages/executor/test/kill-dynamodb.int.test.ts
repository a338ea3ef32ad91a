/**
 * Kill at a sample of boundaries of a `standard-20` rollout, on the DynamoDB event log served by
 * dynalite in this process; each boundary gets its own table.
 */
import { afterAll, describe, expect, it } from "vitest"
import { Effect, Exit } from "effect"
import { createTable, makeDynamoDbEventLog } from "@ecs-ami-deploy/event-log"
import { startDynalite } from "@ecs-ami-deploy/event-log/testing"
import { killAndResume, sample, scenario, uninterrupted } from "./kill-at-boundaries.ts"

const reference = await uninterrupted()
const dynamoDb = await startDynalite()
const { client } = dynamoDb

afterAll(dynamoDb.stop)

describe(`kill at sampled boundaries of ${scenario}, DynamoDB event log on dynalite`, () => {
  it.each(sample(reference.boundaries, 8))(
    "given an executor killed $when append $killAt ($event), when a fresh one resumes, then the rollout ends as if uninterrupted",
    async (boundary) => {
      const tableName = `runs-${boundary.when}-${boundary.killAt}`
      const created = await Effect.runPromiseExit(createTable({ tableName, client }))
      expect(Exit.isSuccess(created)).toBe(true)
      await killAndResume(reference, boundary, makeDynamoDbEventLog(tableName, client))
    },
  )
})
