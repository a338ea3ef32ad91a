/**
 * The policy grants exactly what the code calls. The calls are collected from the sources themselves
 * — every SDK command the AWS adapters, the event log's DynamoDB driver and the Lambda send — rather
 * than from the lists kept next to them, so a command added without updating a list fails here.
 */
import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import path from "node:path"
import { RunTagKeys } from "@ecs-ami-deploy/domain"
import { awsActionsUsed, impliedAwsActions } from "./actions.ts"
import { grantedActions, instanceTagKeys, rolloutPolicyDocument, type PolicyDocument } from "./iam-policy.ts"

const workspaceRoot = path.resolve(import.meta.dirname, "..", "..", "..")

/** IAM service prefixes by SDK client package. */
const servicePrefixes: Readonly<Record<string, string>> = {
  "client-ec2": "ec2",
  "client-auto-scaling": "autoscaling",
  "client-ecs": "ecs",
  "client-ssm": "ssm",
  "client-cloudwatch": "cloudwatch",
  "client-elastic-load-balancing-v2": "elasticloadbalancing",
  "client-dynamodb": "dynamodb",
  "client-sns": "sns",
  "client-lambda": "lambda",
}
/** Where a command's IAM action is not named after it. */
const actionOfCommand: Readonly<Record<string, string>> = { "lambda:Invoke": "lambda:InvokeFunction" }

/** The IAM actions of every SDK command (and paginator) a source file imports from an AWS client. */
const actionsCalledIn = (file: string): ReadonlyArray<string> => {
  const source = readFileSync(path.join(workspaceRoot, file), "utf8")
  const imports = [...source.matchAll(/import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/(client-[a-z0-9-]+)"/g)]
  return imports.flatMap(([, names = "", client = ""]) =>
    names
      .split(",")
      .map((name) => name.replace(/\btype\b/, "").trim())
      .flatMap((name) => {
        const command = /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1]
        const prefix = servicePrefixes[client]
        if (command === undefined || prefix === undefined) return []
        const action = `${prefix}:${command}`
        return [actionOfCommand[action] ?? action]
      }),
  )
}

const sourcesOf = (directory: string): ReadonlyArray<string> =>
  readdirSync(path.join(workspaceRoot, directory))
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
    .map((name) => path.join(directory, name))

const adapterCalls = sourcesOf("packages/aws/src").flatMap(actionsCalledIn)
/** `createTable` (CreateTable, DescribeTable) is for the CLI; the stack creates the Lambda's table. */
const eventLogCalls = actionsCalledIn("packages/event-log/src/dynamodb.ts").filter(
  (action) => action !== "dynamodb:CreateTable" && action !== "dynamodb:DescribeTable",
)
const lambdaCalls = sourcesOf("apps/lambda/src").flatMap(actionsCalledIn)
/** The Lambda runtime writes the function's logs with its role. */
const runtimeCalls = ["logs:CreateLogStream", "logs:PutLogEvents"]
const impliedCalls = impliedAwsActions.map((implied) => implied.action)

const sorted = (actions: Iterable<string>) => [...new Set(actions)].sort()

const lambdaDocument = rolloutPolicyDocument({
  region: "eu-west-1",
  account: "123456789012",
  clusterNames: ["prod"],
  eventLogTableArn: "arn:aws:dynamodb:eu-west-1:123456789012:table/runs",
  notificationTopicArn: "arn:aws:sns:eu-west-1:123456789012:rollouts",
  selfInvokeFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:ecs-ami-deploy",
  logGroupName: "/aws/lambda/ecs-ami-deploy",
})
const cliDocument = rolloutPolicyDocument({ region: "*", account: "*" })

const statement = (document: PolicyDocument, action: string) => {
  const found = document.Statement.filter((candidate) => candidate.Action.includes(action))
  expect(found).toHaveLength(1)
  return found[0]
}

describe("rolloutPolicyDocument", () => {
  it("given the sources, when the calls are collected, then the adapters found some of every service", () => {
    expect(new Set(adapterCalls.map((action) => action.split(":")[0]))).toEqual(
      new Set(["ec2", "autoscaling", "ecs", "ssm", "cloudwatch", "elasticloadbalancing"]),
    )
    expect(eventLogCalls.length).toBeGreaterThan(0)
    expect(sorted(lambdaCalls)).toEqual(["lambda:InvokeFunction", "sns:Publish"])
  })

  it("given the Lambda's targets, when the document is made, then it grants exactly the actions the code calls", () => {
    expect(grantedActions(lambdaDocument)).toEqual(
      sorted([...adapterCalls, ...impliedCalls, ...eventLogCalls, ...lambdaCalls, ...runtimeCalls]),
    )
  })

  it("given the adapters' own action list, then it matches the commands found in their sources", () => {
    expect(sorted(awsActionsUsed)).toEqual(sorted([...adapterCalls, ...impliedCalls]))
  })

  it("given no table, topic, function or log group (the CLI), when the document is made, then it grants the AWS calls only", () => {
    expect(grantedActions(cliDocument)).toEqual(sorted([...adapterCalls, ...impliedCalls]))
  })

  it("given any targets, then every statement has its own name and one action is in one statement", () => {
    const sids = lambdaDocument.Statement.map((s) => s.Sid)
    expect(new Set(sids).size).toBe(sids.length)
    const actions = lambdaDocument.Statement.flatMap((s) => s.Action)
    expect(new Set(actions).size).toBe(actions.length)
  })

  it("given TerminateInstances, then it only reaches instances carrying the run tag", () => {
    expect(statement(lambdaDocument, "ec2:TerminateInstances")).toEqual({
      Sid: "TerminateTaggedInstances",
      Effect: "Allow",
      Action: ["ec2:TerminateInstances"],
      Resource: ["arn:aws:ec2:eu-west-1:123456789012:instance/*"],
      Condition: { Null: { [`aws:ResourceTag/${RunTagKeys.runId}`]: "false" } },
    })
  })

  it("given CreateTags, then it only writes the executor's tag keys, on instances of Auto Scaling groups", () => {
    expect([...instanceTagKeys].sort()).toEqual(Object.values(RunTagKeys).sort())
    expect(statement(lambdaDocument, "ec2:CreateTags")?.Condition).toEqual({
      "ForAllValues:StringEquals": { "aws:TagKeys": instanceTagKeys },
      Null: { "aws:ResourceTag/aws:autoscaling:groupName": "false" },
    })
  })

  it("given cluster names, then draining and stopping tasks are limited to those clusters; without, to none in particular", () => {
    expect(statement(lambdaDocument, "ecs:UpdateContainerInstancesState")?.Condition).toEqual({
      ArnEquals: { "ecs:cluster": ["arn:aws:ecs:eu-west-1:123456789012:cluster/prod"] },
    })
    expect(statement(cliDocument, "ecs:StopTask")?.Condition).toBeUndefined()
  })

  it("given Auto Scaling group names, then group changes are limited to them", () => {
    const document = rolloutPolicyDocument({
      region: "eu-west-1",
      account: "123456789012",
      autoScalingGroupNames: ["a", "b"],
    })
    expect(statement(document, "autoscaling:TerminateInstanceInAutoScalingGroup")?.Resource).toEqual([
      "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/a",
      "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/b",
    ])
  })

  it("given Auto Scaling group names, then re-attaching instances reaches exactly the groups detaching does", () => {
    const document = rolloutPolicyDocument({
      region: "eu-west-1",
      account: "123456789012",
      autoScalingGroupNames: ["a"],
    })
    const attach = statement(document, "autoscaling:AttachInstances")
    expect(attach).toEqual(statement(document, "autoscaling:DetachInstances"))
    expect(attach?.Resource).toEqual([
      "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/a",
    ])
  })

  it("given the target health gate, then DescribeTargetHealth sits with the other reads, unconditioned", () => {
    const targetHealth = statement(lambdaDocument, "elasticloadbalancing:DescribeTargetHealth")
    expect(targetHealth).toEqual(statement(lambdaDocument, "cloudwatch:DescribeAlarms"))
    expect(targetHealth?.Resource).toEqual(["*"])
    expect(targetHealth?.Condition).toBeUndefined()
    expect(targetHealth?.Action.every((action) => /:(Describe|List|Get)/.test(action))).toBe(true)
  })

  it("given PassRole, then it only passes roles to EC2", () => {
    expect(statement(lambdaDocument, "iam:PassRole")?.Condition).toEqual({
      StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" },
    })
  })

  it("given the self-invocation, then the function may invoke only itself", () => {
    expect(statement(lambdaDocument, "lambda:InvokeFunction")?.Resource).toEqual([
      "arn:aws:lambda:eu-west-1:123456789012:function:ecs-ami-deploy",
    ])
  })
})
