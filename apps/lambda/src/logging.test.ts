import { describe, expect, it } from "@effect/vitest"
import { Data, Effect, Logger } from "effect"
import {
  clusterAnnotation,
  CurrentRunLogContext,
  emptyRunLogContext,
  jsonLogger,
  MAX_LOG_LINE,
} from "./logging.ts"

const captureLines = <A, E>(effect: Effect.Effect<A, E>) => {
  const lines: Array<string> = []
  return effect.pipe(
    Effect.provide(Logger.layer([jsonLogger((line) => lines.push(line))])),
    Effect.map(() => lines.map((line) => JSON.parse(line) as Record<string, unknown>)),
  )
}

class Boom extends Data.TaggedError("Boom")<Record<never, never>> {}

describe("jsonLogger", () => {
  it.effect("given no cluster context, when logging, then the run fields are present and null", () =>
    Effect.gen(function* () {
      const [record] = yield* captureLines(Effect.logInfo("cold start"))
      expect(record).toMatchObject({
        level: "INFO",
        message: "cold start",
        cluster: null,
        runId: null,
        phase: null,
      })
      expect(typeof record?.["timestamp"]).toBe("string")
    }),
  )

  it.effect(
    "given a run context the progress hook updates, when logging, then each line carries the run id and phase of that moment",
    () =>
      Effect.gen(function* () {
        const context = emptyRunLogContext()
        const records = yield* captureLines(
          Effect.gen(function* () {
            yield* Effect.logInfo("resuming")
            context.runId = "run-1"
            context.phase = "draining"
            yield* Effect.logWarning("drain is slow", { wave: 2 })
          }).pipe(
            Effect.annotateLogs(clusterAnnotation, "prod"),
            Effect.provideService(CurrentRunLogContext, context),
          ),
        )
        expect(records).toMatchObject([
          { message: "resuming", cluster: "prod", runId: null, phase: null },
          {
            level: "WARN",
            message: ["drain is slow", { wave: 2 }],
            cluster: "prod",
            runId: "run-1",
            phase: "draining",
          },
        ])
      }),
  )

  it.effect("given other annotations and a cause, when logging, then they are fields of the same line", () =>
    Effect.gen(function* () {
      const [record] = yield* captureLines(
        Effect.logError("run failed", new Boom()).pipe(Effect.annotateLogs({ trigger: "Schedule" })),
      )
      expect(record).toMatchObject({ level: "ERROR", trigger: "Schedule" })
      const failure = yield* captureLines(
        Effect.fail(new Boom()).pipe(
          Effect.tapCause((cause) => Effect.logError("failed", cause)),
          Effect.ignore,
        ),
      )
      expect(failure[0]?.["cause"]).toContain("Boom")
    }),
  )

  it.effect(
    "given unbounded fields (a 5 MB message, many long annotations), when logging, then every line stays under CloudWatch's 256 KB and says what was cut",
    () =>
      Effect.gen(function* () {
        const huge = "x".repeat(5 * 1024 * 1024)
        const many = Object.fromEntries(
          Array.from({ length: 100 }, (_, k) => [`field${k}`, "y".repeat(6000)]),
        )
        const [one, wide] = yield* captureLines(
          Effect.all([
            Effect.logInfo(huge).pipe(Effect.annotateLogs(clusterAnnotation, "prod")),
            Effect.logInfo("wide").pipe(Effect.annotateLogs(many)),
          ]),
        )
        const lengths = [one, wide].map((record) => JSON.stringify(record).length)
        expect(lengths.every((length) => length < MAX_LOG_LINE)).toBe(true)
        expect(one).toMatchObject({ cluster: "prod", level: "INFO" })
        expect(String(one?.["message"])).toContain(`(truncated: ${huge.length} characters)`)
        expect(wide?.["truncated"]).toMatch(/the whole line had \d+ characters/)
      }),
  )

  it.effect("given a value JSON cannot hold, when logging, then the line is still written", () =>
    Effect.gen(function* () {
      const cyclic: Record<string, unknown> = { name: "cycle" }
      cyclic["self"] = cyclic
      const [big, cycle] = yield* captureLines(
        Effect.all([Effect.logInfo("count", 12n), Effect.logInfo("shape", cyclic)]),
      )
      expect(big).toMatchObject({ message: ["count", "12"] })
      expect(cycle).toMatchObject({ message: expect.any(String), cluster: null })
    }),
  )
})
