/**
 * The Lambda's configuration, read once at cold start from environment variables: the deployment's own
 * variables (which clusters to roll, the event-log table, the notification topic, the function's name)
 * and the settings a deployer chooses (the rollout policy knobs, where the target AMI comes from, the
 * safety buffer before the invocation's deadline, the hand-over bound). Every variable is checked and
 * every problem is reported at once, naming the variable, what was found and what is expected. The
 * settings' decoder is exported (`decodeSettings`, which also refuses unknown keys) so that the CDK
 * stack checks its `settings` at synthesis with the very code the cold start runs.
 */
import { Data, Effect, Result } from "effect"
import { decodeFleetFile, type FleetDefinition } from "@ecs-ami-deploy/multi-cluster"
import { type Amount, defaultPolicy, type RolloutPolicy, validatePolicy } from "@ecs-ami-deploy/domain"
import { type AmiSourceSpec, amiIdPattern, defaultAmiSourceSpec } from "@ecs-ami-deploy/strategies"

/** Where the rollout's target image comes from: the strategies' spec, shared with the CLI and the library. */
export type { AmiSourceSpec }

/** What a deployment chooses: the variables of {@link settingNames}, decoded. */
export interface LambdaSettings {
  readonly policy: RolloutPolicy
  readonly amiSource: AmiSourceSpec
  /** How long before the invocation's deadline the executor must have stopped. */
  readonly deadlineBufferMs: number
  /** Upper bound on consecutive self-invocations of one run; beyond it the run goes on at the resume sweep's pace. */
  readonly maxContinuations: number
}

export interface LambdaConfig extends LambdaSettings {
  /** Empty when the function rolls a fleet ({@link fleetVariable}). */
  readonly clusters: ReadonlyArray<string>
  /** The fleet the triggers roll instead of `clusters`, decoded from {@link fleetVariable}. */
  readonly fleet?: FleetDefinition
  readonly tableName: string
  /** Absent: notifications are only logged. */
  readonly notificationTopicArn?: string
  /** This function's own name (set by the Lambda runtime), the target of continuation invocations. */
  readonly functionName: string
}

/** The variable holding the fleet file (JSON text) a fleet deployment rolls. */
export const fleetVariable = "FLEET"

/** The fleet file of `FLEET`, decoded by the fleet's own decoder; each problem recorded under the variable. */
const fleetOf = (text: string | undefined, problems: Problems): FleetDefinition | undefined => {
  if (text === undefined) return undefined
  const decoded = Effect.runSync(Effect.result(decodeFleetFile(text, fleetVariable)))
  if (Result.isSuccess(decoded)) return decoded.success
  problems.push(
    ...decoded.failure.problems.map((problem) => ({
      variable: fleetVariable,
      problem: `${problem.path}: ${problem.problem}`,
    })),
  )
  return undefined
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

/** A comma-separated list (`A,B`); empty items are dropped. */
const list: Parse<ReadonlyArray<string>> = (raw) =>
  Result.succeed(
    raw
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== ""),
  )

/** Checkpoint percentages: `25,50` or `25%,50%`. */
const percentages: Parse<ReadonlyArray<number>> = (raw) => {
  const parts = raw.split(",").map((part) => /^\s*(\d+)%?\s*$/.exec(part)?.[1])
  return parts.every((part) => part !== undefined)
    ? Result.succeed(parts.map(Number))
    : Result.fail("expected comma-separated percentages, e.g. 25%,50%")
}

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
      return amiIdPattern.test(value)
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

/** Each policy field's variable, so that the policy's own checks name the variable to change. */
const policyFieldVariables: Readonly<Record<string, string>> = {
  capacityMode: "CAPACITY_MODE",
  maxSurge: "MAX_SURGE",
  maxDraining: "MAX_DRAINING",
  bakeTimeMs: "BAKE_TIME_SECONDS",
  pollIntervalMs: "POLL_INTERVAL_SECONDS",
  "timeouts.newCapacityMs": "NEW_CAPACITY_TIMEOUT_MINUTES",
  "timeouts.drainWaveMs": "DRAIN_WAVE_TIMEOUT_MINUTES",
  "timeouts.runMs": "RUN_TIMEOUT_MINUTES",
  alarms: "ALARMS",
  checkpoints: "CHECKPOINTS",
  checkpointDelayMs: "CHECKPOINT_DELAY_SECONDS",
}

/** `{ key: value }` for a setting given, nothing for one left out (the policy field stays absent). */
const optionalField = <K extends string, V>(key: K, value: V | undefined): { readonly [P in K]?: V } =>
  value === undefined ? {} : ({ [key]: value } as { readonly [P in K]: V })

/** The settings, read from `read`: an absent one keeps its default, a malformed one is recorded as a problem. */
const readSettings = (read: ReturnType<typeof envReader>): LambdaSettings => {
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
    targetHealthGate: read.optional("TARGET_HEALTH_GATE", d.targetHealthGate ?? true, boolean),
    ...optionalField("alarms", read.optional("ALARMS", undefined, list)),
    ...optionalField(
      "onGateFailure",
      read.optional("ON_GATE_FAILURE", undefined, oneOf(["rollback", "halt"])),
    ),
    ...optionalField("checkpoints", read.optional("CHECKPOINTS", undefined, percentages)),
    ...optionalField("checkpointDelayMs", read.optional("CHECKPOINT_DELAY_SECONDS", undefined, seconds)),
  }
  const validated = validatePolicy(policy)
  if (Result.isFailure(validated))
    for (const p of validated.failure.problems)
      read.problems.push({
        variable: policyFieldVariables[p.field] ?? `policy ${p.field}`,
        problem: `${p.problem} — ${p.fix}`,
      })
  return {
    policy,
    amiSource: read.optional("AMI_SOURCE", defaultAmiSourceSpec, amiSource),
    deadlineBufferMs: read.optional("DEADLINE_BUFFER_SECONDS", defaultDeadlineBufferMs, seconds),
    maxContinuations: read.optional("MAX_CONTINUATIONS", defaultMaxContinuations, wholeNumber),
  }
}

/** The names of the settings, in the order they are read: every variable `readSettings` asks for. */
export const settingNames: ReadonlyArray<string> = (() => {
  const asked: Array<string> = []
  readSettings({
    ...envReader({}),
    optional: (variable, fallback) => {
      asked.push(variable)
      return fallback
    },
  })
  return asked
})()

/** The variables the deployment derives from its own resources or the runtime sets: never a setting. */
export const deploymentVariables: Readonly<Record<string, string>> = {
  CLUSTERS: "the clusters to roll (the stack's `clusters`)",
  FLEET: "the fleet file the triggers roll instead of CLUSTERS (its JSON text)",
  EVENT_LOG_TABLE: "the event-log table (the stack's own table)",
  NOTIFICATION_TOPIC_ARN: "the notification topic (the stack's own topic)",
  AWS_LAMBDA_FUNCTION_NAME: "the function's name (set by the Lambda runtime)",
}

/** The number of single-character edits between `a` and `b` (Levenshtein distance). */
const editDistance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    previous = current
  }
  return previous[b.length] ?? 0
}

/** The setting `key` is most likely a misspelling of: one or two letters away, ignoring case. */
const settingMisspeltAs = (key: string): string | undefined =>
  settingNames
    .map((name) => ({ name, distance: editDistance(key.toUpperCase(), name) }))
    .filter(({ distance }) => distance <= 2)
    .sort((a, b) => a.distance - b.distance)[0]?.name

const unknownKeyProblem = (key: string): ConfigInvalid["problems"][number] => {
  const derived = deploymentVariables[key]
  if (derived !== undefined)
    return { variable: key, problem: `is not a setting: the deployment sets it to ${derived}` }
  const meant = settingMisspeltAs(key)
  return {
    variable: key,
    problem:
      "is not a setting" +
      (meant === undefined ? "" : `: did you mean ${meant}?`) +
      ` The settings are ${settingNames.join(", ")}`,
  }
}

/**
 * Decodes the settings a deployment chooses — the policy knobs, `AMI_SOURCE`, `DEADLINE_BUFFER_SECONDS`,
 * `MAX_CONTINUATIONS` — exactly as the cold start does, and refuses any other key. The CDK stack calls
 * it on its `settings`, so a bad one fails `cdk synth` with the message the cold start would give.
 */
export const decodeSettings = (
  settings: Readonly<Record<string, string>>,
): Result.Result<LambdaSettings, ConfigInvalid> => {
  const read = envReader(settings)
  const unknownKeys = Object.keys(settings).filter((key) => !settingNames.includes(key))
  read.problems.push(...unknownKeys.map(unknownKeyProblem))
  const decoded = readSettings(read)
  return read.problems.length === 0
    ? Result.succeed(decoded)
    : Result.fail(new ConfigInvalid({ problems: read.problems }))
}

/**
 * Decodes the function's environment at cold start: the deployment's variables `CLUSTERS`
 * (comma-separated), `EVENT_LOG_TABLE`, `AWS_LAMBDA_FUNCTION_NAME` (set by Lambda) and, optionally,
 * `NOTIFICATION_TOPIC_ARN`, then the settings of {@link decodeSettings} (`settingNames`); an absent
 * setting keeps its default. Other variables are the runtime's own (`AWS_REGION`, `PATH`, …) and are ignored,
 * except one a letter or two from a setting's name (`MAX_SURGES`, `max_surge`): a misspelt setting is refused.
 */
export const loadConfig = (env: Env): Result.Result<LambdaConfig, ConfigInvalid> => {
  const read = envReader(env)
  const { problems } = read
  const fleet = fleetOf(env[fleetVariable], problems)
  const clustersRaw =
    env[fleetVariable] === undefined
      ? read.required("CLUSTERS", "the comma-separated names of the ECS clusters to roll")
      : (env["CLUSTERS"] ?? "")
  const clusters = clusterNames(clustersRaw)
  if (env[fleetVariable] !== undefined && clusters.length > 0)
    problems.push({
      variable: "CLUSTERS",
      problem: `names clusters while ${fleetVariable} names a fleet: the triggers roll one or the other; leave CLUSTERS empty`,
    })
  if (env[fleetVariable] === undefined && clustersRaw !== "" && clusters.length === 0)
    problems.push({ variable: "CLUSTERS", problem: "names no cluster: give at least one cluster name" })
  const tableName = read.required("EVENT_LOG_TABLE", "the DynamoDB table holding the event log")
  const functionName = read.required(
    "AWS_LAMBDA_FUNCTION_NAME",
    "set by the Lambda runtime; set it by hand when running the handler elsewhere",
  )
  const notificationTopicArn = read.optional<string | undefined>(
    "NOTIFICATION_TOPIC_ARN",
    undefined,
    snsTopicArn,
  )
  // Other variables are the runtime's (AWS_REGION, PATH, …), so unknown keys cannot all be refused here; one a
  // letter or two from a setting is a misspelt setting (edited in the console), which would otherwise be ignored.
  for (const key of Object.keys(env))
    if (
      !settingNames.includes(key) &&
      deploymentVariables[key] === undefined &&
      settingMisspeltAs(key) !== undefined
    )
      problems.push(unknownKeyProblem(key))
  const config: LambdaConfig = {
    ...readSettings(read),
    clusters,
    ...(fleet === undefined ? {} : { fleet }),
    tableName,
    ...(notificationTopicArn === undefined ? {} : { notificationTopicArn }),
    functionName,
  }
  return problems.length === 0 ? Result.succeed(config) : Result.fail(new ConfigInvalid({ problems }))
}
