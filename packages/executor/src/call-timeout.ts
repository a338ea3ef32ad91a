/**
 * A time limit on every AWS call the executor makes while it holds a cluster's lease, on Effect's
 * Clock (so it holds in virtual time as for real). The lease is checked, and renewed once half of it
 * is gone, before every attempt of every call (lease.ts): an attempt therefore starts with at least
 * half a lease left, and giving it up after at most a quarter of the lease means it ends, answered or
 * abandoned, with at least a quarter left — a hung call cannot outlive the lease, nor act after
 * another holder took it over. The AWS SDK clients abandon a request first (`sdkRequestTimeoutMs`, 30 s, in
 * @ecs-ami-deploy/aws); this limit is the executor's own, and also covers what the SDK does not see:
 * pages and batches of one port call, a stalled credential provider, a plugin's or test's port.
 *
 * A call given up is an `AwsCallError` of kind `transient` (code `CallTimedOut`) naming the port
 * method and the limit: the retry schedule tries it again within the step's budget (retry.ts), and a
 * command that runs out of budget records it as a retryable `CommandFailed`, re-issued after the
 * next observation. The limit is applied once, to the ports themselves (`withCallTimeouts`), so every
 * call site and plugin gets it; a port the executor starts to use must be added there.
 */
import { Effect } from "effect"
import { AwsCallError, formatDuration } from "@ecs-ami-deploy/domain"
import { AutoScaling, CloudWatch, Ec2, Ecs, LoadBalancing, Ssm } from "@ecs-ami-deploy/ports"
import type { ExecutorSettings } from "./invocation.ts"

/**
 * How long one attempt of one AWS call may take: a quarter of the lease, and no more than one step's
 * budget (a step's last attempt then ends at most one budget late). 60 s with the default settings.
 */
export const callTimeoutMs = (settings: ExecutorSettings): number =>
  Math.min(settings.leaseMs / 4, settings.stepBudgetMs)

const timed = <A>(call: Effect.Effect<A, AwsCallError>, operation: string, timeoutMs: number) =>
  Effect.timeoutOrElse(call, {
    duration: timeoutMs,
    orElse: () =>
      Effect.fail(
        new AwsCallError({
          operation,
          kind: "transient",
          code: "CallTimedOut",
          message: `${operation} got no answer within ${formatDuration(timeoutMs)} and was abandoned (the executor's call timeout, under half its lease)`,
        }),
      ),
  })

/** `service` with each method's calls given up after `timeoutMs`, named `<port>.<method>` (e.g. `AutoScaling.updateGroup`). */
const timedPort = <S extends object>(port: string, service: S, timeoutMs: number): S =>
  Object.fromEntries(
    Object.entries(service).map(([method, value]) => [
      method,
      typeof value === "function"
        ? (...args: ReadonlyArray<unknown>) =>
            timed(value(...args) as Effect.Effect<unknown, AwsCallError>, `${port}.${method}`, timeoutMs)
        : value,
    ]),
  ) as S

/** Runs `effect` with every call of the AWS ports it uses (plugins' included) given up after `timeoutMs`. */
export const withCallTimeouts =
  (timeoutMs: number) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const ec2 = yield* Ec2
      const autoScaling = yield* AutoScaling
      const ecs = yield* Ecs
      const ssm = yield* Ssm
      const cloudWatch = yield* CloudWatch
      const loadBalancing = yield* LoadBalancing
      return yield* effect.pipe(
        Effect.provideService(Ec2, timedPort("Ec2", ec2, timeoutMs)),
        Effect.provideService(AutoScaling, timedPort("AutoScaling", autoScaling, timeoutMs)),
        Effect.provideService(Ecs, timedPort("Ecs", ecs, timeoutMs)),
        Effect.provideService(Ssm, timedPort("Ssm", ssm, timeoutMs)),
        Effect.provideService(CloudWatch, timedPort("CloudWatch", cloudWatch, timeoutMs)),
        Effect.provideService(LoadBalancing, timedPort("LoadBalancing", loadBalancing, timeoutMs)),
      )
    })
