/**
 * The stack with a fleet, synthesised offline: the fleet file reaches the function (as its cold start
 * reads it), the function's role may assume exactly the fleet's roles, and a bad fleet stops synthesis.
 */
import { describe, expect, it } from "vitest"
import { Result } from "effect"
import { loadConfig } from "@ecs-ami-deploy/lambda"
import { synth } from "./stack-fixture.ts"

const fleet = JSON.stringify({
  fleet: "platform",
  defaults: { region: "eu-west-1" },
  stages: [
    { name: "canary", bakeMs: 3_600_000, clusters: [{ cluster: "canary" }] },
    {
      name: "rest",
      defaults: { role: "arn:aws:iam::222222222222:role/ecs-ami-deploy-rollout" },
      clusters: [
        { cluster: "a" },
        { cluster: "b", role: "arn:aws:iam::333333333333:role/ecs-ami-deploy-rollout" },
      ],
    },
  ],
})

const statementsOf = (template: ReturnType<typeof synth>["template"]) =>
  Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: ReadonlyArray<Record<string, unknown>> } } })
        .Properties.PolicyDocument.Statement,
  )

describe("EcsAmiDeployStack with a fleet", () => {
  it("given a fleet file, then the function gets it as FLEET (its cold start decodes it) and may assume exactly the fleet's roles", () => {
    const { template } = synth({ clusters: [], fleet })
    const fn = Object.values(template.findResources("AWS::Lambda::Function"))[0] as {
      Properties: { Environment: { Variables: Record<string, string> } }
    }
    const variables = fn.Properties.Environment.Variables
    expect(JSON.parse(variables["FLEET"] ?? "")).toEqual(JSON.parse(fleet))
    // The deployment's own variables are tokens (Ref) in the template: given plain values here.
    const plain = Object.entries(variables).filter(([, value]) => typeof value === "string")
    const config = loadConfig({
      ...Object.fromEntries(plain),
      EVENT_LOG_TABLE: "t",
      AWS_LAMBDA_FUNCTION_NAME: "f",
    })
    expect(Result.isSuccess(config) ? config.success.fleet?.fleetName : config.failure.message).toBe(
      "platform",
    )
    const assume = statementsOf(template).find((statement) => statement["Sid"] === "AssumeFleetRolloutRoles")
    expect(assume).toMatchObject({
      Action: "sts:AssumeRole",
      Resource: [
        "arn:aws:iam::222222222222:role/ecs-ami-deploy-rollout",
        "arn:aws:iam::333333333333:role/ecs-ami-deploy-rollout",
      ],
    })
  })

  it("given a fleet with a bad role ARN, or clusters beside a fleet, then synthesis stops naming the problem", () => {
    expect(() => synth({ clusters: [], fleet: fleet.replace("222222222222", "2222") })).toThrow(
      /stages\.1\.defaults\.role/,
    )
    expect(() => synth({ clusters: ["prod"], fleet })).toThrow(/clusters: must be empty with a fleet/)
  })
})
