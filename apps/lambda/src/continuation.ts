/**
 * Handing an open run over to a fresh invocation. When an invocation stops before its deadline with
 * the run still open, it invokes its own function asynchronously with a continue event for that
 * cluster; the next invocation resumes the run from the event log. The invoke is sent after the
 * executor released the cluster's lease, so the successor does not find the lock still held.
 * The weekly schedule stays as a backstop: should a hand-over be lost, the next scheduled invocation
 * resumes the run the same way (the lease of a killed invocation expires on its own).
 */
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda"
import { Context, Data, Effect, Layer } from "effect"
import { continueEvent } from "./triggers.ts"

/** The asynchronous self-invocation failed: the run waits for the next scheduled invocation. */
export class ContinuationFailed extends Data.TaggedError("ContinuationFailed")<{
  readonly clusterName: string
  readonly problem: string
}> {
  override get message(): string {
    return `could not hand the open run of ${this.clusterName} over to a new invocation (${this.problem}); the next scheduled invocation will resume it`
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
