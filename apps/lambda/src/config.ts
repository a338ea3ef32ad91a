/**
 * The Lambda's configuration, read once at cold start from environment variables: which clusters to
 * roll, the rollout policy knobs, where the target AMI comes from, the event-log table, the
 * notification topic and the safety buffer before the invocation's deadline. Every variable is
 * checked and every problem is reported at once, naming the variable, what was found and what is
 * expected, so a misconfigured deployment fails its first invocation with a message that says what to fix.
 */
import { Data, Result } from "effect"
import { type Amount, defaultPolicy, type RolloutPolicy, validatePolicy } from "@ecs-ami-deploy/domain"

/** Where the rollout's target image comes from; mapped onto the strategies' AMI source plugins. */
export type AmiSourceSpec =
  | { readonly _tag: "image-filter"; readonly namePattern: string; readonly owners: ReadonlyArray<string> }
  | { readonly _tag: "ssm-parameter"; readonly parameterName: string }
  | { readonly _tag: "pinned"; readonly imageId: string }

export interface LambdaConfig {
  readonly clusters: ReadonlyArray<string>
  readonly policy: RolloutPolicy
  readonly amiSource: AmiSourceSpec
  readonly tableName: string
  /** Absent: notifications are only logged. */
  readonly notificationTopicArn?: string
  /** How long before the invocation's deadline the executor must have stopped. */
  readonly deadlineBufferMs: number
  /** Upper bound on consecutive self-invocations of one run; beyond it the run goes on at the resume sweep's pace. */
  readonly maxContinuations: number
  /** This function's own name (set by the Lambda runtime), the target of continuation invocations. */
  readonly functionName: string
}

/** One or more environment variables are missing or malformed. */
export class ConfigInvalid extends Data.TaggedError("ConfigInvalid")<{
  readonly problems: ReadonlyArray<{ readonly variable: string; readonly problem: string }>
}> {
  override get message(): string {
    return (
      "the Lambda's environment is misconfigured:\n" +
      this.problems.map((p) => `  ${p.variable}: ${p.problem}`).join("\n")
    )
  }
}

/** The Go tool's default image filter (owner `amazon`). */
export const defaultAmiSource: AmiSourceSpec = {
  _tag: "image-filter",
  namePattern: "al2023-ami-ecs-hvm-*-x86_64",
  owners: ["amazon"],
}

export const defaultDeadlineBufferMs = 30_000
export const defaultMaxContinuations = 100

type Env = Readonly<Record<string, string | undefined>>
type Problems = Array<ConfigInvalid["problems"][number]>
/** A variable's parser: the value, or what was expected. */
type Parse<A> = (raw: string) => Result.Result<A, string>

/**
 * Reads variables of `env`, recording each problem instead of stopping at the first: a malformed
 * optional variable falls back to its default so that the remaining ones are still checked.
 */
const envReader = (env: Env) => {
  const problems: Problems = []
  const raw = (variable: string) => {
    const value = env[variable]?.trim()
    return value === undefined || value === "" ? undefined : value
  }
  return {
    problems,
    required: (variable: string, what: string): string => {
      const value = raw(variable)
      if (value === undefined) problems.push({ variable, problem: `is required: ${what}` })
      return value ?? ""
    },
    optional: <A>(variable: string, fallback: A, parse: Parse<A>): A => {
      const value = raw(variable)
      if (value === undefined) return fallback
      return Result.getOrElse(parse(value), (expected) => {
        problems.push({ variable, problem: `${expected}, got ${JSON.stringify(value)}` })
        return fallback
      })
    },
  }
}

const wholeNumber: Parse<number> = (raw) =>
  /^\d+$/.test(raw) ? Result.succeed(Number(raw)) : Result.fail("expected a whole number ≥ 0")

const boolean: Parse<boolean> = (raw) =>
  raw === "true"
    ? Result.succeed(true)
    : raw === "false"
      ? Result.succeed(false)
      : Result.fail("expected true or false")

const amount: Parse<Amount> = (raw) => {
  const match = /^(\d+)(%?)$/.exec(raw)
  return match === null
    ? Result.fail("expected a number of instances (e.g. 2) or a percentage (e.g. 50%)")
    : Result.succeed({ unit: match[2] === "%" ? "percent" : "instances", value: Number(match[1]) })
}

const oneOf =
  <const L extends string>(literals: ReadonlyArray<L>): Parse<L> =>
  (raw) =>
    literals.find((literal) => literal === raw) === undefined
      ? Result.fail(`expected one of ${literals.join(", ")}`)
      : Result.succeed(raw as L)

const seconds: Parse<number> = (raw) => Result.map(wholeNumber(raw), (value) => value * 1000)
const minutes: Parse<number> = (raw) => Result.map(wholeNumber(raw), (value) => value * 60_000)

const snsTopicArn: Parse<string> = (raw) =>
  /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(raw)
    ? Result.succeed(raw)
    : Result.fail("expected an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)")

/** `image-filter:<name pattern>[@owner,owner]`, `ssm-parameter:<name>` or `pinned:<ami id>`. */
const amiSource: Parse<AmiSourceSpec> = (raw) => {
  const separator = raw.indexOf(":")
  const kind = raw.slice(0, separator)
  const value = raw.slice(separator + 1)
  const expected = Result.fail(
    "expected image-filter:<name pattern>[@owner,...], ssm-parameter:<parameter name> or pinned:<ami id>",
  )
  if (separator <= 0 || value === "") return expected
  switch (kind) {
    case "image-filter": {
      const [namePattern = "", owners] = value.split("@")
      return Result.succeed({
        _tag: "image-filter",
        namePattern,
        owners: owners === undefined ? ["amazon"] : owners.split(",").filter((owner) => owner !== ""),
      })
    }
    case "ssm-parameter":
      return Result.succeed({ _tag: "ssm-parameter", parameterName: value })
    case "pinned":
      return /^ami-[0-9a-f]+$/.test(value)
        ? Result.succeed({ _tag: "pinned", imageId: value })
        : Result.fail("a pinned image id looks like ami-0123456789abcdef0")
    default:
      return expected
  }
}

const clusterNames = (raw: string): ReadonlyArray<string> =>
  raw
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "")

/**
 * Decodes the environment. Variables (all but the first three optional):
 * `CLUSTERS` (comma-separated), `EVENT_LOG_TABLE`, `AWS_LAMBDA_FUNCTION_NAME` (set by Lambda),
 * `AMI_SOURCE`, `NOTIFICATION_TOPIC_ARN`, `DEADLINE_BUFFER_SECONDS`, `MAX_CONTINUATIONS`, and the policy
 * knobs `CAPACITY_MODE`, `MAX_SURGE`, `MAX_DRAINING`, `BAKE_TIME_SECONDS`, `POLL_INTERVAL_SECONDS`,
 * `NEW_CAPACITY_TIMEOUT_MINUTES`, `DRAIN_WAVE_TIMEOUT_MINUTES`, `RUN_TIMEOUT_MINUTES`, `STANDALONE_TASKS`,
 * `PROTECTED_INSTANCES`, `STANDBY_INSTANCES`, `UNSAFE_SERVICES`, `FORCE_REPLACEMENT`, `ROLLBACK_ON_FAILURE`,
 * `ALLOW_IMAGE_FAMILY_CHANGE`, `SUSPEND_AZ_REBALANCE`, `KEEP_LAUNCH_SPECS`; an absent knob keeps the domain default.
 */
export const loadConfig = (env: Env): Result.Result<LambdaConfig, ConfigInvalid> => {
  const read = envReader(env)
  const { problems } = read
  const clustersRaw = read.required("CLUSTERS", "the comma-separated names of the ECS clusters to roll")
  const clusters = clusterNames(clustersRaw)
  if (clustersRaw !== "" && clusters.length === 0)
    problems.push({ variable: "CLUSTERS", problem: "names no cluster: give at least one cluster name" })
  const tableName = read.required("EVENT_LOG_TABLE", "the DynamoDB table holding the event log")
  const functionName = read.required(
    "AWS_LAMBDA_FUNCTION_NAME",
    "set by the Lambda runtime; set it by hand when running the handler elsewhere",
  )
  const d = defaultPolicy
  const policy: RolloutPolicy = {
    capacityMode: read.optional("CAPACITY_MODE", d.capacityMode, oneOf(["surge", "detach"])),
    maxSurge: read.optional("MAX_SURGE", d.maxSurge, amount),
    maxDraining: read.optional("MAX_DRAINING", d.maxDraining, amount),
    bakeTimeMs: read.optional("BAKE_TIME_SECONDS", d.bakeTimeMs, seconds),
    pollIntervalMs: read.optional("POLL_INTERVAL_SECONDS", d.pollIntervalMs, seconds),
    timeouts: {
      newCapacityMs: read.optional("NEW_CAPACITY_TIMEOUT_MINUTES", d.timeouts.newCapacityMs, minutes),
      drainWaveMs: read.optional("DRAIN_WAVE_TIMEOUT_MINUTES", d.timeouts.drainWaveMs, minutes),
      runMs: read.optional("RUN_TIMEOUT_MINUTES", d.timeouts.runMs, minutes),
    },
    standaloneTasks: read.optional(
      "STANDALONE_TASKS",
      d.standaloneTasks,
      oneOf(["wait", "stop-after-timeout", "skip-instance"]),
    ),
    protectedInstances: read.optional(
      "PROTECTED_INSTANCES",
      d.protectedInstances,
      oneOf(["replace", "skip"]),
    ),
    standbyInstances: read.optional("STANDBY_INSTANCES", d.standbyInstances, oneOf(["skip", "replace"])),
    unsafeServices: read.optional("UNSAFE_SERVICES", d.unsafeServices, oneOf(["refuse", "proceed"])),
    forceReplacement: read.optional("FORCE_REPLACEMENT", d.forceReplacement, boolean),
    rollbackOnFailure: read.optional("ROLLBACK_ON_FAILURE", d.rollbackOnFailure, boolean),
    allowImageFamilyChange: read.optional("ALLOW_IMAGE_FAMILY_CHANGE", d.allowImageFamilyChange, boolean),
    suspendAzRebalance: read.optional("SUSPEND_AZ_REBALANCE", d.suspendAzRebalance, boolean),
    keepLaunchSpecs: read.optional("KEEP_LAUNCH_SPECS", d.keepLaunchSpecs, wholeNumber),
  }
  const validated = validatePolicy(policy)
  if (Result.isFailure(validated))
    for (const p of validated.failure.problems)
      problems.push({ variable: `policy ${p.field}`, problem: `${p.problem} — ${p.fix}` })

  const notificationTopicArn = read.optional<string | undefined>(
    "NOTIFICATION_TOPIC_ARN",
    undefined,
    snsTopicArn,
  )
  const config: LambdaConfig = {
    clusters,
    policy,
    amiSource: read.optional("AMI_SOURCE", defaultAmiSource, amiSource),
    tableName,
    ...(notificationTopicArn === undefined ? {} : { notificationTopicArn }),
    deadlineBufferMs: read.optional("DEADLINE_BUFFER_SECONDS", defaultDeadlineBufferMs, seconds),
    maxContinuations: read.optional("MAX_CONTINUATIONS", defaultMaxContinuations, wholeNumber),
    functionName,
  }
  return problems.length === 0 ? Result.succeed(config) : Result.fail(new ConfigInvalid({ problems }))
}
