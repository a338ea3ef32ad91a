/**
 * Handing an open run over to a fresh invocation. When an invocation stops before its deadline with
 * the run still open, it invokes its own function asynchronously with a continue event for that
 * cluster; the next invocation resumes the run from the event log. The invoke is sent after the
 * executor released the cluster's lease, so the successor does not find the lock still held.
 * The resume sweep (a frequent EventBridge rule that only resumes open runs) is the backstop: should
 * a hand-over be lost — the invocation killed before it could send one, or the invoke refused — the
 * next sweep resumes the run the same way, once the lease of the lost invocation has expired.
 */
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda"
import { Context, Data, Effect, Layer } from "effect"
import { continueEvent } from "./triggers.ts"

/** The asynchronous self-invocation failed: the run waits for the next resume sweep. */
export class ContinuationFailed extends Data.TaggedError("ContinuationFailed")<{
  readonly clusterName: string
  readonly problem: string
}> {
  override get message(): string {
    return `could not hand the open run of ${this.clusterName} over to a new invocation (${this.problem}); the next resume sweep will resume it`
  }
}

export class Continuation extends Context.Service<
  Continuation,
  {
    /** Queues a new invocation for `clusterName`; `hop` is how many hand-overs preceded this one (0 for the first). */
    readonly handOver: (clusterName: string, hop: number) => Effect.Effect<void, ContinuationFailed>
  }
>()("@ecs-ami-deploy/lambda/Continuation") {}

/** Hands over through an asynchronous (`Event`) invocation of `functionName`. */
export const layerLambdaContinuation = (input: {
  readonly client: LambdaClient
  readonly functionName: string
}): Layer.Layer<Continuation> =>
  Layer.succeed(
    Continuation,
    Continuation.of({
      handOver: (clusterName, hop) =>
        Effect.tryPromise({
          try: (abortSignal) =>
            input.client.send(
              new InvokeCommand({
                FunctionName: input.functionName,
                InvocationType: "Event",
                Payload: new TextEncoder().encode(JSON.stringify(continueEvent(clusterName, hop))),
              }),
              { abortSignal },
            ),
          catch: (cause) => new ContinuationFailed({ clusterName, problem: String(cause) }),
        }).pipe(Effect.asVoid),
    }),
  )
