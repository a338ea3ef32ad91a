import { describe, expect, it } from "@effect/vitest"
import { handlerFromEnvironment } from "./live.ts"

describe("handlerFromEnvironment", () => {
  it("given a misconfigured environment, when the module loads, then it throws naming every variable to fix", () => {
    expect(() => handlerFromEnvironment({ CLUSTERS: "prod", MAX_SURGE: "lots" })).toThrow(
      /EVENT_LOG_TABLE: is required[\s\S]*AWS_LAMBDA_FUNCTION_NAME: is required[\s\S]*MAX_SURGE: expected a number/,
    )
  })

  it("given a valid environment, when the module loads, then a handler is ready without calling AWS", () => {
    const handler = handlerFromEnvironment({
      CLUSTERS: "prod",
      EVENT_LOG_TABLE: "runs",
      AWS_LAMBDA_FUNCTION_NAME: "ami-deploy",
      AWS_REGION: "eu-west-1",
    })
    expect(handler).toBeTypeOf("function")
  })
})
