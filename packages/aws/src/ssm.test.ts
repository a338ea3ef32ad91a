import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm"
import { it } from "@effect/vitest"
import { Effect } from "effect"
import { mockClient } from "aws-sdk-client-mock"
import { beforeEach, describe, expect } from "vitest"
import { sdkError } from "../test/sdk-error.ts"
import { makeSsm } from "./ssm.ts"

const ssmMock = mockClient(SSMClient)
const ssm = makeSsm(new SSMClient({ region: "eu-west-1" }))
const parameterName = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"

beforeEach(() => {
  ssmMock.reset()
})

describe("getParameter", () => {
  it.effect("returns the parameter's value, version and modification time", () =>
    Effect.gen(function* () {
      ssmMock.on(GetParameterCommand).resolves({
        Parameter: {
          Name: parameterName,
          Value: "ami-0abc",
          Version: 42,
          LastModifiedDate: new Date("2026-05-01T00:00:00Z"),
          Type: "String",
        },
      })
      expect(yield* ssm.getParameter(parameterName)).toEqual({
        name: parameterName,
        value: "ami-0abc",
        version: 42,
        lastModified: Date.parse("2026-05-01T00:00:00Z"),
      })
      expect(ssmMock.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({ Name: parameterName })
    }),
  )

  it.effect("given a parameter that does not exist, fails with not-found", () =>
    Effect.gen(function* () {
      ssmMock.on(GetParameterCommand).rejects(sdkError("ssm", "ParameterNotFound", ""))
      const error = yield* Effect.flip(ssm.getParameter("/nope"))
      expect({ kind: error.kind, operation: error.operation, retryable: error.retryable }).toEqual({
        kind: "not-found",
        operation: "ssm:GetParameter",
        retryable: false,
      })
    }),
  )
})
