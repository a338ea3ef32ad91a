/**
 * The least-privilege IAM policy of ecs-ami-deploy, as a plain JSON document: the CDK stack attaches
 * it to the Lambda's role, and the CLI's `iam-policy` command prints it for people who run the CLI
 * under their own role. It imports nothing from the CDK, so the CLI can use it without aws-cdk-lib.
 *
 * The actions come from the adapters' own lists (this package), the event log's DynamoDB
 * driver, and the Lambda's SNS and self-invocation calls. Each adapter action is given a scope in a
 * table typed by the adapters' action lists, so an adapter that starts calling a new action does not
 * compile here until someone decides how far that action may reach.
 *
 * What is scoped, and why not more (docs: docs/lambda.md "IAM"):
 * - Reads (Describe*, List*) are `*`: most do not support resource-level permissions, and they change nothing
 *   (`cloudwatch:DescribeAlarms` included: the alarms a policy names are only known at run time; so is
 *   `elasticloadbalancing:DescribeTargetHealth` and `DescribeTargetGroupAttributes`: the target groups are the services', read at run time).
 * - `ec2:CreateTags` may only write this tool's tag keys, and only on instances launched by an Auto
 *   Scaling group (they carry `aws:autoscaling:groupName`, a tag nobody can add by hand).
 * - `ec2:TerminateInstances` only reaches instances carrying `ecs-ami-deploy:run-id`. The executor tags
 *   every old instance with it before any other action (invariant 1), so the condition never blocks a
 *   legitimate call; together with the rule above, the role cannot terminate an instance outside an
 *   Auto Scaling group (a database host, a bastion) even if the code had a bug.
 * - `ecs:UpdateContainerInstancesState` and `ecs:StopTask` are limited to the configured clusters
 *   (`ecs:cluster` condition) when cluster names are given.
 * - Auto Scaling mutations are limited to the named groups when names are given, else to the account
 *   and Region. Launch template writes are limited to the account and Region: templates carry no tag
 *   of ours, and which template a cluster uses is only known at run time.
 * - `iam:PassRole` only towards EC2 (the instance profile of a launch template or configuration), and
 *   only for the instance roles given (else any role of the account: the broad policy). The CLI's
 *   `iam-policy --cluster C` finds them: the roles of the instance profiles its groups launch with.
 * - `ec2:RunInstances` is `*` because Auto Scaling checks it on every resource a launch template names;
 *   with launch templates given it is conditioned on `ec2:LaunchTemplate` being one of them, so the role
 *   cannot launch an instance from another template (with another role).
 * - `ssm:GetParameter` reads AWS's public ECS parameters (`/aws/service/ecs/*`) and the parameters given.
 * - Given groups, tagging and terminating instances also require `aws:autoscaling:groupName` to be one of them.
 */
import { impliedAwsActions } from "./actions.ts"
import { autoScalingActions } from "./auto-scaling.ts"
import { cloudWatchActions } from "./cloudwatch.ts"
import { ec2Actions } from "./ec2.ts"
import { ecsActions } from "./ecs.ts"
import { loadBalancingActions } from "./load-balancing.ts"
import { ssmActions } from "./ssm.ts"

/** The tag keys the executor writes on instances (domain `RunTagKeys`). */
export const instanceTagKeys = [
  "ecs-ami-deploy:run-id",
  "ecs-ami-deploy:role",
  "ecs-ami-deploy-asg",
  "ecs-ami-deploy-terminate",
] as const

/** What the event log's DynamoDB driver calls on its table (its `createTable` is for the CLI; the stack creates the table). */
export const eventLogTableActions = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:Query",
] as const

export interface PolicyTargets {
  /** Default `aws`. */
  readonly partition?: string
  /** Region and account of the resources; `*` for any. */
  readonly region: string
  readonly account: string
  /** ECS clusters the role may drain and stop tasks in; omitted: every cluster of the account and Region. */
  readonly clusterNames?: ReadonlyArray<string>
  /**
   * Auto Scaling groups the role may change; omitted: every group of the account and Region. Given, it
   * also limits tagging and terminating instances to members of these groups.
   */
  readonly autoScalingGroupNames?: ReadonlyArray<string>
  /** The roles the groups' instance profiles use: the only roles `iam:PassRole` may pass; omitted: any role of the account. */
  readonly instanceRoleArns?: ReadonlyArray<string>
  /**
   * The launch templates (ids, `lt-…`) the groups launch from: the only templates the role may write and
   * `ec2:RunInstances` may launch from; omitted: any template of the account and Region.
   */
  readonly launchTemplateIds?: ReadonlyArray<string>
  /** SSM parameters (names) an AMI source or a `resolve:ssm:` template reads, besides AWS's public `/aws/service/ecs/*`. */
  readonly ssmParameterNames?: ReadonlyArray<string>
  /** The event log's DynamoDB table (the Lambda); omitted for the CLI's local file log. */
  readonly eventLogTableArn?: string
  /** The topic run notifications are published to. */
  readonly notificationTopicArn?: string
  /** The Lambda's own ARN, for its asynchronous hand-over to a fresh invocation. */
  readonly selfInvokeFunctionArn?: string
  /** The Lambda's log group, for its logs. */
  readonly logGroupName?: string
}

export interface PolicyStatement {
  readonly Sid: string
  readonly Effect: "Allow"
  readonly Action: ReadonlyArray<string>
  readonly Resource: ReadonlyArray<string>
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | ReadonlyArray<string>>>>>
}

export interface PolicyDocument {
  readonly Version: "2012-10-17"
  readonly Statement: ReadonlyArray<PolicyStatement>
}

type AdapterAction =
  | (typeof ec2Actions)[number]
  | (typeof autoScalingActions)[number]
  | (typeof ecsActions)[number]
  | (typeof ssmActions)[number]
  | (typeof cloudWatchActions)[number]
  | (typeof loadBalancingActions)[number]

/** How far an adapter action may reach; each names a statement below. */
type Scope =
  | "read"
  | "tag-asg-instances"
  | "terminate-tagged-instances"
  | "launch-templates"
  | "auto-scaling-groups"
  | "launch-configurations"
  | "cluster-instances-and-tasks"
  | "ssm-parameters"

const adapterScopes: Readonly<Record<AdapterAction, Scope>> = {
  "ec2:DescribeInstances": "read",
  "ec2:DescribeImages": "read",
  "ec2:DescribeInstanceAttribute": "read",
  "ec2:DescribeLaunchTemplates": "read",
  "ec2:DescribeLaunchTemplateVersions": "read",
  "ec2:CreateTags": "tag-asg-instances",
  "ec2:TerminateInstances": "terminate-tagged-instances",
  "ec2:CreateLaunchTemplateVersion": "launch-templates",
  "ec2:ModifyLaunchTemplate": "launch-templates",
  "ec2:DeleteLaunchTemplateVersions": "launch-templates",
  "autoscaling:DescribeAutoScalingGroups": "read",
  "autoscaling:DescribeLaunchConfigurations": "read",
  "autoscaling:UpdateAutoScalingGroup": "auto-scaling-groups",
  "autoscaling:AttachInstances": "auto-scaling-groups",
  "autoscaling:DetachInstances": "auto-scaling-groups",
  "autoscaling:TerminateInstanceInAutoScalingGroup": "auto-scaling-groups",
  "autoscaling:SuspendProcesses": "auto-scaling-groups",
  "autoscaling:ResumeProcesses": "auto-scaling-groups",
  "autoscaling:CreateLaunchConfiguration": "launch-configurations",
  "autoscaling:DeleteLaunchConfiguration": "launch-configurations",
  "ecs:ListClusters": "read",
  "ecs:DescribeClusters": "read",
  "ecs:DescribeCapacityProviders": "read",
  "ecs:ListContainerInstances": "read",
  "ecs:DescribeContainerInstances": "read",
  "ecs:ListServices": "read",
  "ecs:DescribeServices": "read",
  "ecs:DescribeTaskDefinition": "read",
  "ecs:ListTasks": "read",
  "ecs:DescribeTasks": "read",
  "ecs:UpdateContainerInstancesState": "cluster-instances-and-tasks",
  "ecs:StopTask": "cluster-instances-and-tasks",
  "ssm:GetParameter": "ssm-parameters",
  "cloudwatch:DescribeAlarms": "read",
  "elasticloadbalancing:DescribeTargetHealth": "read",
  "elasticloadbalancing:DescribeTargetGroupAttributes": "read",
}

type ImpliedScope = "run-instances" | "pass-role-to-ec2" | "ssm-parameters"

/** The implied actions (checked by AWS on our behalf) get statements of their own. */
const impliedScopes: Readonly<Record<string, ImpliedScope>> = {
  "ec2:RunInstances": "run-instances",
  "iam:PassRole": "pass-role-to-ec2",
  "ssm:GetParameters": "ssm-parameters",
}

const adapterActions: ReadonlyArray<AdapterAction> = [
  ...ec2Actions,
  ...autoScalingActions,
  ...ecsActions,
  ...ssmActions,
  ...cloudWatchActions,
  ...loadBalancingActions,
]

/** The action lists by scope, in a stable order. */
const actionsByScope = (): ReadonlyMap<Scope | ImpliedScope, ReadonlyArray<string>> => {
  const byScope = new Map<Scope | ImpliedScope, Array<string>>()
  const add = (scope: Scope | ImpliedScope, action: string) =>
    byScope.set(scope, [...(byScope.get(scope) ?? []), action])
  for (const action of adapterActions) add(adapterScopes[action], action)
  for (const { action } of impliedAwsActions) {
    const scope = impliedScopes[action]
    // An implied action nobody has scoped yet is left out (fail closed); the policy test names it.
    if (scope !== undefined) add(scope, action)
  }
  return new Map([...byScope].map(([scope, actions]) => [scope, [...new Set(actions)].sort()]))
}

const sidOf = (scope: string): string =>
  scope
    .split("-")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join("")

/**
 * The policy document for `targets`. Values may be CloudFormation tokens (the CDK stack passes its
 * region, account and resource ARNs); they are only concatenated, never inspected.
 */
export const rolloutPolicyDocument = (targets: PolicyTargets): PolicyDocument => {
  const partition = targets.partition ?? "aws"
  const { region, account } = targets
  const arn = (service: string, resource: string, accountPart = account) =>
    `arn:${partition}:${service}:${region}:${accountPart}:${resource}`
  const instances = arn("ec2", "instance/*")
  const groups = targets.autoScalingGroupNames
  // Instances of the given groups only (the tag Auto Scaling sets, which nobody can add by hand).
  const inGroups =
    groups === undefined ? {} : { StringEquals: { "aws:ResourceTag/aws:autoscaling:groupName": groups } }
  const templates = targets.launchTemplateIds?.map((id) => arn("ec2", `launch-template/${id}`))
  const resourcesOf: Readonly<Record<Scope | ImpliedScope, Pick<PolicyStatement, "Resource" | "Condition">>> =
    {
      read: { Resource: ["*"] },
      "tag-asg-instances": {
        Resource: [instances],
        Condition: {
          "ForAllValues:StringEquals": { "aws:TagKeys": instanceTagKeys },
          Null: { "aws:ResourceTag/aws:autoscaling:groupName": "false" },
          ...inGroups,
        },
      },
      "terminate-tagged-instances": {
        Resource: [instances],
        Condition: { Null: { "aws:ResourceTag/ecs-ami-deploy:run-id": "false" }, ...inGroups },
      },
      "launch-templates": { Resource: templates ?? [arn("ec2", "launch-template/*")] },
      "auto-scaling-groups": {
        Resource: (targets.autoScalingGroupNames ?? ["*"]).map((name) =>
          arn("autoscaling", `autoScalingGroup:*:autoScalingGroupName/${name}`),
        ),
      },
      "launch-configurations": {
        Resource: [arn("autoscaling", "launchConfiguration:*:launchConfigurationName/*")],
      },
      // The clusters' container instances and tasks (ARNs name their cluster), and the cluster condition too.
      "cluster-instances-and-tasks":
        targets.clusterNames === undefined
          ? { Resource: ["*"] }
          : {
              Resource: targets.clusterNames.flatMap((name) => [
                arn("ecs", `container-instance/${name}/*`),
                arn("ecs", `task/${name}/*`),
              ]),
              Condition: {
                ArnEquals: {
                  "ecs:cluster": targets.clusterNames.map((name) => arn("ecs", `cluster/${name}`)),
                },
              },
            },
      // AWS's public parameters (the ECS-optimized AMI ids) have no account in their ARN.
      "ssm-parameters": {
        Resource: [
          arn("ssm", "parameter/aws/service/ecs/*", ""),
          ...(targets.ssmParameterNames ?? []).map((name) =>
            arn("ssm", `parameter/${name.replace(/^\//, "")}`),
          ),
        ],
      },
      // Auto Scaling checks RunInstances on every resource a launch would use (instance, volumes, network
      // interfaces, subnets, security groups, the image and its snapshots): those of this account and
      // Region and the public images', and only through the groups' launch templates when they are known.
      "run-instances": {
        Resource: [arn("ec2", "*"), arn("ec2", "image/*", ""), arn("ec2", "snapshot/*", "")],
        ...(templates === undefined ? {} : { Condition: { ArnEquals: { "ec2:LaunchTemplate": templates } } }),
      },
      "pass-role-to-ec2": {
        Resource: targets.instanceRoleArns ?? [`arn:${partition}:iam::${account}:role/*`],
        Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
      },
    }
  const adapterStatements = [...actionsByScope()].map(([scope, actions]): PolicyStatement => ({
    Sid: sidOf(scope),
    Effect: "Allow",
    Action: actions,
    ...(resourcesOf[scope] ?? { Resource: ["*"] }),
  }))
  const optional = (present: string | undefined, statement: (value: string) => PolicyStatement) =>
    present === undefined ? [] : [statement(present)]
  return {
    Version: "2012-10-17",
    Statement: [
      ...adapterStatements,
      ...optional(targets.eventLogTableArn, (tableArn) => ({
        Sid: "EventLogTable",
        Effect: "Allow",
        Action: [...eventLogTableActions],
        Resource: [tableArn],
      })),
      ...optional(targets.notificationTopicArn, (topicArn) => ({
        Sid: "PublishRunNotifications",
        Effect: "Allow",
        Action: ["sns:Publish"],
        Resource: [topicArn],
      })),
      ...optional(targets.selfInvokeFunctionArn, (functionArn) => ({
        Sid: "HandOverToNextInvocation",
        Effect: "Allow",
        Action: ["lambda:InvokeFunction"],
        Resource: [functionArn],
      })),
      ...optional(targets.logGroupName, (logGroupName) => ({
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [arn("logs", `log-group:${logGroupName}:*`)],
      })),
    ],
  }
}

/** Every action a document grants, sorted: for tests and for the CLI's summary. */
export const grantedActions = (document: PolicyDocument): ReadonlyArray<string> =>
  [...new Set(document.Statement.flatMap((statement) => statement.Action))].sort()
