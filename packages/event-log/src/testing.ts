/**
 * Test support for code that runs on the DynamoDB event log: dynalite, a DynamoDB server started in
 * this process on a free port, clients pointed at it, and a lost response (a write that landed
 * but whose answer never came back). Exported as `@ecs-ami-deploy/event-log/testing`
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

/**
 * Makes `client` send the first request of `commandName` twice and answer with the second answer: the
 * first attempt lands, its response is lost, and the SDK's retry meets the write it made itself.
 */
export const losingFirstResponseOf = (client: DynamoDBClient, commandName: string) => {
  let lost = false
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== commandName || lost) return next(args)
      lost = true
      await next(args)
      return next(args)
    },
    { step: "finalizeRequest", priority: "low", name: `loseFirstResponse-${commandName}` },
  )
  return () => lost
}
