/**
 * The flags commands share, and their translation into what the library takes: a `PolicyOverrides`
 * from the rollout flags, an `AmiSource` from the AMI flags. Flag syntax (types, choices) is checked
 * by effect/cli; meaning (an amount is `N` or `N%`, a duration has a unit, AMI flags exclude each
 * other, timeouts are positive) is checked here; the AMI flags become the `AmiSourceSpec` the Lambda
 * and the library take too, with the same default, before anything is read from AWS, and every refusal
 * says what to type instead.
 */
import { Effect, Option } from "effect"
import { Flag } from "effect/cli"
import {
  type AmiSource,
  type AmiSourceSpec,
  amiSourceFromSpec,
  type Amount,
  defaultAmiSourceSpec,
  defaultImageNamePattern,
  type PolicyOverrides,
} from "ecs-ami-deploy"
import { scenarioNames } from "ecs-ami-deploy/simulator"
import { amiIdPattern } from "@ecs-ami-deploy/strategies"
import { defaultPolicy, formatAmount } from "@ecs-ami-deploy/domain"
import { type CliFailure, usageError } from "./failure.ts"

/** Every built-in scenario, for the help of the flags that take one. */
export const builtInScenariosText = scenarioNames.join(", ")

/** Flags that say where the command runs and how it reports: accepted before or after the command name. */
export const targetFlags = {
  profile: Flag.String("profile").pipe(
    Flag.withAlias("p"),
    Flag.withDescription("AWS profile (default: AWS_PROFILE, else the SDK's default chain)"),
    Flag.optional,
  ),
  region: Flag.String("region").pipe(
    Flag.withAlias("r"),
    Flag.withDescription(
      "AWS Region (default: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region in ~/.aws/config, else us-east-1)",
    ),
    Flag.optional,
  ),
  eventLog: Flag.String("event-log").pipe(
    Flag.withDescription(
      "where runs are recorded: a directory, file://DIR, dynamodb://TABLE or memory (default: the local state directory)",
    ),
    Flag.optional,
  ),
  output: Flag.Literals("output", ["text", "json"]).pipe(
    Flag.withAlias("o"),
    Flag.withDescription("text for people, json for machines (JSON lines)"),
    Flag.withDefault("text"),
  ),
  simulator: Flag.String("simulator").pipe(
    Flag.withDescription(
      `run against a simulated cluster instead of AWS: a built-in scenario (${builtInScenariosText}) or a scenario JSON file`,
    ),
    Flag.optional,
  ),
  simulatorWait: Flag.String("simulator-wait").pipe(
    Flag.withDescription(
      "let this much simulated time pass before the command, e.g. 5m (to wait out the lease of a killed run)",
    ),
    Flag.optional,
  ),
  simulatorState: Flag.String("simulator-state").pipe(
    Flag.withDescription(
      "file keeping the simulated world between invocations (created on first use); its runs go to FILE.events/ unless --event-log says otherwise",
    ),
    Flag.optional,
  ),
}
export type TargetFlags = {
  readonly profile: Option.Option<string>
  readonly region: Option.Option<string>
  readonly eventLog: Option.Option<string>
  readonly output: "text" | "json"
  readonly simulator: Option.Option<string>
  readonly simulatorState: Option.Option<string>
  readonly simulatorWait: Option.Option<string>
}

export const clusterFlag = Flag.String("cluster").pipe(
  Flag.withAlias("c"),
  Flag.withDescription("the ECS cluster's name"),
)

/** The AMI flags: one source at most; none means the Go tool's default name filter. */
export const amiFlags = {
  amiFilter: Flag.String("ami-filter").pipe(
    Flag.withDescription(`newest Amazon image whose name matches (default ${defaultImageNamePattern})`),
    Flag.optional,
  ),
  amiSsmParameter: Flag.String("ami-ssm-parameter").pipe(
    Flag.withDescription("the image an SSM parameter names (e.g. AWS's recommended ECS image)"),
    Flag.optional,
  ),
  amiId: Flag.String("ami-id").pipe(Flag.withDescription("one pinned image id (ami-...)"), Flag.optional),
}
export type AmiFlags = {
  readonly amiFilter: Option.Option<string>
  readonly amiSsmParameter: Option.Option<string>
  readonly amiId: Option.Option<string>
}

/** The AMI source the flags name (as the spec every entry point shares); two of them at once is a usage error. */
export const amiSourceOf = (flags: AmiFlags): Effect.Effect<AmiSource, CliFailure> =>
  Effect.map(amiSpecOf(flags), amiSourceFromSpec)

const amiSpecOf = (flags: AmiFlags): Effect.Effect<AmiSourceSpec, CliFailure> => {
  const given = [
    ["--ami-filter", flags.amiFilter],
    ["--ami-ssm-parameter", flags.amiSsmParameter],
    ["--ami-id", flags.amiId],
  ] as const
  const chosen = given.filter(([, value]) => Option.isSome(value))
  if (chosen.length > 1)
    return Effect.fail(
      usageError(
        `${chosen.map(([name]) => name).join(" and ")} name different image sources`,
        "give only one of --ami-filter, --ami-ssm-parameter, --ami-id",
      ),
    )
  if (Option.isSome(flags.amiId)) {
    if (!amiIdPattern.test(flags.amiId.value))
      return Effect.fail(
        usageError(
          `--ami-id ${flags.amiId.value} is not an image id`,
          "give an id of the form ami-0123456789abcdef0",
        ),
      )
    return Effect.succeed({ _tag: "pinned", imageId: flags.amiId.value })
  }
  if (Option.isSome(flags.amiSsmParameter)) {
    if (!flags.amiSsmParameter.value.startsWith("/"))
      return Effect.fail(
        usageError(
          `--ami-ssm-parameter ${flags.amiSsmParameter.value} is not a parameter path`,
          "give a full parameter name starting with /, e.g. /aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
        ),
      )
    return Effect.succeed({ _tag: "ssm-parameter", parameterName: flags.amiSsmParameter.value })
  }
  if (Option.isSome(flags.amiFilter)) {
    if (flags.amiFilter.value.trim() === "")
      return Effect.fail(
        usageError("--ami-filter is empty", `give an image name pattern such as ${defaultImageNamePattern}`),
      )
    return Effect.succeed({ _tag: "image-filter", namePattern: flags.amiFilter.value, owners: ["amazon"] })
  }
  return Effect.succeed(defaultAmiSourceSpec)
}

const optionalString = (name: string, description: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.optional)

/** Every rollout policy flag, plus the Go tool's polling flags. */
export const policyFlags = {
  capacityMode: Flag.Literals("capacity-mode", ["surge", "detach"]).pipe(
    Flag.withDescription(
      "surge: add new instances first, then drain the old (default); detach: the Go tool's way",
    ),
    Flag.optional,
  ),
  maxSurge: optionalString(
    "max-surge",
    `extra instances at once: a count or N% of the group (default ${formatAmount(defaultPolicy.maxSurge)})`,
  ),
  maxDraining: optionalString(
    "max-draining",
    `old instances draining at once: a count or N% (default ${formatAmount(defaultPolicy.maxDraining)})`,
  ),
  bakeTime: optionalString(
    "bake-time",
    "wait after new capacity is proven, before draining: e.g. 5m (default 0s)",
  ),
  newCapacityTimeout: optionalString(
    "new-capacity-timeout",
    "how long new instances may take to be proven, e.g. 15m",
  ),
  drainTimeout: optionalString("drain-timeout", "how long one drain wave may take, e.g. 30m"),
  runTimeout: optionalString("run-timeout", "how long the whole run may take, e.g. 6h"),
  pollingIntervalSeconds: Flag.Int("polling-interval-seconds").pipe(
    Flag.withDescription("seconds between observations (Go tool flag; default 5)"),
    Flag.optional,
  ),
  pollingTimeoutMinutes: Flag.Int("polling-timeout-minutes").pipe(
    Flag.withDescription(
      "Go tool flag: both the new-capacity and the drain-wave timeout, in minutes (default 15 and 30)",
    ),
    Flag.optional,
  ),
  standaloneTasks: Flag.Literals("standalone-tasks", ["wait", "stop-after-timeout", "skip-instance"]).pipe(
    Flag.withDescription("standalone tasks on an instance to drain (default wait)"),
    Flag.optional,
  ),
  protectedInstances: Flag.Literals("protected-instances", ["replace", "skip"]).pipe(
    Flag.withDescription("scale-in protected instances (default replace)"),
    Flag.optional,
  ),
  standbyInstances: Flag.Literals("standby-instances", ["skip", "replace"]).pipe(
    Flag.withDescription("Standby instances (default skip)"),
    Flag.optional,
  ),
  unsafeServices: Flag.Literals("unsafe-services", ["refuse", "proceed"]).pipe(
    Flag.withDescription("services a drain would take down or stall (default refuse)"),
    Flag.optional,
  ),
  forceReplacement: Flag.Boolean("force-replacement").pipe(
    Flag.withDescription("replace every instance even when all run the target image"),
    Flag.withDefault(false),
  ),
  noRollback: Flag.Boolean("no-rollback").pipe(
    Flag.withDescription("on failure, stop and keep the new capacity instead of rolling back"),
    Flag.withDefault(false),
  ),
  allowImageFamilyChange: Flag.Boolean("allow-image-family-change").pipe(
    Flag.withDescription("allow moving to another OS family (e.g. AL2 to AL2023)"),
    Flag.withDefault(false),
  ),
  alarms: Flag.String("alarm").pipe(
    Flag.withDescription(
      "a CloudWatch alarm (name or ARN) that stops the run when in ALARM, checked before each wave and while new capacity bakes; repeat for more, at most 10",
    ),
    Flag.atLeast(0),
  ),
  onGateFailure: Flag.Literals("on-gate-failure", ["rollback", "halt"]).pipe(
    Flag.withDescription(
      "what a failed gate (an alarm in ALARM, a service whose tasks fail) does: rollback or halt where it is (default rollback, halt with --no-rollback)",
    ),
    Flag.optional,
  ),
  noTargetHealthGate: Flag.Boolean("no-target-health-gate").pipe(
    Flag.withDescription(
      "do not read the load balancer's target health (elasticloadbalancing:DescribeTargetHealth) before acting: by default a load-balanced service on new capacity whose target group has failing targets and fewer healthy ones than its floor stops the run",
    ),
    Flag.withDefault(false),
  ),
  checkpoints: optionalString(
    "checkpoint",
    "pause once this share of old instances is replaced, e.g. 25%,50%: waits for `continue` unless --checkpoint-delay is given",
  ),
  checkpointDelay: optionalString(
    "checkpoint-delay",
    "pause this long at each checkpoint, then go on by itself, e.g. 30m",
  ),
  launchTemplateLimit: Flag.Int("launch-template-limit").pipe(
    Flag.withDescription("launch template versions (or launch configurations) kept by cleanup (default 5)"),
    Flag.optional,
  ),
}
/** The Go tool's `upgrade-cluster` flag that has no use here, accepted so its scripts keep working. */
export const launchTemplateNamePrefixFlag = Flag.String("launch-template-name-prefix").pipe(
  Flag.withDescription(
    "accepted for Go tool compatibility; unused (a run adds a version to the group's own template)",
  ),
  Flag.optional,
)

export type PolicyFlags = {
  readonly [K in keyof typeof policyFlags]: (typeof policyFlags)[K] extends Flag.Flag<infer A> ? A : never
}

/** Reads `N` (instances) or `N%` (of the group). */
export const parseAmount = (flag: string, text: string): Effect.Effect<Amount, CliFailure> => {
  const match = /^(\d+)(%?)$/.exec(text.trim())
  if (match === null)
    return Effect.fail(
      usageError(
        `--${flag} ${text} is not an amount`,
        `give a whole number of instances (e.g. 2) or a percentage (e.g. 25%)`,
      ),
    )
  return Effect.succeed({ unit: match[2] === "%" ? "percent" : "instances", value: Number(match[1]) })
}

const unitMillis: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }

/** One or more numbers with a unit, largest first or not: `90s`, `15m`, `1.5h`, `500ms`, `1h30m`, `2m30s`. */
const durationPattern = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/
const durationPart = /(\d+(?:\.\d+)?)(ms|h|m|s)/g

/** Reads a duration: `90s`, `15m`, `1.5h`, `500ms`, or parts together as in `1h30m`. */
export const parseDuration = (flag: string, text: string): Effect.Effect<number, CliFailure> => {
  const trimmed = text.trim()
  if (trimmed.startsWith("-") && durationPattern.test(trimmed.slice(1)))
    return Effect.fail(usageError(`--${flag} ${text} is negative`, "give a positive duration"))
  if (!durationPattern.test(trimmed))
    return Effect.fail(
      usageError(
        `--${flag} ${text} is not a duration`,
        "give numbers with units ms, s, m or h (e.g. 90s, 15m, 2h, 1h30m)",
      ),
    )
  let millis = 0
  for (const [, amount, unit] of trimmed.matchAll(durationPart))
    millis += Number(amount) * (unitMillis[unit ?? ""] ?? 0)
  return Effect.succeed(Math.round(millis))
}

const optionalEffect = <A, B>(
  value: Option.Option<A>,
  f: (a: A) => Effect.Effect<B, CliFailure>,
): Effect.Effect<B | undefined, CliFailure> =>
  Option.isSome(value) ? f(value.value) : Effect.succeed(undefined)

const positive = (flag: string, value: number): Effect.Effect<number, CliFailure> =>
  value > 0
    ? Effect.succeed(value)
    : Effect.fail(usageError(`--${flag} ${value} must be positive`, `give a value above 0`))

/** `{ key: value }` when a flag gave a value, else nothing: a field left out keeps the library's default. */
const given = <K extends string, V>(key: K, value: V | undefined): { readonly [P in K]?: V } =>
  value === undefined ? {} : ({ [key]: value } as { readonly [P in K]: V })

/** Reads `25%,50%` (the `%` may be left out): the checkpoints' percentages, as given. */
export const parseCheckpoints = (text: string): Effect.Effect<ReadonlyArray<number>, CliFailure> => {
  const parts = text.split(",").map((part) => /^\s*(\d+)%?\s*$/.exec(part)?.[1])
  return parts.every((part) => part !== undefined)
    ? Effect.succeed(parts.map(Number))
    : Effect.fail(
        usageError(
          `--checkpoint ${text} is not a list of percentages`,
          "give percentages of the old instances replaced, ascending and comma-separated, e.g. 25%,50%",
        ),
      )
}

/** The policy overrides the flags ask for; the library merges them over its defaults and validates the whole. */
export const policyOverridesOf = (flags: PolicyFlags): Effect.Effect<PolicyOverrides, CliFailure> =>
  Effect.gen(function* () {
    // The Go tool's one timeout and the two it stands for cannot both be given: which would win is a guess.
    const alsoGiven = (
      [
        ["--new-capacity-timeout", flags.newCapacityTimeout],
        ["--drain-timeout", flags.drainTimeout],
      ] as const
    ).filter(([, value]) => Option.isSome(value))
    if (Option.isSome(flags.pollingTimeoutMinutes) && alsoGiven.length > 0)
      return yield* usageError(
        `--polling-timeout-minutes and ${alsoGiven.map(([name]) => name).join(" and ")} both set a timeout`,
        "give --new-capacity-timeout and --drain-timeout, or only the Go tool's --polling-timeout-minutes",
      )
    const pollingTimeout = yield* optionalEffect(flags.pollingTimeoutMinutes, (minutes) =>
      Effect.map(positive("polling-timeout-minutes", minutes), (m) => m * 60_000),
    )
    const pollInterval = yield* optionalEffect(flags.pollingIntervalSeconds, (seconds) =>
      Effect.map(positive("polling-interval-seconds", seconds), (s) => s * 1_000),
    )
    const keep = yield* optionalEffect(flags.launchTemplateLimit, (limit) =>
      limit >= 0
        ? Effect.succeed(limit)
        : Effect.fail(usageError(`--launch-template-limit ${limit} is negative`, "give 0 or more")),
    )
    const timeouts = {
      ...given(
        "newCapacityMs",
        (yield* optionalEffect(flags.newCapacityTimeout, (t) => parseDuration("new-capacity-timeout", t))) ??
          pollingTimeout,
      ),
      ...given(
        "drainWaveMs",
        (yield* optionalEffect(flags.drainTimeout, (t) => parseDuration("drain-timeout", t))) ??
          pollingTimeout,
      ),
      ...given("runMs", yield* optionalEffect(flags.runTimeout, (t) => parseDuration("run-timeout", t))),
    }
    const overrides: PolicyOverrides = {
      ...given("capacityMode", Option.getOrUndefined(flags.capacityMode)),
      ...given("maxSurge", yield* optionalEffect(flags.maxSurge, (t) => parseAmount("max-surge", t))),
      ...given(
        "maxDraining",
        yield* optionalEffect(flags.maxDraining, (t) => parseAmount("max-draining", t)),
      ),
      ...given("bakeTimeMs", yield* optionalEffect(flags.bakeTime, (t) => parseDuration("bake-time", t))),
      ...given("pollIntervalMs", pollInterval),
      ...given("timeouts", Object.keys(timeouts).length === 0 ? undefined : timeouts),
      ...given("standaloneTasks", Option.getOrUndefined(flags.standaloneTasks)),
      ...given("protectedInstances", Option.getOrUndefined(flags.protectedInstances)),
      ...given("standbyInstances", Option.getOrUndefined(flags.standbyInstances)),
      ...given("unsafeServices", Option.getOrUndefined(flags.unsafeServices)),
      ...given("forceReplacement", flags.forceReplacement ? true : undefined),
      ...given("rollbackOnFailure", flags.noRollback ? false : undefined),
      ...given("allowImageFamilyChange", flags.allowImageFamilyChange ? true : undefined),
      ...given("keepLaunchSpecs", keep),
      ...given("alarms", flags.alarms.length === 0 ? undefined : flags.alarms),
      ...given("onGateFailure", Option.getOrUndefined(flags.onGateFailure)),
      ...given("targetHealthGate", flags.noTargetHealthGate ? false : undefined),
      ...given("checkpoints", yield* optionalEffect(flags.checkpoints, parseCheckpoints)),
      ...given(
        "checkpointDelayMs",
        yield* optionalEffect(flags.checkpointDelay, (t) => parseDuration("checkpoint-delay", t)),
      ),
    }
    return overrides
  })
