/**
 * The AWS ports a launch-spec plugin uses, with every call retried on its own (`retryTransient`). A
 * plugin operation makes several calls (read the group's template, read its version, create one): a
 * throttled call is then retried by itself, within the command's budget, instead of failing the
 * operation and making the executor repeat it from its first call.
 */
import { Effect } from "effect"
import { AutoScaling, Ec2, Ssm } from "@ecs-ami-deploy/ports"
import type { PluginServices } from "@ecs-ami-deploy/strategies"

/** What wraps each call: retries, and may add its own failure `X` (the executor's lease check). */
type EachCall<X> = <A, E, R>(call: Effect.Effect<A, E, R>) => Effect.Effect<A, E | X, R>

/** A port whose every method returning an Effect returns it retried. */
const retryingPort = <S extends object, X>(port: S, retry: EachCall<X>): S =>
  new Proxy(port, {
    get: (target, name) => {
      const member: unknown = Reflect.get(target, name)
      if (typeof member !== "function") return member
      return (...args: ReadonlyArray<unknown>) => {
        const result: unknown = Reflect.apply(member, target, args)
        return Effect.isEffect(result) ? retry(result) : result
      }
    },
  })

/**
 * Runs `operation` with each call of the Ec2, AutoScaling and Ssm ports wrapped by `retry`; the
 * operation may then also fail with what `retry` adds (`X`).
 */
export const withRetryingPorts =
  <X>(retry: EachCall<X>) =>
  <A, E>(operation: Effect.Effect<A, E, PluginServices>): Effect.Effect<A, E | X, PluginServices> =>
    Effect.gen(function* () {
      const ec2 = yield* Ec2
      const autoScaling = yield* AutoScaling
      const ssm = yield* Ssm
      return yield* operation.pipe(
        Effect.provideService(Ec2, retryingPort(ec2, retry)),
        Effect.provideService(AutoScaling, retryingPort(autoScaling, retry)),
        Effect.provideService(Ssm, retryingPort(ssm, retry)),
      )
    })
