import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda"
import { describe, expect, it } from "@effect/vitest"
import { mockClient } from "aws-sdk-client-mock"
import { Effect, Exit } from "effect"
import { Continuation, layerLambdaContinuation } from "./continuation.ts"
import { decodeTrigger } from "./triggers.ts"

const continuation = (client: LambdaClient) => layerLambdaContinuation({ client, functionName: "ami-deploy" })

describe("layerLambdaContinuation", () => {
  it.effect(
    "given an open run, when handed over, then the function invokes itself asynchronously with a continue event it accepts",
    () =>
      Effect.gen(function* () {
        const lambda = mockClient(LambdaClient)
        lambda.on(InvokeCommand).resolves({ StatusCode: 202 })
        yield* Continuation.use((c) => c.handOver("prod", 2)).pipe(
          Effect.provide(continuation(new LambdaClient({ region: "eu-west-1" }))),
        )
        const [call] = lambda.commandCalls(InvokeCommand)
        expect(call?.args[0].input).toMatchObject({ FunctionName: "ami-deploy", InvocationType: "Event" })
        const payload: unknown = JSON.parse(
          new TextDecoder().decode(call?.args[0].input.Payload as Uint8Array),
        )
        expect(yield* decodeTrigger(payload)).toEqual({ _tag: "Continue", clusterName: "prod", hop: 3 })
        lambda.restore()
      }),
  )

  it.effect(
    "given Lambda refuses the invoke, when handed over, then a ContinuationFailed names the cluster",
    () =>
      Effect.gen(function* () {
        const lambda = mockClient(LambdaClient)
        lambda.on(InvokeCommand).rejects(new Error("TooManyRequestsException"))
        const exit = yield* Effect.exit(
          Continuation.use((c) => c.handOver("prod", 0)).pipe(
            Effect.provide(continuation(new LambdaClient({ region: "eu-west-1" }))),
          ),
        )
        expect(exit).toMatchObject({ _tag: "Failure" })
        if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("prod")
        lambda.restore()
      }),
  )
})
