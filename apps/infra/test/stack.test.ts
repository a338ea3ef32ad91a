import { describe, expect, it } from "@effect/vitest"
import { App, aws_events as events, Duration, Lazy, Stack } from "aws-cdk-lib"
import { Annotations, Match, Template } from "aws-cdk-lib/assertions"
import { Effect } from "effect"
import { grantedActions, rolloutPolicyDocument, type PolicyDocument } from "@ecs-ami-deploy/aws"
import { decodeTrigger } from "@ecs-ami-deploy/lambda"
import { EcsAmiDeployStack, failedRunsMetricName, metricNamespace } from "../src/stack.ts"
import { placeholderCode, synth } from "./stack-fixture.ts"

/** AWS's announcement topic of a Region, as the Amazon ECS Developer Guide lists it. */
const announcementTopicArn = (region: string) =>
  `arn:aws:sns:${region}:177427601217:ecs-optimized-amazon-ami-update`

const synthIn = (region: string | undefined) => {
  const app = new App()
  const stack = new EcsAmiDeployStack(app, "Regional", {
    ...(region === undefined ? {} : { env: { account: "123456789012", region } }),
    clusters: ["prod"],
    code: placeholderCode(),
  })
  return { stack, template: Template.fromStack(stack), warnings: Annotations.fromStack(stack) }
}

const noAnnouncementsWarning = Match.stringLikeRegexp(
  "not subscribed to AWS's ECS-optimized AMI announcements and runs on its schedule only",
)

const onlyResource = (template: Template, type: string) => {
  const resources = Object.values(template.findResources(type))
  expect(resources).toHaveLength(1)
  return resources[0] as { readonly Properties: Record<string, unknown> }
}

describe("EcsAmiDeployStack", () => {
  it("given the stack, then the event-log table has the driver's keys, on-demand billing, point-in-time recovery and encryption, and is kept on delete", () => {
    const { template } = synth()
    template.hasResource("AWS::DynamoDB::Table", {
      Properties: {
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        BillingMode: "PAY_PER_REQUEST",
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
      DeletionPolicy: "Retain",
    })
  })

  it("given the stack, then the function runs the bundle on Node 24 for Lambda's full 900 s with its configuration", () => {
    const { template } = synth({ settings: { MAX_SURGE: "2" } })
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Timeout: 900,
      Handler: "handler.handler",
      FunctionName: "ecs-ami-deploy",
      Environment: {
        Variables: {
          CLUSTERS: "prod,staging",
          MAX_SURGE: "2",
          EVENT_LOG_TABLE: { Ref: Match.stringLikeRegexp("^EventLog") },
          NOTIFICATION_TOPIC_ARN: { Ref: Match.stringLikeRegexp("^Notifications") },
        },
      },
    })
  })

  it("given no schedule, then the function runs weekly on Saturdays at 01:00 UTC; given one, then that one", () => {
    const weekly = synth().template
    weekly.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "cron(0 1 ? * SAT *)",
      Targets: [{ Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^Function"), "Arn"] } }],
    })
    const hourly = synth({ schedule: events.Schedule.rate(Duration.hours(1)) }).template
    hourly.hasResourceProperties("AWS::Events::Rule", { ScheduleExpression: "rate(1 hour)" })
  })

  it("given the stack, then a sweep every 15 minutes sends the function the resume-open-runs event, which the Lambda accepts", async () => {
    const { template } = synth()
    const sweeps = Object.values(
      template.findResources("AWS::Events::Rule", { Properties: { ScheduleExpression: "rate(15 minutes)" } }),
    )
    expect(sweeps).toHaveLength(1)
    const target = (sweeps[0] as { Properties: { Targets: ReadonlyArray<{ Input: string }> } }).Properties
      .Targets[0]
    expect(await Effect.runPromise(decodeTrigger(JSON.parse(target?.Input ?? "null")))).toEqual({
      _tag: "ResumeOpenRuns",
    })
  })

  it("given a Region where AWS documents an announcement topic, then the function is subscribed to that Region's topic, and SNS may invoke it", () => {
    const { template, stack } = synth()
    expect(stack.amiAnnouncements).toEqual({ _tag: "SameRegion", topicRegion: "eu-west-1" })
    const subscription = onlyResource(template, "AWS::SNS::Subscription")
    expect(subscription.Properties).toEqual({
      Protocol: "lambda",
      TopicArn: announcementTopicArn("eu-west-1"),
      Region: "eu-west-1",
      Endpoint: { "Fn::GetAtt": [expect.stringMatching(/^Function/), "Arn"] },
    })
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "sns.amazonaws.com",
      SourceArn: announcementTopicArn("eu-west-1"),
    })
  })

  it("given a Region enabled by default without a topic of its own (eu-north-1), then the function is subscribed to us-east-1's topic, the subscription made in us-east-1", () => {
    const { template, stack, warnings } = synthIn("eu-north-1")
    expect(stack.amiAnnouncements).toEqual({ _tag: "CrossRegion", topicRegion: "us-east-1" })
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "lambda",
      TopicArn: announcementTopicArn("us-east-1"),
      Region: "us-east-1",
    })
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Principal: "sns.amazonaws.com",
      SourceArn: announcementTopicArn("us-east-1"),
    })
    warnings.hasNoWarning("*", noAnnouncementsWarning)
  })

  it("given an opt-in Region without a topic of its own (ap-southeast-3), then no subscription is made and synthesis warns that the schedule alone runs the function", () => {
    const { template, stack, warnings } = synthIn("ap-southeast-3")
    expect(stack.amiAnnouncements._tag).toBe("None")
    template.resourceCountIs("AWS::SNS::Subscription", 0)
    template.resourcePropertiesCountIs("AWS::Lambda::Permission", { Principal: "sns.amazonaws.com" }, 0)
    warnings.hasWarning("/Regional", noAnnouncementsWarning)
    warnings.hasWarning("/Regional", Match.stringLikeRegexp("opt-in Region"))
  })

  it("given an opt-in Region AWS lists a topic in (ap-east-1), then its own topic is used", () => {
    const { template } = synthIn("ap-east-1")
    template.hasResourceProperties("AWS::SNS::Subscription", { TopicArn: announcementTopicArn("ap-east-1") })
  })

  it("given settings the Lambda would refuse at cold start, when synthesised, then synthesis fails naming the key, what was wrong and the expected shape", () => {
    expect(() => synth({ settings: { MAX_SURGE: "abc" } })).toThrow(
      /MAX_SURGE: expected a number of instances \(e\.g\. 2\) or a percentage \(e\.g\. 50%\), got "abc"/,
    )
    expect(() => synth({ settings: { CAPACITY_MODE: "fast" } })).toThrow(
      /CAPACITY_MODE: expected one of surge, detach, got "fast"/,
    )
    expect(() => synth({ settings: { MAX_SURGES: "2" } })).toThrow(
      /MAX_SURGES: is not a setting: did you mean MAX_SURGE\? The settings are /,
    )
    expect(() => synth({ settings: { CLUSTERS: "other" } })).toThrow(/CLUSTERS: is not a setting/)
  })

  it("given good settings, when synthesised, then the function gets them as they are", () => {
    const { template } = synth({
      settings: { MAX_SURGE: "25%", CAPACITY_MODE: "detach", BAKE_TIME_SECONDS: "60" },
    })
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: { MAX_SURGE: "25%", CAPACITY_MODE: "detach", BAKE_TIME_SECONDS: "60" } },
    })
  })

  it("given a setting whose value is known only at deployment (a token), then its key is checked and its value left to the cold start", () => {
    const surge = Lazy.string({ produce: () => "2" })
    expect(() => synth({ settings: { MAX_SURGE: surge } })).not.toThrow()
    expect(() => synth({ settings: { MAX_SURGES: surge } })).toThrow(/MAX_SURGES: is not a setting/)
  })

  it("given notification e-mails, then each is subscribed to the notification topic, which refuses unencrypted publishing", () => {
    const { template } = synth({ notificationEmails: ["ops@example.com", "oncall@example.com"] })
    template.resourceCountIs("AWS::SNS::Topic", 1)
    for (const email of ["ops@example.com", "oncall@example.com"])
      template.hasResourceProperties("AWS::SNS::Subscription", {
        Protocol: "email",
        Endpoint: email,
        TopicArn: { Ref: Match.stringLikeRegexp("^Notifications") },
      })
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ],
      },
    })
  })

  it("given the JSON logs, then failed, rolled-back, mixed-fleet (incomplete, halted) and refused runs are counted and alarmed on, as are invocation errors, both to the topic", () => {
    const { template } = synth()
    template.hasResourceProperties("AWS::Logs::MetricFilter", {
      FilterPattern:
        '{ ($.outcome = "failed") || ($.outcome = "rolled-back") || ($.outcome = "incomplete") || ($.outcome = "halted") || ($.outcome = "refused") }',
      MetricTransformations: [
        { MetricNamespace: metricNamespace, MetricName: failedRunsMetricName, MetricValue: "1" },
      ],
    })
    const alarmAction = [{ Ref: Match.stringLikeRegexp("^Notifications") }]
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: metricNamespace,
      MetricName: failedRunsMetricName,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      AlarmActions: alarmAction,
    })
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      AlarmActions: alarmAction,
    })
  })

  it("given the role, then its only permissions are the rollout policy for this stack's resources, and nothing is added beside it", () => {
    const { stack, template } = synth({ autoScalingGroupNames: ["prod-asg"] })
    template.resourceCountIs("AWS::IAM::Policy", 0)
    template.resourceCountIs("AWS::IAM::ManagedPolicy", 0)
    const role = onlyResource(template, "AWS::IAM::Role")
    expect(role.Properties["ManagedPolicyArns"]).toBeUndefined()
    const policies = role.Properties["Policies"] as ReadonlyArray<{
      PolicyName: string
      PolicyDocument: PolicyDocument
    }>
    expect(policies.map((policy) => policy.PolicyName)).toEqual(["rollout"])
    const expected = stack.resolve(
      rolloutPolicyDocument({
        partition: "aws",
        region: "eu-west-1",
        account: "123456789012",
        clusterNames: ["prod", "staging"],
        autoScalingGroupNames: ["prod-asg"],
        eventLogTableArn: stack.table.tableArn,
        notificationTopicArn: stack.notificationTopic.topicArn,
        selfInvokeFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:ecs-ami-deploy",
        logGroupName: "/aws/lambda/ecs-ami-deploy",
      }),
    ) as PolicyDocument
    const actual = policies[0]?.PolicyDocument
    expect(actual?.Statement.map((statement) => statement.Sid)).toEqual(
      expected.Statement.map((statement) => statement.Sid),
    )
    expect(grantedActions({ Version: "2012-10-17", Statement: normalised(actual) })).toEqual(
      grantedActions(expected),
    )
  })

  it("given the groups' instance role, launch template and an ssm-parameter AMI source, then PassRole, launch-template writes and SSM reads reach only those", () => {
    const { template } = synth({
      autoScalingGroupNames: ["prod-asg"],
      instanceRoleArns: ["arn:aws:iam::123456789012:role/ecs-instance"],
      launchTemplateIds: ["lt-0123456789abcdef0"],
      settings: { AMI_SOURCE: "ssm-parameter:/platform/golden-ami" },
    })
    const role = onlyResource(template, "AWS::IAM::Role")
    const [rollout] = role.Properties["Policies"] as ReadonlyArray<{ PolicyDocument: PolicyDocument }>
    const statements = normalised(rollout?.PolicyDocument)
    const resourcesOf = (sid: string) =>
      JSON.stringify(
        ([] as Array<unknown>).concat(statements.find((statement) => statement.Sid === sid)?.Resource ?? []),
      )
    expect(resourcesOf("PassRoleToEc2")).toBe(JSON.stringify(["arn:aws:iam::123456789012:role/ecs-instance"]))
    expect(resourcesOf("LaunchTemplates")).toContain("launch-template/lt-0123456789abcdef0")
    expect(resourcesOf("LaunchTemplates")).not.toContain("launch-template/*")
    expect(resourcesOf("SsmParameters")).toContain("parameter/platform/golden-ami")
    expect(resourcesOf("SsmParameters")).not.toContain(":parameter/*")
  })

  it("given no account or Region (an environment-agnostic app), then the stack still synthesises offline, subscribed to no announcement topic, and says so", () => {
    const { stack, template, warnings } = synthIn(undefined)
    expect(Stack.of(stack).region).toMatch(/^\$\{Token/)
    template.resourceCountIs("AWS::Lambda::Function", 1)
    template.resourceCountIs("AWS::SNS::Subscription", 0)
    warnings.hasWarning("/Regional", Match.stringLikeRegexp("Region is not known at synthesis"))
  })
})

/** CloudFormation writes a single action or resource as a string: lists again, for comparison. */
const normalised = (document: PolicyDocument | undefined): PolicyDocument["Statement"] =>
  (document?.Statement ?? []).map((statement) => ({
    ...statement,
    Action: ([] as Array<string>).concat(statement.Action),
  }))
