/**
 * The DynamoDB EventLog, the Lambda's: one table holds every cluster's lock, every run's events and
 * the runs index (design, access patterns and the fencing argument: docs/event-log.md). Only
 * conditional single-item writes are used, no transactions, so the guarantees below hold on DynamoDB
 * and on dynalite alike.
 *
 * - Lock `pk=LOCK#<account>/<Region>/<cluster>, sk=LOCK`: acquisition is one UpdateItem that adds 1 to
 *   `fencingToken` on condition the lock is absent, released or expired, so tokens are unique and
 *   increasing and two acquirers can never both succeed. Renew and release are conditional on the
 *   token being unchanged. Releases before account and Region keying locked `LOCK#<cluster>`: a live
 *   lock there (an older release still running) is read first and holds the cluster in every Region.
 * - Event `pk=RUN#<runId>, sk=EVENT#<seq, 10 digits>`: put on `attribute_not_exists(pk)`, so a
 *   sequence number is written once, by exactly one writer.
 * - Fencing: before writing, an append reads the lock item (strongly consistent) and refuses a lease
 *   whose token is not current. A holder paused between that read and its put can still land events,
 *   but only at the sequence numbers right after the last one it saw; the new holder appends its
 *   `LeaseAcquired` at that same next number after loading the log, so exactly one of the two lands
 *   there. Either the stale events precede the new holder's first event and it sees them when it
 *   reloads after the conflict, or the stale put fails. Every event item also records the token it
 *   was written under.
 * - Runs index `pk=CLUSTER#<account>/<Region>/<cluster>, sk=RUN#<runId>`: written before a run's `RunStarted` event, so
 *   a stored run is always indexed; an index item whose run has no events is skipped. The last seq is
 *   read from the run's newest event, so it never lags behind the log; the outcome is set on the index
 *   item after `RunFinished` is stored, and read from the newest event if that update was lost. The
 *   runs older releases indexed under `CLUSTER#<cluster>` are listed with every Region's runs.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type QueryCommandInput,
} from "@aws-sdk/client-dynamodb"
import {
  EventLogCorrupt,
  EventLogUnavailable,
  LockHeld,
  RunOutcome,
  SequenceConflict,
  StaleLease,
  type RunEvent,
} from "@ecs-ami-deploy/domain"
import {
  EventLog,
  FleetRolloutLog,
  type ClusterRef,
  type Lease,
  type RunSummary,
} from "@ecs-ami-deploy/ports"
import { Context, Data, Effect, Layer, Schedule, Schema } from "effect"
import { formatRecord, parseRecord } from "./codec.ts"
import { fleetStreamId, makeFleetRolloutLog } from "./fleet-rollout-log.ts"
import {
  acquireLock,
  clusterKey,
  checkLeaseCurrent,
  checkSequence,
  FIRST_SEQ,
  heldLease,
  leaseOf,
  newestFirst,
  type LockRecord,
} from "./rules.ts"

type Item = Record<string, AttributeValue>

/**
 * A write's condition did not hold: each operation turns it into its own domain error. `item` is the
 * stored item when the write asked for it (`ReturnValuesOnConditionCheckFailure: ALL_OLD`).
 */
class ConditionFailed extends Data.TaggedError("ConditionFailed")<{ readonly item: Item | undefined }> {}

const retryableNames: ReadonlySet<string> = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
  "TransactionConflictException",
  "LimitExceededException",
])

interface SdkErrorShape {
  readonly name?: unknown
  readonly message?: unknown
  readonly $metadata?: { readonly httpStatusCode?: unknown }
}

const describeSdkError = (error: unknown) => {
  const shape: SdkErrorShape = typeof error === "object" && error !== null ? error : {}
  const name = typeof shape.name === "string" ? shape.name : "UnknownError"
  const status =
    typeof shape.$metadata?.httpStatusCode === "number" ? shape.$metadata.httpStatusCode : undefined
  const message = typeof shape.message === "string" ? shape.message : String(error)
  // No HTTP status means the request never got an answer (connection refused, reset, timeout), except
  // when the client could not even sign it: missing credentials do not come back by themselves.
  const retryable =
    retryableNames.has(name) || (status === undefined ? name !== "CredentialsProviderError" : status >= 500)
  return { name, message, retryable }
}

const unavailable = (location: string, error: unknown): EventLogUnavailable => {
  const { name, message, retryable } = describeSdkError(error)
  const hint =
    name === "ResourceNotFoundException" ? " (does the table exist? create it with createTable)" : ""
  return new EventLogUnavailable({ location, problem: `${name}: ${message}${hint}`, retryable })
}

/** Maps an SDK failure once, here: a failed condition for the caller, anything else EventLogUnavailable. */
const classify =
  (location: string) =>
  (error: unknown): ConditionFailed | EventLogUnavailable =>
    describeSdkError(error).name === "ConditionalCheckFailedException"
      ? new ConditionFailed({ item: (error as { readonly Item?: Item }).Item })
      : unavailable(location, error)

const seqKey = (seq: number) => `EVENT#${String(seq).padStart(10, "0")}`
const S = (value: string): AttributeValue => ({ S: value })
const N = (value: number): AttributeValue => ({ N: String(value) })
const BOOL = (value: boolean): AttributeValue => ({ BOOL: value })

const stringOf = (item: Item, name: string): string | undefined => {
  const value = item[name]
  return value !== undefined && "S" in value && typeof value.S === "string" ? value.S : undefined
}
const numberOf = (item: Item, name: string): number | undefined => {
  const value = item[name]
  return value !== undefined && "N" in value && typeof value.N === "string" ? Number(value.N) : undefined
}
const booleanOf = (item: Item, name: string): boolean | undefined => {
  const value = item[name]
  return value !== undefined && "BOOL" in value && typeof value.BOOL === "boolean" ? value.BOOL : undefined
}

const isRunOutcome = Schema.is(RunOutcome)
const outcomeOf = (item: Item): RunOutcome | undefined => {
  const outcome = stringOf(item, "outcome")
  return isRunOutcome(outcome) ? outcome : undefined
}

export interface DynamoDbEventLogOptions {
  readonly tableName: string
  /** Defaults to a client built from `clientConfig` (region, credentials, `AWS_ENDPOINT_URL_DYNAMODB`). */
  readonly client?: DynamoDBClient
  /** How to build the client when none is given (timeouts, Region, profile); default: the SDK's default chain. */
  readonly clientConfig?: DynamoDBClientConfig
}

/** The calls both DynamoDB stores make on one table: conditional writes, paginated queries, error mapping. */
const tableOf = (tableName: string, client: DynamoDBClient) => {
  const location = (key: string) => `dynamodb://${tableName}/${key}`

  const send = <A>(key: string, request: (abortSignal: AbortSignal) => Promise<A>) =>
    Effect.tryPromise({ try: request, catch: classify(location(key)) })

  /** Only conditional writes can fail their condition; for any other call it would be a bug of ours. */
  const sendUnconditional = <A>(key: string, request: (abortSignal: AbortSignal) => Promise<A>) =>
    send(key, request).pipe(Effect.catchTag("ConditionFailed", (error) => Effect.die(error)))

  const queryAll = (
    key: string,
    input: QueryCommandInput,
  ): Effect.Effect<ReadonlyArray<Item>, EventLogUnavailable> =>
    Effect.gen(function* () {
      const items: Array<Item> = []
      let exclusiveStartKey: Item | undefined
      do {
        const page = yield* sendUnconditional(key, (abortSignal) =>
          client.send(
            new QueryCommand(
              exclusiveStartKey === undefined ? input : { ...input, ExclusiveStartKey: exclusiveStartKey },
            ),
            { abortSignal },
          ),
        )
        items.push(...(page.Items ?? []))
        exclusiveStartKey = page.LastEvaluatedKey
      } while (exclusiveStartKey !== undefined)
      return items
    })

  const putIfAbsent = (key: string, item: Item) =>
    send(key, (abortSignal) =>
      client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(pk)",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
        { abortSignal },
      ),
    )

  /** The stored item a failed condition was checked against: from the failure when DynamoDB sent it, else read. */
  const storedItem = (failure: ConditionFailed, key: Item, where: string) =>
    failure.item !== undefined
      ? Effect.succeed<Item | undefined>(failure.item)
      : sendUnconditional(where, (abortSignal) =>
          client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }), {
            abortSignal,
          }),
        ).pipe(Effect.map(({ Item: item }) => item))

  return { location, send, sendUnconditional, queryAll, putIfAbsent, storedItem }
}

/** An EventLog over an existing table (see {@link createTable}) reached through `client`. */
export const makeDynamoDbEventLog = (tableName: string, client: DynamoDBClient): EventLog["Service"] => {
  const { location, send, sendUnconditional, queryAll, putIfAbsent, storedItem } = tableOf(tableName, client)

  const lockPk = (cluster: ClusterRef) => `LOCK#${clusterKey(cluster)}`
  const lockKey = (cluster: ClusterRef): Item => ({ pk: S(lockPk(cluster)), sk: S("LOCK") })
  /** Where releases before account and Region keying locked the cluster: read, never written. */
  const legacyLockPk = (cluster: ClusterRef) => `LOCK#${cluster.clusterName}`
  const indexPk = (cluster: ClusterRef) => `CLUSTER#${clusterKey(cluster)}`
  const legacyIndexPk = (cluster: ClusterRef) => `CLUSTER#${cluster.clusterName}`

  const readLockAt = (
    cluster: ClusterRef,
    pk: string,
  ): Effect.Effect<LockRecord | undefined, EventLogUnavailable | EventLogCorrupt> =>
    Effect.gen(function* () {
      const { Item: item } = yield* sendUnconditional(pk, (abortSignal) =>
        client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: { pk: S(pk), sk: S("LOCK") },
            ConsistentRead: true,
          }),
          { abortSignal },
        ),
      )
      return item === undefined ? undefined : yield* lockRecordOf(cluster, item, location(pk))
    })
  const readLock = (cluster: ClusterRef) => readLockAt(cluster, lockPk(cluster))

  const lockRecordOf = (cluster: ClusterRef, item: Item, where: string) => {
    const holder = stringOf(item, "holder")
    const fencingToken = numberOf(item, "fencingToken")
    const expiresAt = numberOf(item, "expiresAt")
    const released = booleanOf(item, "released")
    return holder === undefined ||
      fencingToken === undefined ||
      expiresAt === undefined ||
      released === undefined
      ? Effect.fail(
          new EventLogCorrupt({
            location: where,
            problem: "lock item lacks holder, fencingToken, expiresAt or released",
          }),
        )
      : Effect.succeed({
          accountId: cluster.accountId,
          region: cluster.region,
          clusterName: cluster.clusterName,
          holder,
          fencingToken,
          expiresAt,
          released,
        })
  }

  /** Called once a write conditional on `lease` failed: the lease was not current, whatever a read says now. */
  const staleLease = (lease: Lease) =>
    Effect.flatMap(readLock(lease), (current) =>
      Effect.fail(
        new StaleLease({
          clusterName: lease.clusterName,
          fencingToken: lease.fencingToken,
          currentFencingToken: current?.fencingToken ?? 0,
        }),
      ),
    )

  /** Updates the lock item only while `lease` owns it. */
  const updateOwnLock = (lease: Lease, set: string, values: Item) =>
    send(lockPk(lease), (abortSignal) =>
      client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: lockKey(lease),
          UpdateExpression: set,
          ConditionExpression: "fencingToken = :token AND released = :false",
          ExpressionAttributeValues: { ...values, ":token": N(lease.fencingToken), ":false": BOOL(false) },
          ReturnValues: "ALL_NEW",
        }),
        { abortSignal },
      ),
    )

  /** The run's newest event, or `undefined` for a run without events. */
  const lastEvent = (runId: string) =>
    Effect.gen(function* () {
      const key = `RUN#${runId}`
      const { Items: items } = yield* sendUnconditional(key, (abortSignal) =>
        client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: "pk = :pk",
            ExpressionAttributeValues: { ":pk": S(key) },
            ScanIndexForward: false,
            Limit: 1,
            ConsistentRead: true,
          }),
          { abortSignal },
        ),
      )
      const item = items?.[0]
      return item === undefined ? undefined : yield* eventOf(runId, item)
    })

  const eventOf = (runId: string, item: Item): Effect.Effect<RunEvent, EventLogCorrupt> => {
    const where = location(`RUN#${runId}/${stringOf(item, "sk") ?? "?"}`)
    const text = stringOf(item, "event")
    return text === undefined
      ? Effect.fail(new EventLogCorrupt({ location: where, problem: "item has no event attribute" }))
      : parseRecord(text, where)
  }

  const appendOne = (lease: Lease, event: RunEvent) =>
    Effect.gen(function* () {
      if (event._tag === "RunStarted")
        yield* putIfAbsent(indexPk(lease), {
          pk: S(indexPk(lease)),
          sk: S(`RUN#${event.runId}`),
          runId: S(event.runId),
          clusterName: S(event.clusterName),
          accountId: S(lease.accountId),
          region: S(lease.region),
          startedAt: N(event.at),
          // An index item that exists already (a retried RunStarted) is the same fact: keep it.
        }).pipe(Effect.catchTag("ConditionFailed", () => Effect.void))
      const record = formatRecord(event)
      yield* putIfAbsent(`RUN#${event.runId}`, {
        pk: S(`RUN#${event.runId}`),
        sk: S(seqKey(event.seq)),
        event: S(record),
        fencingToken: N(lease.fencingToken),
        holder: S(lease.holder),
      }).pipe(
        // The SDK retried a put whose first attempt landed (its response was lost): the stored event is
        // this very one, under this lease — done. Anyone else's event at this seq is a conflict.
        Effect.catchTag("ConditionFailed", (failure) =>
          Effect.flatMap(
            storedItem(
              failure,
              { pk: S(`RUN#${event.runId}`), sk: S(seqKey(event.seq)) },
              `RUN#${event.runId}`,
            ),
            (stored) =>
              stored !== undefined &&
              stringOf(stored, "event") === record &&
              numberOf(stored, "fencingToken") === lease.fencingToken
                ? Effect.void
                : Effect.fail(new SequenceConflict({ runId: event.runId, seq: event.seq })),
          ),
        ),
      )
      if (event._tag === "RunFinished")
        yield* send(
          indexPk(lease),
          (abortSignal) =>
            client.send(
              new UpdateItemCommand({
                TableName: tableName,
                Key: { pk: S(indexPk(lease)), sk: S(`RUN#${event.runId}`) },
                UpdateExpression: "SET outcome = :outcome",
                ConditionExpression: "attribute_exists(pk)",
                ExpressionAttributeValues: { ":outcome": S(event.outcome) },
              }),
              { abortSignal },
            ),
          // A run indexed under another key than the lease's (a run of an older release, indexed by cluster
          // name alone) keeps its status from its newest event.
        ).pipe(Effect.catchTag("ConditionFailed", () => Effect.void))
    })

  return EventLog.of({
    lock: (cluster) => Effect.map(readLock(cluster), heldLease),
    acquire: (input) =>
      Effect.gen(function* () {
        const key = lockPk(input)
        // A live lock of an older release (keyed by the cluster name alone) holds the cluster: checked
        // with the same rule as the lock itself, before the conditional write.
        yield* Effect.fromResult(acquireLock(undefined, input, yield* readLockAt(input, legacyLockPk(input))))
        const taken = yield* send(key, (abortSignal) =>
          client.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: lockKey(input),
              UpdateExpression:
                "SET holder = :holder, expiresAt = :expiresAt, released = :false ADD fencingToken :one",
              ConditionExpression:
                "attribute_not_exists(pk) OR released = :true OR expiresAt <= :now" +
                (input.replacing === undefined
                  ? ""
                  : " OR (holder = :deadHolder AND expiresAt = :deadExpiry)"),
              ExpressionAttributeValues: {
                ":holder": S(input.holder),
                ":expiresAt": N(input.now + input.leaseMs),
                ":false": BOOL(false),
                ":true": BOOL(true),
                ":one": N(1),
                ":now": N(input.now),
                ...(input.replacing === undefined
                  ? {}
                  : {
                      ":deadHolder": S(input.replacing.holder),
                      ":deadExpiry": N(input.replacing.leaseExpiresAt),
                    }),
              },
              ReturnValues: "ALL_NEW",
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            }),
            { abortSignal },
          ),
        ).pipe(
          Effect.map(({ Attributes: attributes }) => attributes ?? {}),
          Effect.catchTag("ConditionFailed", (failure) =>
            Effect.gen(function* () {
              const stored = yield* storedItem(failure, lockKey(input), key)
              const current =
                stored === undefined ? undefined : yield* lockRecordOf(input, stored, location(key))
              // The SDK retried an acquisition whose first attempt landed (its response was lost): the lock
              // is this very acquisition — same holder, same expiry, not released. It is ours.
              if (
                stored !== undefined &&
                current?.holder === input.holder &&
                current.expiresAt === input.now + input.leaseMs &&
                !current.released
              )
                return stored
              return yield* new LockHeld({
                clusterName: input.clusterName,
                holder: current?.holder ?? "unknown",
                leaseExpiresAt: current?.expiresAt ?? input.now,
              })
            }),
          ),
        )
        return leaseOf(yield* lockRecordOf(input, taken, location(key)))
      }),
    renew: (lease, { leaseMs, now }) =>
      updateOwnLock(lease, "SET expiresAt = :expiresAt", { ":expiresAt": N(now + leaseMs) }).pipe(
        Effect.flatMap(({ Attributes: attributes }) =>
          lockRecordOf(lease, attributes ?? {}, location(lockPk(lease))),
        ),
        Effect.map(leaseOf),
        Effect.catchTag("ConditionFailed", () => staleLease(lease)),
      ),
    release: (lease) =>
      updateOwnLock(lease, "SET released = :true", { ":true": BOOL(true) }).pipe(
        Effect.asVoid,
        // Releasing a lease that was lost or released already does nothing.
        Effect.catchTag("ConditionFailed", () => Effect.void),
      ),
    append: (lease, events) =>
      Effect.gen(function* () {
        yield* Effect.fromResult(checkLeaseCurrent(yield* readLock(lease), lease))
        const runIds = [...new Set(events.map((event) => event.runId))]
        const lastSeqs = new Map<string, number>()
        for (const runId of runIds) lastSeqs.set(runId, (yield* lastEvent(runId))?.seq ?? FIRST_SEQ - 1)
        yield* Effect.fromResult(checkSequence((runId) => lastSeqs.get(runId) ?? FIRST_SEQ - 1, events))
        for (const event of events) yield* appendOne(lease, event)
      }),
    load: (runId) =>
      queryAll(`RUN#${runId}`, {
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": S(`RUN#${runId}`) },
        ConsistentRead: true,
      }).pipe(Effect.flatMap((items) => Effect.forEach(items, (item) => eventOf(runId, item)))),
    runs: (cluster) =>
      Effect.gen(function* () {
        const indexed = yield* Effect.forEach([indexPk(cluster), legacyIndexPk(cluster)], (key) =>
          Effect.map(
            queryAll(key, {
              TableName: tableName,
              KeyConditionExpression: "pk = :pk",
              ExpressionAttributeValues: { ":pk": S(key) },
              ConsistentRead: true,
            }),
            (items) => items.map((item) => ({ key, item })),
          ),
        )
        const summaries = yield* Effect.forEach(
          indexed.flat(),
          ({ key, item }) =>
            Effect.gen(function* () {
              const runId = stringOf(item, "runId")
              const startedAt = numberOf(item, "startedAt")
              if (runId === undefined || startedAt === undefined)
                return yield* new EventLogCorrupt({
                  location: location(key),
                  problem: "run index item lacks runId or startedAt",
                })
              const last = yield* lastEvent(runId)
              if (last === undefined) return undefined
              const accountId = stringOf(item, "accountId")
              const region = stringOf(item, "region")
              const summary: RunSummary = {
                runId,
                clusterName: cluster.clusterName,
                ...(accountId === undefined ? {} : { accountId }),
                ...(region === undefined ? {} : { region }),
                startedAt,
                lastSeq: last.seq,
                status: outcomeOf(item) ?? (last._tag === "RunFinished" ? last.outcome : "open"),
              }
              return summary
            }),
          { concurrency: 8 },
        )
        return summaries.filter((summary): summary is RunSummary => summary !== undefined).sort(newestFirst)
      }),
  })
}

/**
 * The fleet rollout log on the same table: a fleet's events at `pk=FLEET#<name>, sk=EVENT#<seq>`, each
 * put on `attribute_not_exists(pk)` (a retried put that finds its own record under the same lease is
 * done), its lock the event log's `LOCK#fleet/all/<name>` item.
 */
export const makeDynamoDbFleetRolloutLog = (
  tableName: string,
  client: DynamoDBClient,
): FleetRolloutLog["Service"] => {
  const { location, queryAll, putIfAbsent, storedItem } = tableOf(tableName, client)
  const fleetPk = (fleetName: string) => `FLEET#${fleetName}`
  return makeFleetRolloutLog(makeDynamoDbEventLog(tableName, client), {
    read: (fleetName) =>
      queryAll(fleetPk(fleetName), {
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": S(fleetPk(fleetName)) },
        ConsistentRead: true,
      }).pipe(
        Effect.map((items) =>
          items.map((item) => {
            const sk = stringOf(item, "sk") ?? "?"
            return {
              seq: Number(sk.slice("EVENT#".length)),
              text: stringOf(item, "event") ?? "",
              location: location(`${fleetPk(fleetName)}/${sk}`),
            }
          }),
        ),
      ),
    write: (lease, fleetName, records) =>
      Effect.forEach(
        records,
        (record) => {
          const key = { pk: S(fleetPk(fleetName)), sk: S(seqKey(record.seq)) }
          return putIfAbsent(fleetPk(fleetName), {
            ...key,
            event: S(record.text),
            fencingToken: N(lease.fencingToken),
            holder: S(lease.holder),
          }).pipe(
            Effect.catchTag("ConditionFailed", (failure) =>
              Effect.flatMap(storedItem(failure, key, fleetPk(fleetName)), (stored) =>
                stored !== undefined &&
                stringOf(stored, "event") === record.text &&
                numberOf(stored, "fencingToken") === lease.fencingToken
                  ? Effect.void
                  : Effect.fail(new SequenceConflict({ runId: fleetStreamId(fleetName), seq: record.seq })),
              ),
            ),
          )
        },
        { discard: true },
      ),
  })
}

/** The caller's client, or one built from `clientConfig` that is destroyed when the scope closes. */
const clientOf = (options: DynamoDbEventLogOptions) =>
  options.client === undefined
    ? Effect.acquireRelease(
        Effect.sync(() => new DynamoDBClient(options.clientConfig ?? {})),
        (client) => Effect.sync(() => client.destroy()),
      )
    : Effect.succeed(options.client)

/** The DynamoDB event log and fleet rollout log on one table; a client created here is destroyed with the layer. */
export const layerDynamoDbWithFleets = (
  options: DynamoDbEventLogOptions,
): Layer.Layer<EventLog | FleetRolloutLog> =>
  Layer.effectContext(
    Effect.map(clientOf(options), (client) =>
      Context.make(EventLog, makeDynamoDbEventLog(options.tableName, client)).pipe(
        Context.add(FleetRolloutLog, makeDynamoDbFleetRolloutLog(options.tableName, client)),
      ),
    ),
  )

/** The DynamoDB driver as a layer; a client it creates itself is destroyed with the layer. */
export const layerDynamoDb = (options: DynamoDbEventLogOptions): Layer.Layer<EventLog> =>
  Layer.effect(
    EventLog,
    Effect.map(clientOf(options), (client) => makeDynamoDbEventLog(options.tableName, client)),
  )

/**
 * Creates the event log table (on-demand billing, `pk`/`sk` string keys) and waits until it is
 * active. A table that exists already is accepted as is, so the CLI may call this on every start.
 */
export const createTable = (options: DynamoDbEventLogOptions & { readonly client: DynamoDBClient }) =>
  Effect.gen(function* () {
    const { tableName, client } = options
    const where = `dynamodb://${tableName}`
    yield* Effect.tryPromise({
      try: (abortSignal) =>
        client.send(
          new CreateTableCommand({
            TableName: tableName,
            BillingMode: "PAY_PER_REQUEST",
            KeySchema: [
              { AttributeName: "pk", KeyType: "HASH" },
              { AttributeName: "sk", KeyType: "RANGE" },
            ],
            AttributeDefinitions: [
              { AttributeName: "pk", AttributeType: "S" },
              { AttributeName: "sk", AttributeType: "S" },
            ],
          }),
          { abortSignal },
        ),
      catch: (error) => error,
    }).pipe(
      Effect.catch((error) =>
        describeSdkError(error).name === "ResourceInUseException"
          ? Effect.void
          : Effect.fail(unavailable(where, error)),
      ),
    )
    yield* Effect.tryPromise({
      try: (abortSignal) => client.send(new DescribeTableCommand({ TableName: tableName }), { abortSignal }),
      catch: (error) => unavailable(where, error),
    }).pipe(
      Effect.flatMap(({ Table: table }) =>
        table?.TableStatus === "ACTIVE"
          ? Effect.void
          : Effect.fail(
              new EventLogUnavailable({
                location: where,
                problem: `table is ${table?.TableStatus ?? "missing"}`,
                retryable: true,
              }),
            ),
      ),
      Effect.retry({
        schedule: Schedule.spaced("250 millis"),
        times: 240,
        while: (error) => error.retryable,
      }),
    )
  })
