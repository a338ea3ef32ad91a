/**
 * The plugins a run uses: the caller's AMI source — a plugin, or a spec such as
 * `{ _tag: "ssm-parameter", parameterName }` — or the default every entry point shares (the Go tool's
 * image filter, `defaultAmiSourceSpec`), and the caller's launch-spec strategies placed before the built-ins, so a
 * custom strategy can take over a kind of spec without forking anything.
 *
 * A caller's plugin is untrusted code: each of its calls is guarded, so a plugin that throws (or
 * hands back a Promise instead of an Effect) surfaces as a `PluginFailed` naming the plugin and the
 * operation, instead of an anonymous crash. Built-in plugins are used as they are.
 */
import { Effect, Layer } from "effect"
import {
  type AmiSource,
  type AmiSourceSpec,
  amiSourceFromSpec,
  builtInLaunchSpecStrategies,
  defaultAmiSourceSpec,
  type LaunchSpecStrategy,
  Plugins,
} from "@ecs-ami-deploy/strategies"
import { PluginFailed } from "./errors.ts"

const describeValue = (value: unknown): string => {
  if (value instanceof Promise) return "a Promise"
  if (value === null) return "null"
  return typeof value === "object" ? "an object" : `a ${typeof value}`
}

const problemOf = (defect: unknown): string =>
  defect instanceof Error ? `threw ${defect.name}: ${defect.message}` : `threw ${String(defect)}`

/** Runs one plugin call, turning a throw or a non-Effect result into a `PluginFailed` defect. */
const guarded = <A, E, R>(
  plugin: string,
  operation: string,
  call: () => Effect.Effect<A, E, R>,
): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    const result: unknown = call()
    return Effect.isEffect(result)
      ? (result as Effect.Effect<A, E, R>)
      : Effect.die(
          new PluginFailed({
            plugin,
            operation,
            problem: `returned ${describeValue(result)} instead of an Effect`,
          }),
        )
  }).pipe(
    Effect.catchDefect((defect) =>
      Effect.die(
        defect instanceof PluginFailed
          ? defect
          : new PluginFailed({ plugin, operation, problem: problemOf(defect) }),
      ),
    ),
  )

/** A caller's AMI source whose failures name it. */
export const guardAmiSource = (source: AmiSource): AmiSource => ({
  name: source.name,
  description: source.description,
  resolve: (context) => guarded(source.name, "resolve", () => source.resolve(context)),
})

/** A caller's launch-spec strategy whose failures name it; `handles` is synchronous, so a throw there is caught too. */
export const guardLaunchSpecStrategy = (strategy: LaunchSpecStrategy): LaunchSpecStrategy => ({
  name: strategy.name,
  handles: (spec) => {
    try {
      return strategy.handles(spec)
    } catch (defect) {
      throw new PluginFailed({ plugin: strategy.name, operation: "handles", problem: problemOf(defect) })
    }
  },
  resolveImageId: (group) =>
    guarded(strategy.name, "resolveImageId", () => strategy.resolveImageId(group)).pipe(
      Effect.tap((image: unknown) =>
        typeof image === "object" &&
        image !== null &&
        typeof (image as { imageId?: unknown }).imageId === "string"
          ? Effect.void
          : Effect.die(
              new PluginFailed({
                plugin: strategy.name,
                operation: "resolveImageId",
                problem: `returned ${describeValue(image)} instead of { imageId, ssmParameter? }`,
              }),
            ),
      ),
    ),
  apply: (input) => guarded(strategy.name, "apply", () => strategy.apply(input)),
  restore: (input) => guarded(strategy.name, "restore", () => strategy.restore(input)),
  cleanup: (input) => guarded(strategy.name, "cleanup", () => strategy.cleanup(input)),
})

/** The AMI source used when the caller names none: the one default of the CLI, the Lambda and the library. */
export const defaultAmiSource = (): AmiSource => amiSourceFromSpec(defaultAmiSourceSpec)

/** A spec becomes its built-in source (used as is); a caller's plugin is guarded. */
const amiSourceOfChoice = (ami: AmiSource | AmiSourceSpec): AmiSource =>
  "_tag" in ami ? amiSourceFromSpec(ami) : guardAmiSource(ami)

export interface PluginChoice {
  readonly ami?: AmiSource | AmiSourceSpec
  readonly launchSpecStrategies?: ReadonlyArray<LaunchSpecStrategy>
}

/** The `Plugins` service for a run: the caller's plugins (guarded) first, then the built-ins. */
export const pluginsLayer = (choice: PluginChoice): Layer.Layer<Plugins> =>
  Layer.succeed(Plugins, {
    amiSource: choice.ami === undefined ? defaultAmiSource() : amiSourceOfChoice(choice.ami),
    launchSpecStrategies: [
      ...(choice.launchSpecStrategies ?? []).map(guardLaunchSpecStrategy),
      ...builtInLaunchSpecStrategies(),
    ],
  })

/** Turns a `PluginFailed` defect back into a typed failure at the API boundary; other defects stay defects. */
export const surfacePluginFailures = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
): Effect.Effect<A, E | PluginFailed, R> =>
  Effect.catchDefect(effect, (defect) =>
    defect instanceof PluginFailed ? Effect.fail(defect) : Effect.die(defect),
  )
