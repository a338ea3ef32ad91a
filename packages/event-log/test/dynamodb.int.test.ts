/**
 * The DynamoDB driver against the EventLog contract on dynalite, a DynamoDB server started in this
 * process on a free port; each test gets its own table. Also: table creation and error mapping.
 */
import { PutItemCommand } from "@aws-sdk/client-dynamodb"
import { describe, expect, it } from "@effect/vitest"
import { encodeRunEvent, EVENT_SCHEMA_VERSION, type RunEvent } from "@ecs-ami-deploy/domain"
import { EventLog } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import { afterAll } from "vitest"
import { createTable, makeDynamoDbEventLog, layerDynamoDb, layerDynamoDbWithFleets } from "../src/index.ts"
import { localDynamoDbClient, losingFirstResponseOf, startDynalite } from "../src/testing.ts"
import { eventLogContract } from "./contract.ts"
import { fleetRolloutLogContract } from "./fleet-contract.ts"
import { HERE, noted, runStarted, T0 } from "./fixtures.ts"

const dynamoDb = await startDynalite()
const { endpoint } = dynamoDb
let tableCount = 0

/** A client per test, destroyed with the test's scope. */
const scopedClient = (url: string) =>
  Effect.acquireRelease(
    Effect.sync(() => localDynamoDbClient(url)),
    (client) => Effect.sync(() => client.destroy()),
  )

afterAll(dynamoDb.stop)

/** Sets environment variables for the rest of the test's scope, then puts back what was there. */
const withEnvironment = (variables: Readonly<Record<string, string>>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const saved = Object.keys(variables).map((name) => [name, process.env[name]] as const)
      Object.assign(process.env, variables)
      return saved
    }),
    (saved) =>
      Effect.sync(() => {
        for (const [name, value] of saved) {
          if (value === undefined) delete process.env[name]
          else process.env[name] = value
        }
      }),
  )

const freshTable = Effect.gen(function* () {
  const client = yield* scopedClient(endpoint)
  tableCount += 1
  const tableName = `event-log-${tableCount}`
  yield* createTable({ tableName, client })
  return { client, tableName }
})

eventLogContract("dynamodb", () =>
  Effect.map(freshTable, ({ client, tableName }) => ({
    layer: layerDynamoDb({ tableName, client }),
    storeRawRecord: (runId: string, seq: number, record: unknown) =>
      Effect.promise(() =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: { S: `RUN#${runId}` },
              sk: { S: `EVENT#${String(seq).padStart(10, "0")}` },
              event: { S: JSON.stringify(record) },
            },
          }),
        ),
      ).pipe(Effect.asVoid),
  })),
)

/** A fresh table and a log over a client of its own, whose middleware a test may change. */
const logWithOwnClient = Effect.gen(function* () {
  const { tableName } = yield* freshTable
  const client = yield* scopedClient(endpoint)
  return { tableName, client, log: makeDynamoDbEventLog(tableName, client) }
})

fleetRolloutLogContract("dynamodb", () =>
  Effect.map(freshTable, ({ client, tableName }) => layerDynamoDbWithFleets({ tableName, client })),
)

describe("dynamodb driver", () => {
  it.live(
    "given an append whose first attempt landed but whose response was lost, when the SDK retries it, then the append succeeds once (no SequenceConflict with itself)",
    () =>
      Effect.gen(function* () {
        const { client, log } = yield* logWithOwnClient
        const lease = yield* log.acquire({
          ...HERE,
          clusterName: "prod",
          holder: "lambda-1",
          leaseMs: 60_000,
          now: T0,
        })
        yield* log.append(lease, [runStarted("run-1", "prod", T0)])
        const lostOnce = losingFirstResponseOf(client, "PutItemCommand")
        yield* log.append(lease, [noted("run-1", 1, "its response was lost")])
        expect(lostOnce()).toBe(true)
        expect(yield* log.load("run-1")).toEqual([
          runStarted("run-1", "prod", T0),
          noted("run-1", 1, "its response was lost"),
        ])
        // Someone else's event at a taken seq is still a conflict.
        const conflict = yield* Effect.flip(log.append(lease, [noted("run-1", 1, "another event at seq 1")]))
        expect(conflict._tag).toBe("SequenceConflict")
      }),
  )

  it.live(
    "given an acquisition whose first attempt landed but whose response was lost, when the SDK retries it, then the lock is acquired (not LockHeld naming itself)",
    () =>
      Effect.gen(function* () {
        const { tableName, client, log } = yield* logWithOwnClient
        const lostOnce = losingFirstResponseOf(client, "UpdateItemCommand")
        const lease = yield* log.acquire({
          ...HERE,
          clusterName: "prod",
          holder: "lambda-1",
          leaseMs: 60_000,
          now: T0,
        })
        expect(lostOnce()).toBe(true)
        expect(lease).toMatchObject({
          clusterName: "prod",
          holder: "lambda-1",
          fencingToken: 1,
          expiresAt: T0 + 60_000,
        })
        // Another holder is still refused, naming the real holder.
        const other = makeDynamoDbEventLog(tableName, yield* scopedClient(endpoint))
        const held = yield* Effect.flip(
          other.acquire({ ...HERE, clusterName: "prod", holder: "lambda-2", leaseMs: 60_000, now: T0 + 1 }),
        )
        expect(held).toMatchObject({ _tag: "LockHeld", holder: "lambda-1" })
      }),
  )

  it.live(
    "given a holder paused between its lock check and its put while another takes over, when its put lands, then exactly one event holds that seq",
    () =>
      Effect.gen(function* () {
        const { client, tableName } = yield* freshTable
        const newHolderLog = makeDynamoDbEventLog(tableName, client)
        const staleClient = yield* scopedClient(endpoint)
        const staleLog = makeDynamoDbEventLog(tableName, staleClient)
        const staleLease = yield* staleLog.acquire({
          ...HERE,
          clusterName: "prod",
          holder: "paused",
          leaseMs: 60_000,
          now: T0,
        })
        yield* staleLog.append(staleLease, [runStarted("run-1", "prod", T0)])

        // The takeover happens after the stale holder passed its lock check, right before its put is sent.
        const takeover = Effect.gen(function* () {
          const lease = yield* newHolderLog.acquire({
            ...HERE,
            clusterName: "prod",
            holder: "new",
            leaseMs: 60_000,
            now: T0 + 60_000,
          })
          const seq = (yield* newHolderLog.load("run-1")).length
          const acquired: RunEvent = {
            _tag: "LeaseAcquired",
            schemaVersion: EVENT_SCHEMA_VERSION,
            runId: "run-1",
            seq,
            at: T0 + 60_000,
            holder: "new",
            fencingToken: lease.fencingToken,
          }
          yield* newHolderLog.append(lease, [acquired])
          return acquired
        })
        let pausedOnce: Promise<RunEvent> | undefined
        staleClient.middlewareStack.add(
          (next, context) => async (args) => {
            if (context.commandName === "PutItemCommand" && pausedOnce === undefined) {
              pausedOnce = Effect.runPromise(takeover)
              await pausedOnce
            }
            return next(args)
          },
          { step: "initialize", name: "pauseBeforeFirstPut" },
        )

        const racing = yield* Effect.flip(
          staleLog.append(staleLease, [noted("run-1", 1, "from the paused holder")]),
        )
        expect(racing).toMatchObject({ _tag: "SequenceConflict", runId: "run-1", seq: 1 })
        const next = yield* Effect.flip(
          staleLog.append(staleLease, [noted("run-1", 2, "from the paused holder")]),
        )
        expect(next).toMatchObject({ _tag: "StaleLease", fencingToken: 1, currentFencingToken: 2 })

        const acquired = yield* Effect.promise(
          () => pausedOnce ?? Promise.reject(new Error("the put was never paused")),
        )
        expect(yield* newHolderLog.load("run-1")).toEqual([runStarted("run-1", "prod", T0), acquired])
      }),
  )

  it.live("given an existing table, when createTable runs again, then it succeeds and the data stays", () =>
    Effect.gen(function* () {
      const { client, tableName } = yield* freshTable
      const log = makeDynamoDbEventLog(tableName, client)
      const lease = yield* log.acquire({
        ...HERE,
        clusterName: "prod",
        holder: "lambda",
        leaseMs: 60_000,
        now: T0,
      })
      yield* log.append(lease, [runStarted("run-1", "prod", T0)])

      yield* createTable({ tableName, client })
      expect(yield* log.load("run-1")).toEqual([runStarted("run-1", "prod", T0)])
    }),
  )

  it.live(
    "given a missing table, when loading, then EventLogUnavailable is not retryable and says to create it",
    () =>
      Effect.gen(function* () {
        const client = yield* scopedClient(endpoint)
        const error = yield* Effect.flip(makeDynamoDbEventLog("no-such-table", client).load("run-1"))
        expect(error).toMatchObject({
          _tag: "EventLogUnavailable",
          location: "dynamodb://no-such-table/RUN#run-1",
          retryable: false,
        })
        expect(error.problem).toContain("ResourceNotFoundException")
        expect(error.problem).toContain("createTable")
      }),
  )

  it.live("given an endpoint nobody answers, when loading, then EventLogUnavailable is retryable", () =>
    Effect.gen(function* () {
      const stopped = yield* Effect.promise(startDynalite)
      yield* Effect.promise(stopped.stop)

      const client = yield* scopedClient(stopped.endpoint)
      const error = yield* Effect.flip(makeDynamoDbEventLog("events", client).load("run-1"))
      expect(error).toMatchObject({ _tag: "EventLogUnavailable", retryable: true })
    }),
  )

  it.live(
    "given a layer without a client, when used, then it builds one from the default chain and environment",
    () =>
      Effect.gen(function* () {
        const { tableName } = yield* freshTable
        yield* withEnvironment({
          AWS_ENDPOINT_URL_DYNAMODB: endpoint,
          AWS_REGION: "eu-west-1",
          AWS_ACCESS_KEY_ID: "fake",
          AWS_SECRET_ACCESS_KEY: "fake",
        })
        const runs = yield* EventLog.use((log) => log.runs({ ...HERE, clusterName: "prod" })).pipe(
          Effect.provide(layerDynamoDb({ tableName })),
        )
        expect(runs).toEqual([])
      }),
  )

  it.live(
    "given a layer without a client but with a client config, when used, then it builds its client from that config, not the environment",
    () =>
      Effect.gen(function* () {
        const { tableName } = yield* freshTable
        yield* withEnvironment({ AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:9", AWS_REGION: "us-east-1" })
        const runs = yield* EventLog.use((log) => log.runs({ ...HERE, clusterName: "prod" })).pipe(
          Effect.provide(
            layerDynamoDb({
              tableName,
              clientConfig: {
                endpoint,
                region: "eu-west-3",
                credentials: { accessKeyId: "fake", secretAccessKey: "fake" },
              },
            }),
          ),
        )
        expect(runs).toEqual([])
      }),
  )

  it.live(
    "given a table written by a release before account and Region keying, then its runs are listed in every Region and its live lock holds every Region until it expires",
    () =>
      Effect.gen(function* () {
        const { client, log, tableName } = yield* logWithOwnClient
        const put = (item: Record<string, { S: string } | { N: string } | { BOOL: boolean }>) =>
          Effect.promise(() => client.send(new PutItemCommand({ TableName: tableName, Item: item })))
        // What the older release wrote: the lock and the runs index keyed by the cluster name alone.
        yield* put({
          pk: { S: "LOCK#prod" },
          sk: { S: "LOCK" },
          holder: { S: "old-lambda" },
          fencingToken: { N: "3" },
          expiresAt: { N: String(T0 + 60_000) },
          released: { BOOL: false },
        })
        yield* put({
          pk: { S: "CLUSTER#prod" },
          sk: { S: "RUN#run-old" },
          runId: { S: "run-old" },
          clusterName: { S: "prod" },
          startedAt: { N: String(T0) },
        })
        yield* put({
          pk: { S: "RUN#run-old" },
          sk: { S: "EVENT#0000000000" },
          event: { S: JSON.stringify(encodeRunEvent(runStarted("run-old", "prod", T0, "legacy"))) },
        })
        const usEast1 = { ...HERE, region: "us-east-1" }

        for (const where of [HERE, usEast1]) {
          expect(yield* log.runs({ ...where, clusterName: "prod" })).toEqual([
            { runId: "run-old", clusterName: "prod", startedAt: T0, lastSeq: 0, status: "open" },
          ])
          const held = yield* Effect.flip(
            log.acquire({ ...where, clusterName: "prod", holder: "lambda", leaseMs: 60_000, now: T0 + 1 }),
          )
          expect(held).toMatchObject({ _tag: "LockHeld", holder: "old-lambda", leaseExpiresAt: T0 + 60_000 })
        }
        const lease = yield* log.acquire({
          ...HERE,
          clusterName: "prod",
          holder: "lambda",
          leaseMs: 60_000,
          now: T0 + 60_000,
        })
        expect(lease).toMatchObject({ ...HERE, fencingToken: 1 })
        // The old run, resumed under the new lease, keeps its index item; a new run is indexed by Region.
        yield* log.append(lease, [noted("run-old", 1)])
        yield* log.append(lease, [runStarted("run-new", "prod", T0 + 5_000)])
        expect(
          (yield* log.runs({ ...HERE, clusterName: "prod" })).map((run) => [
            run.runId,
            run.region,
            run.lastSeq,
          ]),
        ).toEqual([
          ["run-new", "eu-west-1", 0],
          ["run-old", undefined, 1],
        ])
        expect((yield* log.runs({ ...usEast1, clusterName: "prod" })).map((run) => run.runId)).toEqual([
          "run-old",
        ])
      }),
  )
})
