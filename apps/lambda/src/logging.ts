/**
 * Structured logs: one JSON object per line on stdout, which CloudWatch Logs stores as-is and its
 * metric filters and Logs Insights can query by field. Every line carries `cluster`, `runId` and
 * `phase` (null until known), so the lines of one run can be pulled out of an invocation that handled
 * several clusters. The cluster is a log annotation; the run id and phase are only learnt while the
 * executor runs, so the progress hook writes them into a per-cluster {@link RunLogContext} that the
 * logger reads from the logging fiber.
 */
import { Cause, Context, type Layer, Logger, References } from "effect"

/** The run a cluster's work belongs to, filled in by the progress hook as the executor reveals it. */
export interface RunLogContext {
  runId: string | undefined
  phase: string | undefined
}

export const emptyRunLogContext = (): RunLogContext => ({ runId: undefined, phase: undefined })

/** The context of the cluster being worked on; absent outside of one. */
export const CurrentRunLogContext = Context.Reference<RunLogContext | undefined>(
  "@ecs-ami-deploy/lambda/CurrentRunLogContext",
  { defaultValue: () => undefined },
)

/** The annotation key naming the cluster a log line is about. */
export const clusterAnnotation = "cluster"

const messageText = (message: unknown): unknown => {
  const parts = Array.isArray(message) ? message : [message]
  return parts.length === 1
    ? parts[0]
    : parts.every((part) => typeof part === "string")
      ? parts.join(" ")
      : parts
}

/** The JSON object a log event becomes. Fixed fields first; other annotations follow. */
export const logRecord = (options: Logger.Options<unknown>): Record<string, unknown> => {
  const {
    [clusterAnnotation]: cluster,
    runId,
    phase,
    ...annotations
  } = options.fiber.getRef(References.CurrentLogAnnotations)
  const run = options.fiber.getRef(CurrentRunLogContext)
  return {
    timestamp: options.date.toISOString(),
    level: options.logLevel.toUpperCase(),
    message: messageText(options.message),
    cluster: cluster ?? null,
    runId: runId ?? run?.runId ?? null,
    phase: phase ?? run?.phase ?? null,
    ...annotations,
    ...(options.cause.reasons.length === 0 ? {} : { cause: Cause.pretty(options.cause) }),
  }
}

/** The longest string a log field keeps; the rest is cut and its length said. */
const MAX_LOG_STRING = 8 * 1024
/** CloudWatch Logs refuses events over 256 KB: a line stays well under, whatever it was given. */
export const MAX_LOG_LINE = 200 * 1024

const truncated = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max)}… (truncated: ${text.length} characters)`

/**
 * JSON text of a record, under {@link MAX_LOG_LINE}: every string is cut to {@link MAX_LOG_STRING}, and a
 * line still too long keeps only its fixed fields and the start of its message. A value JSON cannot hold
 * (a bigint, a cycle) degrades to its string form rather than losing the line.
 */
const jsonLine = (record: Record<string, unknown>): string => {
  const line = fullJsonLine(record)
  if (line.length <= MAX_LOG_LINE) return line
  const { timestamp, level, cluster, runId, phase } = record
  return JSON.stringify({
    timestamp,
    level,
    message: truncated(line, MAX_LOG_STRING),
    cluster,
    runId,
    phase,
    truncated: `the whole line had ${line.length} characters`,
  })
}

const fullJsonLine = (record: Record<string, unknown>): string => {
  const replacer = (_key: string, value: unknown) =>
    typeof value === "bigint"
      ? value.toString()
      : typeof value === "string"
        ? truncated(value, MAX_LOG_STRING)
        : value
  try {
    return JSON.stringify(record, replacer)
  } catch {
    return JSON.stringify(
      Object.fromEntries(
        Object.entries(record).map(([key, value]) => [
          key,
          typeof value === "object" && value !== null ? String(value) : value,
        ]),
      ),
      replacer,
    )
  }
}

/** A logger writing each record as one JSON line through `write`. */
export const jsonLogger = (write: (line: string) => void): Logger.Logger<unknown, void> =>
  Logger.make((options) => write(jsonLine(logRecord(options))))

/** Replaces the default loggers with JSON lines on stdout (what the Lambda runtime ships to CloudWatch). */
export const layerJsonLogs: Layer.Layer<never> = Logger.layer([
  jsonLogger((line) => process.stdout.write(`${line}\n`)),
])
