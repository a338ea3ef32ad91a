/**
 * The rollout role stack, synthesised offline: a role of the fleet's role name that only the given
 * principals may assume, with the rollout's least-privilege policy in every Region of its account.
 */
import { describe, expect, it } from "vitest"
import { App } from "aws-cdk-lib"
import { Template } from "aws-cdk-lib/assertions"
import { grantedActions, rolloutPolicyDocument, type PolicyDocument } from "@ecs-ami-deploy/aws"
import { EcsAmiDeployRolloutRoleStack } from "../src/rollout-role.ts"

const fleetLambdaRole = "arn:aws:iam::999999999999:role/ecs-ami-deploy-function"

const synthRole = (props: Partial<ConstructorParameters<typeof EcsAmiDeployRolloutRoleStack>[2]> = {}) => {
  const app = new App()
  const stack = new EcsAmiDeployRolloutRoleStack(app, "RolloutRole", {
    env: { account: "222222222222", region: "eu-west-1" },
    trustedPrincipalArns: [fleetLambdaRole],
    ...props,
  })
  return Template.fromStack(stack)
}

const onlyRole = (template: Template) => {
  const roles = Object.values(template.findResources("AWS::IAM::Role"))
  expect(roles).toHaveLength(1)
  return roles[0] as {
    readonly Properties: {
      readonly RoleName: string
      readonly AssumeRolePolicyDocument: { readonly Statement: ReadonlyArray<Record<string, unknown>> }
      readonly Policies: ReadonlyArray<{
        readonly PolicyName: string
        readonly PolicyDocument: PolicyDocument
      }>
    }
  }
}

describe("EcsAmiDeployRolloutRoleStack", () => {
  it("given the fleet Lambda's role, then only it may assume the role named as the fleet file names it", () => {
    const role = onlyRole(synthRole())
    expect(role.Properties.RoleName).toBe("ecs-ami-deploy-rollout")
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: "sts:AssumeRole", Effect: "Allow", Principal: { AWS: fleetLambdaRole } },
    ])
  })

  it("given scoping props, then the role's policy is the rollout's least-privilege policy for its account in every Region, without the event log", () => {
    const role = onlyRole(synthRole({ clusterNames: ["prod-web"], autoScalingGroupNames: ["prod-web-asg"] }))
    const policy = role.Properties.Policies.find((each) => each.PolicyName === "rollout")?.PolicyDocument
    const expected = rolloutPolicyDocument({
      partition: "aws",
      region: "*",
      account: "222222222222",
      clusterNames: ["prod-web"],
      autoScalingGroupNames: ["prod-web-asg"],
    })
    expect(policy === undefined ? [] : grantedActions(policy)).toEqual(grantedActions(expected))
    expect(JSON.stringify(policy)).not.toContain("dynamodb:")
    expect(JSON.stringify(policy)).toContain("prod-web-asg")
  })

  it("given no trusted principal, then synthesis stops: nobody could assume the role", () => {
    expect(() => synthRole({ trustedPrincipalArns: [] })).toThrow(/trustedPrincipalArns is empty/)
  })
})
