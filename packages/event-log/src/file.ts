/**
 * The local file EventLog, the CLI's default: one JSON-lines file per run and one lock directory per
 * cluster (`cluster-locks/<account>/<Region>/<name>`) under a state directory. An append returns only once its lines are flushed to disk (fsync),
 * so a crash never loses an event the executor acted upon.
 *
 * Lock: `cluster-locks/<account>/<Region>/<name>/<token>.json` holds one acquisition each (holder, fencing token, lease
 * expiry, released); the file with the highest token is the lock. Taking token N means creating
 * `<N>.json` with `link(2)` from a fully written temporary file: link fails if the name exists, so of
 * two processes racing for the same free or expired lock exactly one creates `<N>.json` and the
 * other gets LockHeld, and nobody ever reads a half-written lock. Renew and release rewrite the
 * holder's own file with write-temp-then-rename, which readers see whole or not at all; an
 * interruption waits for such a write to land, so the next lock operation never races it. A renewal
 * racing a takeover may rewrite a file that is no longer the highest; it changes nothing, because the
 * highest token alone decides which lease is current. Releases before account and Region keying kept
 * the lock in `locks/<name>`: a live lock there (an older release still running) holds the cluster in
 * every Region, and it is never written.
 *
 * Appends: within one process a semaphore serialises every check-and-write. Across processes the
 * lease decides who writes; the lock is re-read right before each append, so a holder whose lease was
 * taken over is refused. A holder paused between that check and its write could still add a line; a
 * load would then find two events with one sequence number and fail with EventLogCorrupt rather than
 * fold a forked log.
 */
import {
  EventLogCorrupt,
  EventLogUnavailable,
  LockHeld,
  SequenceConflict,
  type RunEvent,
} from "@ecs-ami-deploy/domain"
import {
  EventLog,
  FleetRolloutLog,
  type ClusterRef,
  type Lease,
  type RunSummary,
} from "@ecs-ami-deploy/ports"
import { Effect, Layer, Result, Schema, Semaphore } from "effect"
import { randomUUID } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { formatRecord, parseRecord } from "./codec.ts"
import { fleetStreamId, makeFleetRolloutLog } from "./fleet-rollout-log.ts"
import {
  acquireLock,
  belongsTo,
  checkLeaseCurrent,
  checkSequence,
  FIRST_SEQ,
  heldLease,
  leaseOf,
  newestFirst,
  summarizeRun,
  type LockRecord,
} from "./rules.ts"

const APP_NAME = "ecs-ami-deploy"

/**
 * Where the CLI keeps its state by default: `$XDG_STATE_HOME/ecs-ami-deploy`, else
 * `~/.local/state/ecs-ami-deploy`; on macOS `~/Library/Application Support/ecs-ami-deploy`.
 */
export const defaultStateDirectory = (
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string => {
  if (platform === "darwin") return path.join(home, "Library", "Application Support", APP_NAME)
  const xdgStateHome = env["XDG_STATE_HOME"]
  // The XDG spec says a relative value is invalid and must be ignored.
  if (xdgStateHome !== undefined && path.isAbsolute(xdgStateHome)) return path.join(xdgStateHome, APP_NAME)
  return path.join(home, ".local", "state", APP_NAME)
}

/** Run ids and cluster names become file names: escape anything a path could misread (`/`, `..`). */
const fileNameOf = (name: string): string =>
  encodeURIComponent(name).replaceAll(".", "%2E").replaceAll("*", "%2A")

/** An acquisition file; those of releases before account and Region keying have neither. */
const LockFile = Schema.Struct({
  accountId: Schema.optionalKey(Schema.String),
  region: Schema.optionalKey(Schema.String),
  clusterName: Schema.String,
  holder: Schema.String,
  fencingToken: Schema.Number,
  expiresAt: Schema.Number,
  released: Schema.Boolean,
})
const decodeLockFile = Schema.decodeUnknownEffect(LockFile)

const lockFileName = /^(\d+)\.json$/
const RUN_FILE_SUFFIX = ".jsonl"

const retryableCodes: ReadonlySet<string> = new Set([
  "EAGAIN",
  "EBUSY",
  "EINTR",
  "EMFILE",
  "ENFILE",
  "ETIMEDOUT",
])

const errorCode = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined

const unavailable = (location: string) => (error: unknown) =>
  new EventLogUnavailable({
    location,
    problem: error instanceof Error ? error.message : String(error),
    retryable: retryableCodes.has(errorCode(error) ?? ""),
  })

const io = <A>(location: string, run: () => Promise<A>): Effect.Effect<A, EventLogUnavailable> =>
  Effect.tryPromise({ try: run, catch: unavailable(location) })

/**
 * Makes sure the state directory is a real directory this process can create files in, creating the
 * missing levels one by one. A recursive mkdir is avoided here on purpose: on a pseudo file system
 * such as /proc it can spin forever (and the process with it); this check fails at once instead.
 */
const checkStateDirectory = (directory: string): Promise<void> =>
  (async () => {
    const missing: Array<string> = []
    for (let existing = directory; ; existing = path.dirname(existing)) {
      try {
        if (!(await fs.stat(existing)).isDirectory()) throw new Error(`${existing} is not a directory`)
        break
      } catch (error) {
        if (errorCode(error) !== "ENOENT" || path.dirname(existing) === existing) throw error
        missing.unshift(existing)
      }
    }
    for (const level of missing) await fs.mkdir(level)
    const probe = path.join(directory, `.write-check-${randomUUID()}`)
    try {
      await fs.writeFile(probe, "")
    } catch (error) {
      throw new Error(`cannot create files in ${directory} (${errorCode(error) ?? String(error)})`, {
        cause: error,
      })
    }
    await fs.unlink(probe)
  })()

/** Reads a file, or `undefined` when it does not exist. */
const readIfExists = (file: string) =>
  io(file, async () => {
    try {
      return await fs.readFile(file, "utf8")
    } catch (error) {
      if (errorCode(error) === "ENOENT") return undefined
      throw error
    }
  })

/** Opens a file for the duration of `use`, closing it whatever happens. */
const withFile = async <A>(
  file: string,
  flags: string,
  use: (handle: fs.FileHandle) => Promise<A>,
): Promise<A> => {
  const handle = await fs.open(file, flags)
  try {
    return await use(handle)
  } finally {
    await handle.close()
  }
}

/** Lists a directory, or nothing when it does not exist. */
const listIfExists = (directory: string) =>
  io(directory, async () => {
    try {
      return await fs.readdir(directory)
    } catch (error) {
      if (errorCode(error) === "ENOENT") return []
      throw error
    }
  })

/** The run id a run file stands for; `undefined` for a file this driver did not name. */
const runIdOfFileName = (name: string): string | undefined => {
  if (!name.endsWith(RUN_FILE_SUFFIX)) return undefined
  try {
    return decodeURIComponent(name.slice(0, -RUN_FILE_SUFFIX.length))
  } catch {
    return undefined
  }
}

/** Makes a directory entry (a created or renamed file) durable. */
const syncDirectory = (directory: string): Promise<void> =>
  withFile(directory, "r", (handle) => handle.sync())

/** Writes `text` to a fresh temporary file beside `target` and flushes it. */
const writeTemporary = async (target: string, text: string): Promise<string> => {
  const temporary = `${target}.${process.pid}.${randomUUID()}.tmp`
  await withFile(temporary, "wx", async (handle) => {
    await handle.writeFile(text, "utf8")
    await handle.sync()
  })
  return temporary
}

/** Every complete line of a JSON-lines file with its 1-based line number; a torn last line (no newline) is left out. */
const readLinesOf = (file: string) =>
  Effect.map(readIfExists(file), (text) => {
    if (text === undefined) return []
    const complete = text.slice(0, text.lastIndexOf("\n") + 1)
    return complete
      .split("\n")
      .slice(0, -1)
      .map((line, index) => ({ line, number: index + 1 }))
      .filter(({ line }) => line.trim() !== "")
  })

/**
 * Appends lines to a JSON-lines file and flushes them. A torn tail left by a crashed append (which never
 * reported success) is cut first, so the new lines start on a line of their own.
 */
const appendLinesTo = (file: string, lines: ReadonlyArray<string>) =>
  io(file, async () => {
    const directory = path.dirname(file)
    await fs.mkdir(directory, { recursive: true })
    const isNewFile = await withFile(file, "a+", async (handle) => {
      const { size } = await handle.stat()
      if (size > 0) {
        const existing = await handle.readFile("utf8")
        const completeBytes = Buffer.byteLength(existing.slice(0, existing.lastIndexOf("\n") + 1), "utf8")
        if (completeBytes < size) await handle.truncate(completeBytes)
      }
      await handle.appendFile(lines.map((line) => `${line}\n`).join(""), "utf8")
      await handle.sync()
      return size === 0
    })
    if (isNewFile) await syncDirectory(directory)
  })

export interface FileEventLogOptions {
  /** Defaults to {@link defaultStateDirectory}. */
  readonly directory?: string
}

/** An EventLog over the files under `directory` (created on first write). */
export const makeFileEventLog = (options: FileEventLogOptions = {}): EventLog["Service"] => {
  const directory = options.directory ?? defaultStateDirectory()
  const runsDirectory = path.join(directory, "runs")
  const runFile = (runId: string) => path.join(runsDirectory, `${fileNameOf(runId)}${RUN_FILE_SUFFIX}`)
  const lockDirectory = (cluster: ClusterRef) =>
    path.join(
      directory,
      "cluster-locks",
      fileNameOf(cluster.accountId),
      fileNameOf(cluster.region),
      fileNameOf(cluster.clusterName),
    )
  /** Where releases before account and Region keying kept the cluster's lock: read, never written. */
  const legacyLockDirectory = (cluster: ClusterRef) =>
    path.join(directory, "locks", fileNameOf(cluster.clusterName))
  const lockFile = (cluster: ClusterRef, token: number) => path.join(lockDirectory(cluster), `${token}.json`)
  const writes = Semaphore.makeUnsafe(1)
  // Checked once, before the first write (reads of a directory that does not exist find nothing).
  let stateDirectoryChecked: Promise<void> | undefined
  const writable = io(directory, () => (stateDirectoryChecked ??= checkStateDirectory(directory)))
  const writing = <A, E, R>(operation: Effect.Effect<A, E, R>) =>
    writes.withPermit(Effect.andThen(writable, operation))

  /** The acquisition with the highest token in a lock directory. */
  const readLockIn = (
    lockDirectory: string,
  ): Effect.Effect<typeof LockFile.Type | undefined, EventLogUnavailable | EventLogCorrupt> =>
    Effect.gen(function* () {
      const names = yield* listIfExists(lockDirectory)
      const tokens = names.flatMap((name) => {
        const match = lockFileName.exec(name)
        return match?.[1] === undefined ? [] : [Number(match[1])]
      })
      if (tokens.length === 0) return undefined
      const file = path.join(lockDirectory, `${Math.max(...tokens)}.json`)
      // Acquisition files are never deleted and rename replaces atomically: the file is there.
      const text = yield* io(file, () => fs.readFile(file, "utf8"))
      return yield* Effect.try({ try: (): unknown => JSON.parse(text), catch: (error) => error }).pipe(
        Effect.flatMap((json) => decodeLockFile(json)),
        Effect.mapError((error) => new EventLogCorrupt({ location: file, problem: String(error) })),
      )
    })

  /** The cluster's current lock. */
  const readLock = (
    cluster: ClusterRef,
  ): Effect.Effect<LockRecord | undefined, EventLogUnavailable | EventLogCorrupt> =>
    Effect.map(readLockIn(lockDirectory(cluster)), (record) =>
      record === undefined
        ? undefined
        : {
            accountId: cluster.accountId,
            region: cluster.region,
            clusterName: cluster.clusterName,
            holder: record.holder,
            fencingToken: record.fencingToken,
            expiresAt: record.expiresAt,
            released: record.released,
          },
    )

  /**
   * Rewrites the holder's own acquisition file (renew, release). Uninterruptible: the write goes on
   * once started whether or not anyone waits for it, so an interruption waits for it too, and the next
   * lock operation cannot run before it lands and be overwritten by it.
   */
  const rewriteLock = (record: LockRecord) => {
    const file = lockFile(record, record.fencingToken)
    return Effect.uninterruptible(
      io(file, async () => {
        const temporary = await writeTemporary(file, JSON.stringify(record))
        await fs.rename(temporary, file)
        await syncDirectory(path.dirname(file))
      }),
    )
  }

  const readLines = (runId: string) => readLinesOf(runFile(runId))

  const loadRun = (
    runId: string,
  ): Effect.Effect<ReadonlyArray<RunEvent>, EventLogUnavailable | EventLogCorrupt> =>
    Effect.gen(function* () {
      const file = runFile(runId)
      const lines = yield* readLines(runId)
      const events: Array<RunEvent> = []
      for (const { line, number } of lines) {
        const location = `${file}:${number}`
        const event = yield* parseRecord(line, location)
        const expected = (events.at(-1)?.seq ?? FIRST_SEQ - 1) + 1
        if (event.runId !== runId || event.seq !== expected)
          return yield* new EventLogCorrupt({
            location,
            problem: `expected run ${runId} seq ${expected}, found run ${event.runId} seq ${event.seq} (two writers, or an edited file)`,
          })
        events.push(event)
      }
      return events
    })

  const appendLines = (runId: string, lines: ReadonlyArray<string>) => appendLinesTo(runFile(runId), lines)

  const currentLease = (lease: Lease) =>
    Effect.flatMap(readLock(lease), (record) => Effect.fromResult(checkLeaseCurrent(record, lease)))

  return EventLog.of({
    lock: (cluster) => Effect.map(readLock(cluster), heldLease),
    acquire: (input) =>
      writing(
        Effect.gen(function* () {
          const legacy = yield* readLockIn(legacyLockDirectory(input))
          const next = yield* Effect.fromResult(acquireLock(yield* readLock(input), input, legacy))
          const file = lockFile(input, next.fencingToken)
          const created = yield* io(file, async () => {
            await fs.mkdir(path.dirname(file), { recursive: true })
            const temporary = await writeTemporary(file, JSON.stringify(next))
            try {
              await fs.link(temporary, file)
              await syncDirectory(path.dirname(file))
              return true
            } catch (error) {
              if (errorCode(error) === "EEXIST") return false
              throw error
            } finally {
              await fs.unlink(temporary)
            }
          })
          if (created) return leaseOf(next)
          // Another process created this token's file first: it holds the lock now.
          const winner = yield* readLock(input)
          return yield* new LockHeld({
            clusterName: input.clusterName,
            holder: winner?.holder ?? next.holder,
            leaseExpiresAt: winner?.expiresAt ?? next.expiresAt,
          })
        }),
      ),
    renew: (lease, { leaseMs, now }) =>
      writing(
        Effect.gen(function* () {
          const renewed = { ...(yield* currentLease(lease)), expiresAt: now + leaseMs }
          yield* rewriteLock(renewed)
          return leaseOf(renewed)
        }),
      ),
    release: (lease) =>
      writing(
        Effect.gen(function* () {
          const current = checkLeaseCurrent(yield* readLock(lease), lease)
          if (Result.isSuccess(current)) yield* rewriteLock({ ...current.success, released: true })
        }),
      ),
    append: (lease, events) =>
      writing(
        Effect.gen(function* () {
          yield* currentLease(lease)
          const runIds = [...new Set(events.map((event) => event.runId))]
          const lastSeqs = new Map<string, number>()
          for (const runId of runIds) lastSeqs.set(runId, FIRST_SEQ - 1 + (yield* readLines(runId)).length)
          yield* Effect.fromResult(checkSequence((runId) => lastSeqs.get(runId) ?? FIRST_SEQ - 1, events))
          for (const runId of runIds)
            yield* appendLines(runId, events.filter((event) => event.runId === runId).map(formatRecord))
        }),
      ),
    load: loadRun,
    runs: (cluster) =>
      Effect.gen(function* () {
        const names = yield* listIfExists(runsDirectory)
        const runIds = names.flatMap((name) => runIdOfFileName(name) ?? [])
        const runs = yield* Effect.forEach(runIds, loadRun)
        return runs
          .map(summarizeRun)
          .filter((summary): summary is RunSummary => summary !== undefined && belongsTo(summary, cluster))
          .sort(newestFirst)
      }),
  })
}

/** The file driver as a layer. */
export const layerFile = (options: FileEventLogOptions = {}): Layer.Layer<EventLog> =>
  Layer.sync(EventLog, () => makeFileEventLog(options))

/**
 * The fleet rollout log under `directory`: one JSON-lines file per fleet (`fleets/<name>.jsonl`), its
 * lock the file event log's. Writes are serialised within the process; across processes the lease
 * decides, and a load refuses a stream with a repeated sequence number rather than fold a forked one.
 */
export const makeFileFleetRolloutLog = (options: FileEventLogOptions = {}): FleetRolloutLog["Service"] => {
  const directory = options.directory ?? defaultStateDirectory()
  const fleetFile = (fleetName: string) => path.join(directory, "fleets", `${fileNameOf(fleetName)}.jsonl`)
  const writes = Semaphore.makeUnsafe(1)
  const read = (fleetName: string) =>
    Effect.gen(function* () {
      const file = fleetFile(fleetName)
      const lines = yield* readLinesOf(file)
      return yield* Effect.forEach(lines, ({ line, number }) =>
        Effect.try({
          try: () => (JSON.parse(line) as { readonly seq?: unknown }).seq,
          catch: (error) =>
            new EventLogCorrupt({ location: `${file}:${number}`, problem: `not JSON: ${String(error)}` }),
        }).pipe(
          Effect.map((seq) => ({
            seq: typeof seq === "number" ? seq : -1,
            text: line,
            location: `${file}:${number}`,
          })),
        ),
      )
    })
  return makeFleetRolloutLog(makeFileEventLog(options), {
    read,
    write: (_lease, fleetName, records) =>
      writes.withPermit(
        Effect.gen(function* () {
          const next = (yield* readLinesOf(fleetFile(fleetName))).length
          const taken = records.find((record, index) => record.seq !== next + index)
          if (taken !== undefined)
            return yield* new SequenceConflict({ runId: fleetStreamId(fleetName), seq: taken.seq })
          yield* appendLinesTo(
            fleetFile(fleetName),
            records.map((record) => record.text),
          )
        }),
      ),
  })
}

/** The file event log and fleet rollout log over one directory. */
export const layerFileWithFleets = (
  options: FileEventLogOptions = {},
): Layer.Layer<EventLog | FleetRolloutLog> =>
  Layer.merge(
    layerFile(options),
    Layer.sync(FleetRolloutLog, () => makeFileFleetRolloutLog(options)),
  )
