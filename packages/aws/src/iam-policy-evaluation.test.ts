/**
 * The scoped policy, evaluated the way IAM evaluates an identity policy (offline: an implicit deny
 * unless an Allow statement matches the action, the resource and every condition), on the requests an
 * attacker holding the role would make: pass an unrelated admin role to a new instance, launch from
 * another launch template, read another SSM parameter, terminate an instance outside the groups.
 * The small evaluator below covers the operators the document uses; it fails on any other.
 */
import { describe, expect, it } from "vitest"
import { rolloutPolicyDocument, type PolicyDocument } from "./iam-policy.ts"

type Context = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

const glob = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  ).test(value)

const conditionHolds = (
  operator: string,
  key: string,
  expected: string | ReadonlyArray<string>,
  context: Context,
): boolean => {
  const wanted = typeof expected === "string" ? [expected] : expected
  const actual = context[key]
  const values = actual === undefined ? [] : typeof actual === "string" ? [actual] : actual
  switch (operator) {
    case "StringEquals":
    case "ArnEquals":
      return values.length > 0 && values.every((value) => wanted.includes(value))
    case "StringLike":
    case "ArnLike":
      return values.length > 0 && values.every((value) => wanted.some((pattern) => glob(pattern, value)))
    case "Null":
      return wanted.every((flag) => (flag === "true") === (actual === undefined))
    case "ForAllValues:StringEquals":
      return values.every((value) => wanted.includes(value))
    default:
      throw new Error(`the evaluator does not know the condition operator ${operator}`)
  }
}

/** Whether `document` allows `action` on `resource` in `context`. */
const allows = (document: PolicyDocument, action: string, resource: string, context: Context = {}): boolean =>
  document.Statement.some(
    (statement) =>
      statement.Action.some((pattern) => glob(pattern, action)) &&
      statement.Resource.some((pattern) => glob(pattern, resource)) &&
      Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
        Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, expected, context)),
      ),
  )

const account = "123456789012"
const instanceRole = `arn:aws:iam::${account}:role/ecs-instance-role`
const adminRole = `arn:aws:iam::${account}:role/Admin`
const scoped = rolloutPolicyDocument({
  region: "eu-west-1",
  account,
  clusterNames: ["prod"],
  autoScalingGroupNames: ["prod-asg"],
  instanceRoleArns: [instanceRole],
  launchTemplateIds: ["lt-0123456789abcdef0"],
  ssmParameterNames: ["/platform/golden-ami"],
})
const broad = rolloutPolicyDocument({ region: "eu-west-1", account })
const toEc2 = { "iam:PassedToService": "ec2.amazonaws.com" }

describe("the scoped rollout policy, evaluated", () => {
  it("given the groups' instance role, then PassRole to EC2 is allowed for it and denied for an unrelated admin role", () => {
    expect(allows(scoped, "iam:PassRole", instanceRole, toEc2)).toBe(true)
    expect(allows(scoped, "iam:PassRole", adminRole, toEc2)).toBe(false)
    // What the scoping fixes: the broad policy lets the role hand any role to a new instance.
    expect(allows(broad, "iam:PassRole", adminRole, toEc2)).toBe(true)
  })

  it("given the groups' launch template, then RunInstances from another template is denied", () => {
    const instance = `arn:aws:ec2:eu-west-1:${account}:instance/*`
    const template = (id: string) => ({
      "ec2:LaunchTemplate": `arn:aws:ec2:eu-west-1:${account}:launch-template/${id}`,
    })
    expect(allows(scoped, "ec2:RunInstances", instance, template("lt-0123456789abcdef0"))).toBe(true)
    expect(
      allows(
        scoped,
        "ec2:RunInstances",
        "arn:aws:ec2:eu-west-1::image/ami-0123456789abcdef0",
        template("lt-0123456789abcdef0"),
      ),
    ).toBe(true)
    expect(allows(scoped, "ec2:RunInstances", instance, template("lt-0ffffffffffffffff"))).toBe(false)
    // Another account's or Region's resources are not the groups'.
    expect(
      allows(
        scoped,
        "ec2:RunInstances",
        "arn:aws:ec2:us-east-1:999999999999:instance/*",
        template("lt-0123456789abcdef0"),
      ),
    ).toBe(false)
    expect(
      allows(
        scoped,
        "ec2:CreateLaunchTemplateVersion",
        `arn:aws:ec2:eu-west-1:${account}:launch-template/lt-0ffffffffffffffff`,
      ),
    ).toBe(false)
  })

  it("given an SSM parameter, then AWS's ECS parameters and that one are readable, and no other", () => {
    const parameter = (name: string, owner = account) => `arn:aws:ssm:eu-west-1:${owner}:parameter/${name}`
    expect(
      allows(
        scoped,
        "ssm:GetParameter",
        parameter("aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id", ""),
      ),
    ).toBe(true)
    expect(allows(scoped, "ssm:GetParameter", parameter("platform/golden-ami"))).toBe(true)
    expect(allows(scoped, "ssm:GetParameter", parameter("prod/database-password"))).toBe(false)
  })

  it("given groups, then terminating or tagging an instance outside them is denied, even one carrying the run tag", () => {
    const instance = `arn:aws:ec2:eu-west-1:${account}:instance/i-0123456789abcdef0`
    const tagged = (group: string) => ({
      "aws:ResourceTag/ecs-ami-deploy:run-id": "run-1",
      "aws:ResourceTag/aws:autoscaling:groupName": group,
    })
    expect(allows(scoped, "ec2:TerminateInstances", instance, tagged("prod-asg"))).toBe(true)
    expect(allows(scoped, "ec2:TerminateInstances", instance, tagged("payments-asg"))).toBe(false)
    expect(
      allows(scoped, "ec2:CreateTags", instance, {
        ...tagged("payments-asg"),
        "aws:TagKeys": ["ecs-ami-deploy:run-id"],
      }),
    ).toBe(false)
  })

  it("given groups, then no mutating action is granted on every role, every parameter or every resource", () => {
    const mutating = scoped.Statement.filter((statement) => !statement.Sid.startsWith("Read"))
    for (const statement of mutating)
      expect(
        statement.Resource.filter(
          (resource) => resource === "*" || resource.endsWith(":role/*") || resource.endsWith(":parameter/*"),
        ),
        statement.Sid,
      ).toEqual([])
  })

  it("given a cluster, then draining and stopping reach its container instances and tasks and not another cluster's", () => {
    const inCluster = (name: string) => ({
      "ecs:cluster": `arn:aws:ecs:eu-west-1:${account}:cluster/${name}`,
    })
    const containerInstance = (name: string) =>
      `arn:aws:ecs:eu-west-1:${account}:container-instance/${name}/0123456789abcdef0123456789abcdef`
    const task = (name: string) =>
      `arn:aws:ecs:eu-west-1:${account}:task/${name}/0123456789abcdef0123456789abcdef`
    expect(
      allows(scoped, "ecs:UpdateContainerInstancesState", containerInstance("prod"), inCluster("prod")),
    ).toBe(true)
    expect(allows(scoped, "ecs:StopTask", task("prod"), inCluster("prod"))).toBe(true)
    expect(
      allows(
        scoped,
        "ecs:UpdateContainerInstancesState",
        containerInstance("payments"),
        inCluster("payments"),
      ),
    ).toBe(false)
    expect(allows(scoped, "ecs:StopTask", task("payments"), inCluster("payments"))).toBe(false)
  })
})
