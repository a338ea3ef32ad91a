/**
 * Test support for code that runs on the DynamoDB event log: dynalite, a DynamoDB server started in
 * this process on a free port, and clients pointed at it. Exported as `@ecs-ami-deploy/event-log/testing`
 * only, never from the main entry, so no production bundle pulls dynalite in.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb"
import dynalite from "dynalite"
import type { AddressInfo } from "node:net"

/** A running dynalite server, a client for it, and how to shut both down. */
export interface LocalDynamoDb {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string
  /** A client for `endpoint`, destroyed by `stop`. */
  readonly client: DynamoDBClient
  readonly stop: () => Promise<void>
}

/**
 * A client for a local endpoint with fake credentials. One attempt only: a local server either
 * answers or is down, and tests of error mapping must see the first failure, not a retried one.
 */
export const localDynamoDbClient = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({
    endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "fake", secretAccessKey: "fake" },
    maxAttempts: 1,
  })

/** Starts dynalite on a free port of 127.0.0.1; tables become ACTIVE as soon as they are created. */
export const startDynalite = async (): Promise<LocalDynamoDb> => {
  const server = dynalite({ createTableMs: 0 })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const client = localDynamoDbClient(endpoint)
  const stop = async () => {
    client.destroy()
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
  }
  return { endpoint, client, stop }
}
