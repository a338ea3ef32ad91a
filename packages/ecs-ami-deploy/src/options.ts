/**
 * The options of every API call, as schemas: callers from plain JavaScript get no compiler check, so
 * each call decodes its options before it touches anything, refuses fields it does not know (a typo
 * such as `polcy` must not silently fall back to the default policy), and checks the merged policy
 * with the domain's `validatePolicy`. A problem is an `InvalidOptions` or `InvalidPolicy` naming the
 * field and what to change.
 */
import { Effect, Result, Schema, SchemaIssue, Struct } from "effect"
import {
  Architecture,
  EpochMillis,
  type InvalidPolicy,
  RolloutPolicy,
  defaultPolicy,
  validatePolicy,
} from "@ecs-ami-deploy/domain"
import type { AmiSource, LaunchSpecStrategy } from "@ecs-ami-deploy/strategies"
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
  /** Which image to roll to; default: AWS's recommended ECS-optimized Amazon Linux 2023 image (SSM parameter). */
  ami: Schema.optionalKey(AmiSourcePlugin),
})
/** Options of `upgradeCluster`. */
export type UpgradeOptions = typeof UpgradeOptions.Type

export const PlanOptions = Schema.Struct({
  ...clusterFields,
  policy: Schema.optionalKey(PolicyOverrides),
  ami: Schema.optionalKey(AmiSourcePlugin),
})
/** Options of `planUpgrade`. */
export type PlanOptions = typeof PlanOptions.Type

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
  ami: Schema.optionalKey(AmiSourcePlugin),
  /** The architecture to look for; default: whatever the AMI source looks for by itself. */
  architecture: Schema.optionalKey(Architecture),
})
/** Options of `latestAmi`. */
export type LatestAmiOptions = typeof LatestAmiOptions.Type

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** Checks an operation's options, refusing unknown fields; every problem is listed with its path. */
export const checkOptions =
  <S extends Schema.Decoder<unknown>>(operation: string, schema: S) =>
  (input: unknown): Result.Result<S["Type"], InvalidOptions> => {
    const decoded = Schema.decodeUnknownResult(schema, { onExcessProperty: "error", errors: "all" })(input)
    if (Result.isSuccess(decoded)) return Result.succeed(decoded.success)
    const { issues } = formatIssues(decoded.failure.issue)
    return Result.fail(
      new InvalidOptions({
        operation,
        problems: issues.map((issue) => ({
          path:
            issue.path === undefined || issue.path.length === 0
              ? "(options)"
              : issue.path.map((key) => (typeof key === "object" ? String(key.key) : String(key))).join("."),
          problem: issue.message,
        })),
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
