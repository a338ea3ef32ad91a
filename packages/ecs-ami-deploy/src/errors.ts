/**
 * The library's own tagged errors: options a caller got wrong, and a caller's plugin that broke its
 * contract. Both are refused before anything in the cluster changes (options are checked before the
 * first AWS call; a plugin failure stops the run where it happened, with the lock released), and both
 * say exactly what to change.
 */
import { Schema } from "effect"

/** One thing wrong with the options: where (`policy.maxSurge.value`, `ami`, `colour`) and what. */
export const OptionProblem = Schema.Struct({ path: Schema.String, problem: Schema.String })
export type OptionProblem = typeof OptionProblem.Type

/** Options that do not decode: a missing or mistyped field, or a field the API does not know. */
export class InvalidOptions extends Schema.TaggedError<InvalidOptions>()("InvalidOptions", {
  operation: Schema.String,
  problems: Schema.Array(OptionProblem),
}) {
  /** Trying the same again cannot help. */
  get retryable(): boolean {
    return false
  }
  override get message(): string {
    return `invalid options for ${this.operation}: ${this.problems.map((p) => `${p.path}: ${p.problem}`).join("; ")}`
  }
}

/**
 * A caller's plugin threw, or returned something that is not an Effect, instead of failing with its
 * contract's errors. Not retried: the plugin has a bug.
 */
export class PluginFailed extends Schema.TaggedError<PluginFailed>()("PluginFailed", {
  plugin: Schema.String,
  operation: Schema.String,
  problem: Schema.String,
}) {
  /** Trying the same again cannot help. */
  get retryable(): boolean {
    return false
  }
  override get message(): string {
    return `plugin ${this.plugin} failed in ${this.operation}: ${this.problem}`
  }
}
