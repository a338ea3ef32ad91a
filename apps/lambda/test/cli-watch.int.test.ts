/**
 * The day-2 command of apps/infra/README.md that watches a Lambda's run from a terminal,
 * `ecs-ami-deploy status --cluster C --event-log dynamodb://TABLE`, run as a user runs it (the CLI in a
 * child process, the table reached through the default chain) against the table an invocation of the
 * handler just wrote: dynalite in this process on a free port, pointed at by AWS_ENDPOINT_URL_DYNAMODB.
 * The CLI's target is the simulated `small` scenario so that nothing but the event log is read.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import path from "node:path"
import { promisify } from "node:util"
import { afterAll } from "vitest"
import { createTable, layerDynamoDb } from "@ecs-ami-deploy/event-log"
import { startDynalite } from "@ecs-ami-deploy/event-log/testing"
import { makeSimulatedLambda, scheduledEvent } from "./simulated-lambda.ts"

const cliMain = path.resolve(import.meta.dirname, "..", "..", "cli", "src", "main.ts")
const dynamoDb = await startDynalite()
afterAll(dynamoDb.stop)

/** The CLI as installed, with credentials and Region from the environment, DynamoDB at dynalite. */
const runCli = (args: ReadonlyArray<string>) => {
  const { AWS_PROFILE: _profile, ...env } = process.env
  return promisify(execFile)(process.execPath, ["--conditions=@ecs-ami-deploy/source", cliMain, ...args], {
    env: {
      ...env,
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "fake",
      AWS_SECRET_ACCESS_KEY: "fake",
      AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.endpoint,
    },
  })
}

describe("watching a Lambda run from the CLI", () => {
  it("given a run an invocation left open in its DynamoDB table, when status --event-log dynamodb://TABLE runs, then it shows that run", async () => {
    const tableName = "EcsAmiDeploy-EventLog"
    await Effect.runPromise(createTable({ tableName, client: dynamoDb.client }))
    const lambda = makeSimulatedLambda(layerDynamoDb({ tableName, client: dynamoDb.client }))
    await lambda.invoke(scheduledEvent, 4 * 60_000)
    expect(lambda.pendingHandOvers).toHaveLength(1)
    const runId = (await lambda.runEvents())[0]?.runId
    const cluster = lambda.config.clusters[0] ?? ""

    const { stdout } = await runCli([
      "status",
      "--cluster",
      cluster,
      "--event-log",
      `dynamodb://${tableName}`,
      "--simulator",
      "small",
    ])
    expect(stdout).toContain(`run ${runId} on ${cluster}`)
    // Open and waiting for the next invocation: suspended, the lock released.
    expect(stdout).toMatch(/state +suspended since /)
  }, 120_000)
})
