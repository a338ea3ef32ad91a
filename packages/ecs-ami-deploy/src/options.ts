/**
 * The options of every API call, as schemas: callers from plain JavaScript get no compiler check, so
 * each call decodes its options before it touches anything, refuses fields it does not know (a typo
 * such as `polcy` must not silently fall back to the default policy), and checks the merged policy
 * with the domain's `validatePolicy`. A problem is an `InvalidOptions` or `InvalidPolicy` naming the
 * field and what to change. The CLI's vocabulary is understood where it is unambiguous — amounts as
 * `"50%"` or `"2"` — and pointed to the real field where it is not (`drainTimeout` →
 * `timeouts.drainWaveMs`).
 */
import { Effect, Result, Schema, SchemaIssue, Struct } from "effect"
import {
  type Amount,
  Architecture,
  EpochMillis,
  type InvalidPolicy,
  RolloutPolicy,
  defaultPolicy,
  validatePolicy,
} from "@ecs-ami-deploy/domain"
import { type AmiSource, AmiSourceSpec, type LaunchSpecStrategy } from "@ecs-ami-deploy/strategies"
import { InvalidOptions } from "./errors.ts"

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null

const AmiSourcePlugin = Schema.declare(
  (value: unknown): value is AmiSource =>
    isRecord(value) &&
    typeof value["name"] === "string" &&
    typeof value["description"] === "string" &&
    typeof value["resolve"] === "function",
  { expected: "an AMI source plugin { name: string, description: string, resolve(context) }" },
)

/** What `ami` takes: a plugin, or a spec of a built-in source. */
const AmiChoice = Schema.Union([AmiSourceSpec, AmiSourcePlugin])

const LaunchSpecStrategyPlugin = Schema.declare(
  (value: unknown): value is LaunchSpecStrategy =>
    isRecord(value) &&
    typeof value["name"] === "string" &&
    ["handles", "resolveImageId", "apply", "restore", "cleanup"].every(
      (method) => typeof value[method] === "function",
    ),
  { expected: "a launch-spec strategy plugin { name, handles, resolveImageId, apply, restore, cleanup }" },
)

/** Any subset of the rollout policy (timeouts included); what is left out keeps its default. */
export const PolicyOverrides = RolloutPolicy.mapFields((fields) =>
  Struct.map(
    { ...fields, timeouts: fields.timeouts.mapFields(Struct.map(Schema.optionalKey)) },
    Schema.optionalKey,
  ),
)
/** Changes to the default policy: any subset of `RolloutPolicy`, timeouts included. */
export type PolicyOverrides = typeof PolicyOverrides.Type

const ClusterName = Schema.NonEmptyString

/** What every operation on one cluster's rollout needs: the cluster, and optionally the caller's launch-spec strategies. */
const clusterFields = {
  /** The ECS cluster's name. */
  cluster: ClusterName,
  /** Launch-spec strategies of your own, tried before the built-in ones. */
  launchSpecStrategies: Schema.optionalKey(Schema.Array(LaunchSpecStrategyPlugin)),
}

/** How long one invocation may run and who it says it is. */
const invocationFields = {
  /** Epoch ms (on the run's clock) by which the invocation stops; the run is suspended and resumable. */
  deadline: Schema.optionalKey(EpochMillis),
  /** Who holds the cluster's lock while this invocation runs (shown to anyone who finds it locked). */
  holder: Schema.optionalKey(Schema.NonEmptyString),
}

export const UpgradeOptions = Schema.Struct({
  ...clusterFields,
  ...invocationFields,
  /** Changes to the default rollout policy. */
  policy: Schema.optionalKey(PolicyOverrides),
  /** Which image to roll to, as a plugin or a spec; default `defaultAmiSourceSpec` (the Go tool's image filter). */
  ami: Schema.optionalKey(AmiChoice),
})
/** An amount as the CLI writes it: `"50%"` of the group, or `"2"` instances. */
export type AmountText = `${number}%` | `${number}`

/** `PolicyOverrides` as a caller may write them: `maxSurge` and `maxDraining` also as text. */
export type PolicyInput = Omit<PolicyOverrides, "maxSurge" | "maxDraining"> & {
  readonly maxSurge?: Amount | AmountText
  readonly maxDraining?: Amount | AmountText
}

/** Options as a caller writes them: the decoded shape, with the policy's amounts also as text. */
type WithPolicyInput<T> = Omit<T, "policy"> & { readonly policy?: PolicyInput }

/** Options of `upgradeCluster`. */
export type UpgradeOptions = WithPolicyInput<typeof UpgradeOptions.Type>

export const PlanOptions = Schema.Struct({
  ...clusterFields,
  policy: Schema.optionalKey(PolicyOverrides),
  ami: Schema.optionalKey(AmiChoice),
})
/** Options of `planUpgrade`. */
export type PlanOptions = WithPolicyInput<typeof PlanOptions.Type>

export const ResumeOptions = Schema.Struct({ ...clusterFields, ...invocationFields })
/** Options of `resumeRun`. */
export type ResumeOptions = typeof ResumeOptions.Type

export const RollbackOptions = Schema.Struct({
  ...clusterFields,
  ...invocationFields,
  /** Why the run is rolled back, recorded in the log. */
  reason: Schema.optionalKey(Schema.NonEmptyString),
})
/** Options of `rollbackRun`. */
export type RollbackOptions = typeof RollbackOptions.Type

export const StatusOptions = Schema.Struct({ cluster: ClusterName })
/** Options of `runStatus`. */
export type StatusOptions = typeof StatusOptions.Type

export const LatestAmiOptions = Schema.Struct({
  ami: Schema.optionalKey(AmiChoice),
  /** The architecture to look for; default: whatever the AMI source looks for by itself. */
  architecture: Schema.optionalKey(Architecture),
})
/** Options of `latestAmi`. */
export type LatestAmiOptions = typeof LatestAmiOptions.Type

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/**
 * The CLI's words (and other names a caller may reach for) that are not policy fields, and the field
 * each one is: a refusal of `policy.drainTimeout` points to `policy.timeouts.drainWaveMs`.
 */
const policyFieldHints: Readonly<Record<string, string>> = {
  drainTimeout: "timeouts.drainWaveMs (milliseconds)",
  drainWaveTimeout: "timeouts.drainWaveMs (milliseconds)",
  newCapacityTimeout: "timeouts.newCapacityMs (milliseconds)",
  runTimeout: "timeouts.runMs (milliseconds)",
  pollingTimeoutMinutes: "timeouts.newCapacityMs and timeouts.drainWaveMs (milliseconds)",
  bakeTime: "bakeTimeMs (milliseconds)",
  pollInterval: "pollIntervalMs (milliseconds)",
  pollingIntervalSeconds: "pollIntervalMs (milliseconds)",
  launchTemplateLimit: "keepLaunchSpecs",
  noRollback: "rollbackOnFailure (false to keep the new capacity)",
}

/** The policy's amounts, which also take the CLI's text: `"50%"` or `"2"`. */
const amountFields = ["maxSurge", "maxDraining"] as const
const amountShape = 'give "50%" (of the group), "2" (instances) or { unit: "percent" | "instances", value }'

/** Reads `"N%"` / `"N"` amounts of `policy` into the policy's `{ unit, value }`; anything else is left for the schema to refuse. */
const readAmountTexts = (input: unknown): unknown => {
  if (!isRecord(input) || !isRecord(input["policy"])) return input
  const policy: Record<string, unknown> = { ...input["policy"] }
  for (const field of amountFields) {
    const value = policy[field]
    const match = typeof value === "string" ? /^\s*(\d+)\s*(%?)\s*$/.exec(value) : null
    if (match !== null)
      policy[field] = { unit: match[2] === "%" ? "percent" : "instances", value: Number(match[1]) }
  }
  return { ...input, policy }
}

/** A problem's text, with where to look when the path is a word of the CLI or an amount in the wrong shape. */
const explained = (path: ReadonlyArray<string>, problem: string): string => {
  const [root, field] = path
  if (root !== "policy" || field === undefined) return problem
  const hint = path.length === 2 ? policyFieldHints[field] : undefined
  if (hint !== undefined) return `${problem}; did you mean policy.${hint}?`
  if ((amountFields as ReadonlyArray<string>).includes(field)) return `${problem}; ${amountShape}`
  return problem
}

/** Checks an operation's options, refusing unknown fields; every problem is listed with its path. */
export const checkOptions =
  <S extends Schema.Decoder<unknown>>(operation: string, schema: S) =>
  (input: unknown): Result.Result<S["Type"], InvalidOptions> => {
    const decoded = Schema.decodeUnknownResult(schema, { onExcessProperty: "error", errors: "all" })(
      readAmountTexts(input),
    )
    if (Result.isSuccess(decoded)) return Result.succeed(decoded.success)
    const { issues } = formatIssues(decoded.failure.issue)
    return Result.fail(
      new InvalidOptions({
        operation,
        problems: issues.map((issue) => {
          const path = (issue.path ?? []).map((key) =>
            typeof key === "object" ? String(key.key) : String(key),
          )
          return {
            path: path.length === 0 ? "(options)" : path.join("."),
            problem: explained(path, issue.message),
          }
        }),
      }),
    )
  }

/** {@link checkOptions} as an Effect. */
export const decodeOptions =
  <S extends Schema.Decoder<unknown>>(operation: string, schema: S) =>
  (input: unknown): Effect.Effect<S["Type"], InvalidOptions> =>
    Effect.fromResult(checkOptions(operation, schema)(input))

/** The default policy with the overrides applied, checked by the domain's `validatePolicy`. */
export const resolvePolicy = (overrides: PolicyOverrides = {}): Effect.Effect<RolloutPolicy, InvalidPolicy> =>
  Effect.fromResult(
    validatePolicy({
      ...defaultPolicy,
      ...overrides,
      timeouts: { ...defaultPolicy.timeouts, ...overrides.timeouts },
    }),
  )

/**
 * Checks `upgradeCluster`'s options exactly as it will — unknown fields, amounts, the merged policy —
 * without reading or changing anything: for callers that must refuse bad input before any cluster
 * moves (a fleet file names many clusters' options at once).
 */
export const checkUpgradeOptions = (
  options: unknown,
): Effect.Effect<typeof UpgradeOptions.Type, InvalidOptions | InvalidPolicy> =>
  Effect.tap(decodeOptions("upgradeCluster", UpgradeOptions)(options), (valid) => resolvePolicy(valid.policy))
