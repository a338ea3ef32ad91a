/**
 * The file driver against the EventLog contract, each test in a fresh temporary directory, plus what
 * only files can get wrong: corrupt and torn lines, forked logs, and the default state directory.
 */
import { describe, expect, it } from "@effect/vitest"
import { defaultStateDirectory, layerFile, layerFileWithFleets, makeFileEventLog } from "../src/index.ts"
import { Effect, Result } from "effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { eventLogContract } from "./contract.ts"
import { fleetRolloutLogContract } from "./fleet-contract.ts"
import { HERE, noted, runStarted, T0 } from "./fixtures.ts"
import { encodeRunEvent } from "@ecs-ami-deploy/domain"

const temporaryDirectory = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "event-log-"))),
  (directory) => Effect.promise(() => fs.rm(directory, { recursive: true, force: true })),
)

const runFile = (directory: string, runId: string) => path.join(directory, "runs", `${runId}.jsonl`)

eventLogContract("file", () =>
  Effect.map(temporaryDirectory, (directory) => ({
    layer: layerFile({ directory }),
    storeRawRecord: (runId: string, _seq: number, record: unknown) =>
      Effect.promise(() => fs.appendFile(runFile(directory, runId), `${JSON.stringify(record)}\n`)),
  })),
)

fleetRolloutLogContract("file", () =>
  Effect.map(temporaryDirectory, (directory) => layerFileWithFleets({ directory })),
)

describe("file driver", () => {
  const withRun = Effect.gen(function* () {
    const directory = yield* temporaryDirectory
    const log = makeFileEventLog({ directory })
    const lease = yield* log.acquire({
      ...HERE,
      clusterName: "prod",
      holder: "cli",
      leaseMs: 60_000,
      now: T0,
    })
    yield* log.append(lease, [runStarted("run-1", "prod", T0), noted("run-1", 1)])
    return { directory, log, lease, file: runFile(directory, "run-1") }
  })

  it.live("given a line that is not JSON, when loaded, then EventLogCorrupt names the file and line", () =>
    Effect.gen(function* () {
      const { log, file } = yield* withRun
      yield* Effect.promise(() => fs.appendFile(file, "{not json\n"))

      const error = yield* Effect.flip(log.load("run-1"))
      expect(error).toMatchObject({ _tag: "EventLogCorrupt", location: `${file}:3` })
    }),
  )

  it.live(
    "given two lines with one seq (a forked log), when loaded, then EventLogCorrupt instead of a silent fold",
    () =>
      Effect.gen(function* () {
        const { log, file } = yield* withRun
        const lines = (yield* Effect.promise(() => fs.readFile(file, "utf8"))).split("\n")
        yield* Effect.promise(() => fs.appendFile(file, `${lines[1]}\n`))

        const error = yield* Effect.flip(log.load("run-1"))
        expect(error).toMatchObject({ _tag: "EventLogCorrupt", location: `${file}:3` })
        expect(error.problem).toContain("expected run run-1 seq 2, found run run-1 seq 1")
      }),
  )

  it.live(
    "given a torn last line from a crashed append, when loaded and appended to, then it is ignored and cut",
    () =>
      Effect.gen(function* () {
        const { log, lease, file } = yield* withRun
        yield* Effect.promise(() => fs.appendFile(file, `{"_tag":"Noted","seq":2,"mess`))

        expect(yield* log.load("run-1")).toHaveLength(2)
        yield* log.append(lease, [noted("run-1", 2)])
        expect(yield* log.load("run-1")).toEqual([
          runStarted("run-1", "prod", T0),
          noted("run-1", 1),
          noted("run-1", 2),
        ])
      }),
  )

  it.live(
    "given two drivers on one directory (two processes), when they race for a free lock, then exactly one gets it",
    () =>
      Effect.gen(function* () {
        const directory = yield* temporaryDirectory
        const drivers = [makeFileEventLog({ directory }), makeFileEventLog({ directory })]
        const results = yield* Effect.forEach(
          drivers,
          (log, index) =>
            Effect.result(
              log.acquire({
                ...HERE,
                clusterName: "prod",
                holder: `process-${index}`,
                leaseMs: 60_000,
                now: T0,
              }),
            ),
          { concurrency: "unbounded" },
        )
        expect(results.filter(Result.isSuccess)).toHaveLength(1)
        expect(results.filter(Result.isFailure).map((result) => result.failure._tag)).toEqual(["LockHeld"])
      }),
  )

  it.live(
    "given a lease taken over by another process, when the first appends, then StaleLease from the lock files",
    () =>
      Effect.gen(function* () {
        const directory = yield* temporaryDirectory
        const [first, second] = [makeFileEventLog({ directory }), makeFileEventLog({ directory })]
        const old = yield* first.acquire({
          ...HERE,
          clusterName: "prod",
          holder: "process-1",
          leaseMs: 60_000,
          now: T0,
        })
        const taken = yield* second.acquire({
          ...HERE,
          clusterName: "prod",
          holder: "process-2",
          leaseMs: 60_000,
          now: T0 + 60_000,
        })

        const error = yield* Effect.flip(first.append(old, [runStarted("run-1", "prod", T0)]))
        expect(error).toMatchObject({
          _tag: "StaleLease",
          fencingToken: old.fencingToken,
          currentFencingToken: taken.fencingToken,
        })
      }),
  )

  it.live(
    "given run ids and cluster names with path characters, when used, then they stay inside the directory",
    () =>
      Effect.gen(function* () {
        const directory = yield* temporaryDirectory
        const log = makeFileEventLog({ directory })
        const lease = yield* log.acquire({
          ...HERE,
          clusterName: "../evil",
          holder: "cli",
          leaseMs: 60_000,
          now: T0,
        })
        yield* log.append(lease, [runStarted("../../run/1", "../evil", T0)])

        expect(yield* log.runs({ ...HERE, clusterName: "../evil" })).toMatchObject([{ runId: "../../run/1" }])
        const entries = yield* Effect.promise(() => fs.readdir(directory, { recursive: true }))
        expect(entries.sort()).toEqual([
          "cluster-locks",
          "cluster-locks/123456789012",
          "cluster-locks/123456789012/eu-west-1",
          "cluster-locks/123456789012/eu-west-1/%2E%2E%2Fevil",
          "cluster-locks/123456789012/eu-west-1/%2E%2E%2Fevil/1.json",
          "runs",
          "runs/%2E%2E%2F%2E%2E%2Frun%2F1.jsonl",
        ])
      }),
  )
})

describe("defaultStateDirectory", () => {
  it("uses XDG_STATE_HOME when it is an absolute path", () => {
    expect(defaultStateDirectory({ XDG_STATE_HOME: "/var/state" }, "linux", "/home/ada")).toBe(
      "/var/state/ecs-ami-deploy",
    )
  })
  it("falls back to ~/.local/state when XDG_STATE_HOME is unset or relative", () => {
    expect(defaultStateDirectory({}, "linux", "/home/ada")).toBe("/home/ada/.local/state/ecs-ami-deploy")
    expect(defaultStateDirectory({ XDG_STATE_HOME: "state" }, "linux", "/home/ada")).toBe(
      "/home/ada/.local/state/ecs-ami-deploy",
    )
  })
  it("uses Application Support on macOS", () => {
    expect(defaultStateDirectory({ XDG_STATE_HOME: "/var/state" }, "darwin", "/Users/ada")).toBe(
      "/Users/ada/Library/Application Support/ecs-ami-deploy",
    )
  })

  it.live(
    "given a state directory of a release before account and Region keying, then its runs are listed in every Region and its live lock holds every Region until it expires",
    () =>
      Effect.gen(function* () {
        const directory = yield* temporaryDirectory
        // What the older release wrote: `locks/<cluster>/<token>.json` and a RunStarted without account or Region.
        yield* Effect.promise(async () => {
          await fs.mkdir(path.join(directory, "locks", "prod"), { recursive: true })
          await fs.writeFile(
            path.join(directory, "locks", "prod", "3.json"),
            JSON.stringify({
              clusterName: "prod",
              holder: "old-release@host:7",
              fencingToken: 3,
              expiresAt: T0 + 60_000,
              released: false,
            }),
          )
          await fs.mkdir(path.join(directory, "runs"))
          await fs.writeFile(
            runFile(directory, "run-old"),
            `${JSON.stringify(encodeRunEvent(runStarted("run-old", "prod", T0, "legacy")))}\n`,
          )
        })
        const log = makeFileEventLog({ directory })
        const usEast1 = { ...HERE, region: "us-east-1" }

        for (const where of [HERE, usEast1]) {
          expect(yield* log.runs({ ...where, clusterName: "prod" })).toEqual([
            { runId: "run-old", clusterName: "prod", startedAt: T0, lastSeq: 0, status: "open" },
          ])
          const held = yield* Effect.flip(
            log.acquire({ ...where, clusterName: "prod", holder: "cli", leaseMs: 60_000, now: T0 + 1 }),
          )
          expect(held).toMatchObject({
            _tag: "LockHeld",
            holder: "old-release@host:7",
            leaseExpiresAt: T0 + 60_000,
          })
        }
        const lease = yield* log.acquire({
          ...HERE,
          clusterName: "prod",
          holder: "cli",
          leaseMs: 60_000,
          now: T0 + 60_000,
        })
        expect(lease).toMatchObject({ ...HERE, fencingToken: 1 })
        // The old lock directory is read, never written.
        expect(yield* Effect.promise(() => fs.readdir(path.join(directory, "locks", "prod")))).toEqual([
          "3.json",
        ])
      }),
  )
})
