/**
 * The rollout policy: how much extra capacity a run may add, how much it may drain at once, how long
 * it waits for each thing, and what it does with instances and tasks that need a choice. Every field
 * has a default a careful operator would pick; `validatePolicy` refuses impossible combinations with
 * a message that says what to change.
 */
import { Data, Result, Schema } from "effect"
import { alarmReferenceProblems, GateAction } from "./gates.ts"
import { Count } from "./snapshot.ts"

/** An amount of instances, absolute or as a percentage of the group's desired capacity at run start. */
export const Amount = Schema.Struct({ unit: Schema.Literals(["instances", "percent"]), value: Count })
export type Amount = typeof Amount.Type

/** An amount as the CLI and the Lambda take it: `50%` or `2`. */
export const formatAmount = (amount: Amount): string =>
  amount.unit === "percent" ? `${amount.value}%` : String(amount.value)

export const RolloutPolicy = Schema.Struct({
  /** `surge`: raise desired capacity, then terminate the specific old instances. `detach`: the Go tool's way. */
  capacityMode: Schema.Literals(["surge", "detach"]),
  maxSurge: Amount,
  maxDraining: Amount,
  bakeTimeMs: Count,
  pollIntervalMs: Count,
  timeouts: Schema.Struct({ newCapacityMs: Count, drainWaveMs: Count, runMs: Count }),
  /** Standalone tasks (RunTask, scheduled) on an instance to drain: wait for them, stop them after the drain timeout, or leave the instance. */
  standaloneTasks: Schema.Literals(["wait", "stop-after-timeout", "skip-instance"]),
  /** Scale-in protected instances: replace them like the rest, or leave them on the old image. */
  protectedInstances: Schema.Literals(["replace", "skip"]),
  /** Standby instances: leave them untouched (default) or replace them. */
  standbyInstances: Schema.Literals(["skip", "replace"]),
  /** A service whose own configuration lets a drain stop every task, or makes it stall: refuse to start, or go ahead. */
  unsafeServices: Schema.Literals(["refuse", "proceed"]),
  forceReplacement: Schema.Boolean,
  rollbackOnFailure: Schema.Boolean,
  allowImageFamilyChange: Schema.Boolean,
  suspendAzRebalance: Schema.Boolean,
  /** Launch template versions / launch configurations kept by cleanup (the Go tool's `--launch-template-limit`). */
  keepLaunchSpecs: Count,
  /**
   * CloudWatch alarms (names or ARNs, at most 10) checked at every observation of the run — before each
   * wave and while new capacity bakes: one in ALARM fails the run (see `onGateFailure`). Absent: none.
   */
  alarms: Schema.optionalKey(Schema.Array(Schema.String)),
  /** What a failed gate (an alarm, a service's health) does: roll back or halt. Absent: `rollback` when `rollbackOnFailure`, else `halt`. */
  onGateFailure: Schema.optionalKey(GateAction),
  /**
   * The target health gate: a load-balanced service the run moves whose target group has unhealthy
   * targets and fewer healthy ones than the service's floor fails the run. Absent (runs recorded before
   * it existed): off. On in `defaultPolicy`.
   */
  targetHealthGate: Schema.optionalKey(Schema.Boolean),
  /** Percentages of the old instances replaced at which the run pauses (ascending, 1–100). */
  checkpoints: Schema.optionalKey(Schema.Array(Count)),
  /** How long the run pauses at each checkpoint; absent: it waits for an explicit `continue`. */
  checkpointDelayMs: Schema.optionalKey(Count),
})
export type RolloutPolicy = typeof RolloutPolicy.Type

/**
 * The defaults. Surge and draining 100 %: every old instance's replacement is launched and proven
 * once, then every old instance drains together (a service that could lose every task keeps one
 * running until it runs elsewhere), the physical minimum's shape (docs/BENCHMARKS.md). Smaller
 * waves (`--max-draining`) expose less at a time to a new image, and pause at checkpoints between them.
 */
export const defaultPolicy: RolloutPolicy = {
  capacityMode: "surge",
  maxSurge: { unit: "percent", value: 100 },
  maxDraining: { unit: "percent", value: 100 },
  bakeTimeMs: 0,
  pollIntervalMs: 5_000,
  timeouts: { newCapacityMs: 15 * 60_000, drainWaveMs: 30 * 60_000, runMs: 6 * 60 * 60_000 },
  standaloneTasks: "wait",
  protectedInstances: "replace",
  standbyInstances: "skip",
  unsafeServices: "refuse",
  forceReplacement: false,
  rollbackOnFailure: true,
  allowImageFamilyChange: false,
  suspendAzRebalance: true,
  keepLaunchSpecs: 5,
  targetHealthGate: true,
}

/** A policy that cannot work, with every problem found and what to change for each. */
export class InvalidPolicy extends Data.TaggedError("InvalidPolicy")<{
  readonly problems: ReadonlyArray<{ readonly field: string; readonly problem: string; readonly fix: string }>
}> {
  /** Trying the same again cannot help. */
  get retryable(): boolean {
    return false
  }
  override get message(): string {
    return this.problems.map((p) => `${p.field}: ${p.problem} — ${p.fix}`).join("\n")
  }
}

/** Resolves an amount against a group size; a percentage rounds up so that 1% of a small group is one instance. */
export const resolveAmount = (amount: Amount, of: number): number =>
  amount.unit === "instances" ? amount.value : Math.ceil((amount.value * of) / 100)

/** Checks the combinations the schema cannot express. */
export const validatePolicy = (policy: RolloutPolicy): Result.Result<RolloutPolicy, InvalidPolicy> => {
  const problems: Array<InvalidPolicy["problems"][number]> = []
  if (policy.capacityMode === "surge" && policy.maxSurge.value === 0)
    problems.push({
      field: "maxSurge",
      problem: "surge mode with a max surge of 0 can never add the new capacity it needs",
      fix: "set a max surge of at least 1 instance (or 1%), or use capacity mode 'detach'",
    })
  if (policy.maxDraining.value === 0)
    problems.push({
      field: "maxDraining",
      problem: "a max draining of 0 can never replace an instance",
      fix: "set a max draining of at least 1 instance (or 1%)",
    })
  for (const [field, amount] of [
    ["maxSurge", policy.maxSurge],
    ["maxDraining", policy.maxDraining],
  ] as const)
    if (amount.unit === "percent" && amount.value > 100)
      problems.push({
        field,
        problem: `${amount.value}% is more than the whole group`,
        fix: "use a value from 1 to 100%",
      })
  for (const [name, value] of Object.entries(policy.timeouts))
    if (value === 0)
      problems.push({
        field: `timeouts.${name}`,
        problem: "a timeout of 0 fails at once",
        fix: "give a positive duration",
      })
  if (policy.pollIntervalMs === 0)
    problems.push({
      field: "pollIntervalMs",
      problem: "a polling interval of 0 would call AWS in a busy loop",
      fix: "give a positive interval (default 5 s)",
    })
  if (
    policy.timeouts.drainWaveMs > policy.timeouts.runMs ||
    policy.timeouts.newCapacityMs > policy.timeouts.runMs
  )
    problems.push({
      field: "timeouts.runMs",
      problem: "the whole-run timeout is shorter than one of its phases",
      fix: "raise the run timeout above the new-capacity and drain-wave timeouts",
    })
  for (const problem of alarmReferenceProblems(policy.alarms ?? []))
    problems.push({
      field: "alarms",
      problem,
      fix: "name at most 10 distinct CloudWatch alarms, by name or alarm ARN",
    })
  const checkpoints = policy.checkpoints ?? []
  if (checkpoints.some((percent, i) => percent < 1 || percent > 100 || percent <= (checkpoints[i - 1] ?? 0)))
    problems.push({
      field: "checkpoints",
      problem: `${checkpoints.join(", ")} is not a list of ascending percentages from 1 to 100`,
      fix: "give ascending percentages of the old instances replaced, e.g. 25,50",
    })
  if (policy.checkpointDelayMs !== undefined && checkpoints.length === 0)
    problems.push({
      field: "checkpointDelayMs",
      problem: "a checkpoint delay without checkpoints never applies",
      fix: "give checkpoints too (e.g. 25,50), or drop the delay",
    })
  return problems.length === 0 ? Result.succeed(policy) : Result.fail(new InvalidPolicy({ problems }))
}
