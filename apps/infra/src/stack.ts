/**
 * The deployable stack of the ecs-ami-deploy Lambda: its event-log table, the function itself with a
 * least-privilege role, the weekly schedule and the resume sweep, the subscription to AWS's announcements of new
 * ECS-optimized AMIs, the topic people subscribe to for run notifications, and alarms on failed runs
 * and failed invocations. The function's code is given by the caller (the esbuild bundle in `app.ts`,
 * a placeholder directory in tests), so the stack synthesises without building anything.
 *
 * The function's `settings` are decoded at synthesis by the Lambda's own settings decoder
 * (`decodeSettings` of `@ecs-ami-deploy/lambda/deployment`, the code its cold start runs): a malformed
 * value or an unknown key stops `cdk synth` with the message the cold start would have given.
 *
 * Failed runs are counted by a CloudWatch Logs metric filter on the handler's JSON log lines
 * (`outcome` field) rather than by embedded-metric-format lines: the handler already logs one JSON
 * line per run result, so no metric-format concern leaks into the code, and the metric can be
 * re-derived from past logs by editing the filter.
 */
import {
  Annotations,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_events_targets as eventsTargets,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from "aws-cdk-lib"
import type { Construct } from "constructs"
import { Effect, Result } from "effect"
import { roleAssumerActions } from "@ecs-ami-deploy/aws"
import { decodeFleetFile } from "@ecs-ami-deploy/multi-cluster"
import {
  amiAnnouncementTopicArn,
  decodeSettings,
  fleetVariable,
  type LambdaSettings,
  resumeOpenRunsKind,
  settingNames,
} from "@ecs-ami-deploy/lambda/deployment"
import { type AnnouncementSource, announcementSourceFor } from "./ami-announcements.ts"
import { rolloutInlinePolicy, type RolloutScopeProps } from "./rollout-policy.ts"

/** The Go tool's weekly schedule: Saturdays at 01:00 UTC. */
export const defaultSchedule = events.Schedule.cron({ minute: "0", hour: "1", weekDay: "SAT" })

/** The resume sweep's event (apps/lambda triggers): resume open runs only. */
export const resumeOpenRunsEvent = { kind: resumeOpenRunsKind } as const
/** Longer than the executor's 5-minute lease, so a lost invocation's lease has expired when the sweep comes. */
export const defaultResumeSweep = Duration.minutes(15)

export const metricNamespace = "EcsAmiDeploy"
export const failedRunsMetricName = "FailedRuns"

export interface EcsAmiDeployStackProps extends StackProps, Omit<RolloutScopeProps, "clusterNames"> {
  /** The ECS clusters the function rolls; empty when it rolls a {@link EcsAmiDeployStackProps.fleet}. */
  readonly clusters: ReadonlyArray<string>
  /** The function's code: a directory holding `handler.mjs`. */
  readonly code: lambda.Code
  /** Default `ecs-ami-deploy`; fixed so the role can name the function it invokes without a dependency cycle. */
  readonly functionName?: string
  /** When to look for a newer AMI and start runs; default {@link defaultSchedule}. */
  readonly schedule?: events.Schedule
  /** How often open runs whose hand-over was lost are resumed; default {@link defaultResumeSweep}. */
  readonly resumeSweep?: Duration
  /** Addresses subscribed to run notifications and alarms (each confirms by e-mail). */
  readonly notificationEmails?: ReadonlyArray<string>
  /**
   * The function's settings (environment variables): policy knobs, `AMI_SOURCE`, `DEADLINE_BUFFER_SECONDS`,
   * `MAX_CONTINUATIONS` (docs/lambda.md). Decoded at synthesis; an unknown key or a malformed value throws.
   * A value known only at deployment (a token) is checked by the function's cold start instead.
   * An `AMI_SOURCE` of `ssm-parameter:NAME` adds NAME to the `ssmParameterNames` the role may read.
   */
  readonly settings?: Readonly<Record<string, string>>
  /**
   * A fleet file (its JSON text; the CLI README's Fleets section): the triggers then roll this fleet
   * stage by stage instead of `clusters` (leave those empty), each cluster through the role the file
   * names — deploy an {@link EcsAmiDeployRolloutRoleStack} in each account, trusting this function's
   * role, which may assume exactly those roles. Decoded at synthesis by the fleet's own decoder, as the
   * cold start does; a bad file stops `cdk synth`.
   */
  readonly fleet?: string
}

/** Lambda's limit on all environment variables together is 4 KB: the fleet file must leave room for the rest. */
const maxFleetBytes = 3_072

/** The fleet file checked and minified, or an error naming every problem. */
const checkedFleet = (text: string, clusters: ReadonlyArray<string>) => {
  const decoded = Effect.runSync(Effect.result(decodeFleetFile(text, "the fleet prop")))
  const problems = [
    ...(Result.isFailure(decoded) ? decoded.failure.problems.map((p) => `  ${p.path}: ${p.problem}`) : []),
    ...(clusters.length > 0
      ? ["  clusters: must be empty with a fleet (the triggers roll one or the other)"]
      : []),
  ]
  if (problems.length > 0 || Result.isFailure(decoded))
    throw new Error(`EcsAmiDeployStack: fleet refused, nothing synthesised:\n${problems.join("\n")}`)
  const minified = JSON.stringify(JSON.parse(text))
  if (Buffer.byteLength(minified) > maxFleetBytes)
    throw new Error(
      `EcsAmiDeployStack: the fleet file is ${Buffer.byteLength(minified)} bytes minified; the function's environment holds at most ${maxFleetBytes} of it (Lambda's 4 KB limit): move settings up to the fleet's or its stages' defaults`,
    )
  return { definition: decoded.success, minified }
}

/**
 * The settings as the function's cold start decodes them, or an error naming every refused key, what
 * was wrong and the expected shape. Token values are left to the cold start; their keys are still checked.
 */
const checkedSettings = (settings: Readonly<Record<string, string>>): LambdaSettings => {
  const entries = Object.entries(settings)
  const known = entries.filter(([key, value]) => !(Token.isUnresolved(value) && settingNames.includes(key)))
  const decoded = decodeSettings(
    Object.fromEntries(known.map(([key, value]) => [key, Token.isUnresolved(value) ? "" : value])),
  )
  if (Result.isSuccess(decoded)) return decoded.success
  throw new Error(
    "EcsAmiDeployStack: settings refused, nothing synthesised:\n" +
      decoded.failure.problems.map((p) => `  ${p.variable}: ${p.problem}`).join("\n"),
  )
}

export class EcsAmiDeployStack extends Stack {
  readonly table: dynamodb.Table
  readonly function: lambda.Function
  readonly notificationTopic: sns.Topic
  readonly role: iam.Role
  /** Which AWS AMI announcement topic the function is subscribed to, if any (see ami-announcements.ts). */
  readonly amiAnnouncements: AnnouncementSource

  constructor(scope: Construct, id: string, props: EcsAmiDeployStackProps) {
    super(scope, id, props)
    const functionName = props.functionName ?? "ecs-ami-deploy"
    const settings = checkedSettings(props.settings ?? {})
    const fleet = props.fleet === undefined ? undefined : checkedFleet(props.fleet, props.clusters)
    /** Clusters the function reaches with its own role: the configured ones, or a fleet's clusters without a role. */
    const ownClusters =
      fleet === undefined
        ? props.clusters
        : fleet.definition.stages.flatMap((stage) =>
            stage.clusters.flatMap((cluster) => (cluster.roleArn === undefined ? [cluster.clusterName] : [])),
          )

    // The key schema of the event log's DynamoDB driver (packages/event-log/docs/event-log.md).
    this.table = new dynamodb.Table(this, "EventLog", {
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "sk", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // The log is the only record of what each run did, and what makes a killed run resumable.
      removalPolicy: RemovalPolicy.RETAIN,
    })

    this.notificationTopic = new sns.Topic(this, "Notifications", {
      displayName: "ecs-ami-deploy rollouts",
      enforceSSL: true,
    })
    for (const email of props.notificationEmails ?? [])
      this.notificationTopic.addSubscription(new subscriptions.EmailSubscription(email))

    const logGroup = new logs.LogGroup(this, "Logs", {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    })

    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "ecs-ami-deploy Lambda: only the calls the rollout makes (packages/aws/src/iam-policy.ts)",
      inlinePolicies: {
        rollout: rolloutInlinePolicy(this, props, {
          region: this.region,
          clusterNames: ownClusters,
          ssmParameterNames: [
            ...(props.ssmParameterNames ?? []),
            ...(settings.amiSource._tag === "ssm-parameter" ? [settings.amiSource.parameterName] : []),
          ],
          eventLogTableArn: this.table.tableArn,
          notificationTopicArn: this.notificationTopic.topicArn,
          selfInvokeFunctionArn: `arn:${this.partition}:lambda:${this.region}:${this.account}:function:${functionName}`,
          logGroupName: logGroup.logGroupName,
        }),
      },
    })

    this.function = new lambda.Function(this, "Function", {
      functionName,
      description: "Rolls the ECS clusters' instances onto the newest AMI, resuming across invocations",
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: "handler.handler",
      code: props.code,
      timeout: Duration.seconds(900),
      memorySize: 512,
      role: this.role,
      logGroup,
      environment: {
        ...props.settings,
        CLUSTERS: props.clusters.join(","),
        EVENT_LOG_TABLE: this.table.tableName,
        NOTIFICATION_TOPIC_ARN: this.notificationTopic.topicArn,
        ...(fleet === undefined ? {} : { [fleetVariable]: fleet.minified }),
      },
    })
    const fleetRoles = [
      ...new Set(
        (fleet?.definition.stages ?? []).flatMap((stage) =>
          stage.clusters.flatMap((cluster) => cluster.roleArn ?? []),
        ),
      ),
    ]
    if (fleetRoles.length > 0)
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: "AssumeFleetRolloutRoles",
          actions: [...roleAssumerActions],
          resources: fleetRoles,
        }),
      )

    const schedule = new events.Rule(this, "Schedule", {
      description: "Checks the clusters for a newer AMI and resumes open runs",
      schedule: props.schedule ?? defaultSchedule,
      targets: [new eventsTargets.LambdaFunction(this.function)],
    })
    // Runs continue by self-invocation; this sweep only picks up a run whose hand-over was lost.
    const resumeSweep = new events.Rule(this, "ResumeSweep", {
      description: "Resumes open runs whose hand-over to a next invocation was lost; starts none",
      schedule: events.Schedule.rate(props.resumeSweep ?? defaultResumeSweep),
      targets: [
        new eventsTargets.LambdaFunction(this.function, {
          event: events.RuleTargetInput.fromObject(resumeOpenRunsEvent),
        }),
      ],
    })

    this.amiAnnouncements = announcementSourceFor(Token.isUnresolved(this.region) ? undefined : this.region)
    if (this.amiAnnouncements._tag === "None")
      Annotations.of(this).addWarningV2(
        "ecs-ami-deploy:no-ami-announcements",
        `the function is not subscribed to AWS's ECS-optimized AMI announcements and runs on its schedule only: ${this.amiAnnouncements.reason}`,
      )
    else
      // A topic of another Region: the CDK creates the subscription in the topic's Region, as SNS requires.
      sns.Topic.fromTopicArn(
        this,
        "AmiAnnouncements",
        amiAnnouncementTopicArn(this.amiAnnouncements.topicRegion),
      ).addSubscription(new subscriptions.LambdaSubscription(this.function))

    const failedRuns = new logs.MetricFilter(this, "FailedRunsFilter", {
      logGroup,
      metricNamespace,
      metricName: failedRunsMetricName,
      metricValue: "1",
      filterPattern: logs.FilterPattern.any(
        ...["failed", "rolled-back", "incomplete", "halted", "refused"].map((outcome) =>
          logs.FilterPattern.stringValue("$.outcome", "=", outcome),
        ),
      ),
    })
    const alarms = [
      new cloudwatch.Alarm(this, "FailedRunsAlarm", {
        alarmDescription:
          "A rollout failed, was rolled back, ended with a mixed fleet (incomplete or halted), or refused to start: see the run's log lines and notification",
        metric: failedRuns.metric({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, "InvocationErrorsAlarm", {
        alarmDescription:
          "The function failed (misconfiguration, AWS access, an unexpected error): its logs say why",
        metric: this.function.metricErrors({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ]
    for (const alarm of alarms) alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.notificationTopic))

    new CfnOutput(this, "EventLogTableName", { value: this.table.tableName })
    new CfnOutput(this, "FunctionName", { value: this.function.functionName })
    new CfnOutput(this, "NotificationTopicArn", { value: this.notificationTopic.topicArn })
    // Day-2 operations (apps/infra/README.md) name the rules: disable the schedule, or the sweep.
    new CfnOutput(this, "ScheduleRuleName", { value: schedule.ruleName })
    new CfnOutput(this, "ResumeSweepRuleName", { value: resumeSweep.ruleName })
  }
}
