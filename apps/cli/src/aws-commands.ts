/**
 * The Go tool's read-only commands — `list-clusters` and `latest-ami` — and `iam-policy`, which prints
 * the least-privilege policy a person needs to run the CLI under their own role.
 */
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { rolloutPolicyDocument } from "@ecs-ami-deploy/aws"
import { defaultImageNamePattern, Ec2, type Image, Rollout } from "ecs-ami-deploy"
import { onRootTarget, reportedWithRoot } from "./command-support.ts"
import { errorLine, line } from "./console-io.ts"
import { ExitCode, toCliFailure, usageError } from "./failure.ts"
import { amiSourceOf } from "./flags.ts"
import { discoverPolicyTargets } from "./policy-targets.ts"
import { resolveTarget } from "./target.ts"
import { isoSeconds, table } from "./text.ts"

interface ClusterRow {
  readonly cluster: string
  readonly group: string
  readonly currentAmi: string
  readonly released: string
  readonly isLatest: string
  /** The image as the Go tool printed it: its name and AWS's creation date, and whether it is the latest. */
  readonly go: { readonly name: string; readonly creationDate: string; readonly latest: boolean }
}

/**
 * Rows as Go's text/tabwriter printed them (padding 1, `|` between columns, the Debug flag): the Go
 * tool's `list-clusters` table, for scripts that parse it.
 */
const goTable = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const columns = Math.max(...rows.map((row) => row.length))
  const widths = Array.from({ length: columns - 1 }, (_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? "").length + 1)),
  )
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column < columns - 1 ? `${cell.padEnd(widths[column] ?? 0)}|` : cell))
        .join(""),
    )
    .join("\n")
}

/** An image as the Go tool's `latest-ami` printed it: the EC2 API's field names, indented JSON. */
const goImage = (image: Image) => ({
  Architecture: image.architecture,
  CreationDate: new Date(image.creationDate).toISOString(),
  ...(image.deprecationTime === undefined
    ? {}
    : { DeprecationTime: new Date(image.deprecationTime).toISOString() }),
  ImageId: image.imageId,
  Name: image.name,
  OwnerId: image.ownerId,
  State: image.state,
  Tags: Object.entries(image.tags).map(([Key, Value]) => ({ Key, Value })),
})

const day = (epochMs: number) => isoSeconds(epochMs).slice(0, 10)

/** One row per group of the cluster (the Go tool showed one per cluster; clusters may have several groups). */
const rowsOf = (cluster: string) =>
  Effect.gen(function* () {
    const plan = yield* Rollout.planUpgrade({ cluster })
    if (plan.groups.length === 0)
      return [
        {
          cluster,
          group: "-",
          currentAmi: "-",
          released: "-",
          isLatest: "no Auto Scaling group",
          go: { name: "no Auto Scaling group", creationDate: "na", latest: false },
        },
      ]
    const imageIds = [...new Set(plan.groups.map((group) => group.launchSpecImageId))]
    const images: ReadonlyArray<Image> = yield* Ec2.use((ec2) =>
      ec2.describeImages({ _tag: "ByIds", imageIds }),
    )
    return plan.groups.map((group): ClusterRow => {
      const image = images.find((candidate) => candidate.imageId === group.launchSpecImageId)
      const latest =
        group.launchSpecImageId === plan.targetImage.imageId && group.outdatedInstanceIds.length === 0
      return {
        cluster,
        group: group.asgName,
        currentAmi: group.launchSpecImageId,
        released: image === undefined ? "unknown" : day(image.creationDate),
        isLatest: latest ? "yes" : `no (latest ${plan.targetImage.imageId})`,
        go: {
          name: image?.name ?? group.launchSpecImageId,
          creationDate: image === undefined ? "na" : new Date(image.creationDate).toISOString(),
          latest: group.launchSpecImageId === plan.targetImage.imageId,
        },
      }
    })
  }).pipe(
    Effect.catch((error: unknown) =>
      Effect.succeed([
        {
          cluster,
          group: "-",
          currentAmi: "-",
          released: "-",
          isLatest: `cannot tell: ${toCliFailure(error).problem}`,
          go: { name: toCliFailure(error).problem, creationDate: "na", latest: false },
        },
      ]),
    ),
  )

/** `--go-output`: the Go tool's output, unchanged, for scripts written against it. */
const goOutputFlag = Flag.Boolean("go-output").pipe(
  Flag.withDescription("print what the Go tool printed, in its shape (for scripts that parse it)"),
  Flag.withDefault(false),
)

const listClustersCommand = Command.make("list-clusters", { goOutput: goOutputFlag }, (flags) =>
  onRootTarget(({ root }) =>
    Effect.gen(function* () {
      const clusters = yield* Rollout.listClusters()
      const rows = (yield* Effect.forEach(clusters, rowsOf, { concurrency: 4 })).flat()
      if (root.output === "json") yield* line(JSON.stringify({ type: "clusters", clusters: rows }))
      else if (flags.goOutput) {
        // The Go tool's shape: the latest image, then one row per cluster (its first group, as it read one).
        const latest = yield* Rollout.latestAmi({
          ami: yield* amiSourceOf({
            amiFilter: Option.none(),
            amiSsmParameter: Option.none(),
            amiId: Option.none(),
          }),
        })
        const firstRows = rows.filter(
          (row, index) => rows.findIndex((r) => r.cluster === row.cluster) === index,
        )
        yield* line(`\nLatest AMI: ${latest.name} released ${new Date(latest.creationDate).toISOString()}\n`)
        yield* line(
          goTable([
            ["Cluster ", " Current AMI ", " Released ", " Is Latest AMI?"],
            ...firstRows.map((row) => [
              `${row.cluster} `,
              ` ${row.go.name} `,
              ` ${row.go.creationDate} `,
              ` ${String(row.go.latest)}`,
            ]),
          ]),
        )
      } else if (rows.length === 0) yield* line("no ECS clusters in this account and Region")
      else
        yield* line(
          table(
            ["Cluster", "Group", "Current AMI", "Released", "Is Latest AMI?"],
            rows.map((r) => [r.cluster, r.group, r.currentAmi, r.released, r.isLatest]),
          ),
        )
      return ExitCode.success
    }),
  ),
).pipe(
  Command.withDescription(
    "Every ECS cluster: the AMI each of its Auto Scaling groups launches, its release date, and whether it is the latest.",
  ),
  Command.withExamples([
    { command: "ecs-ami-deploy list-clusters -r eu-west-1", description: "every cluster of the Region" },
  ]),
)

const latestAmiCommand = Command.make(
  "latest-ami",
  {
    filter: Flag.String("filter").pipe(
      Flag.withAlias("f"),
      Flag.withDescription(`image name pattern (default ${defaultImageNamePattern})`),
      Flag.optional,
    ),
    amiSsmParameter: Flag.String("ami-ssm-parameter").pipe(
      Flag.withDescription("read the image id from this SSM parameter instead"),
      Flag.optional,
    ),
    goOutput: goOutputFlag,
  },
  (flags) =>
    onRootTarget(({ root }) =>
      Effect.gen(function* () {
        const ami = yield* amiSourceOf({
          amiFilter: flags.filter,
          amiSsmParameter: flags.amiSsmParameter,
          amiId: Option.none(),
        })
        const image = yield* Rollout.latestAmi({ ami })
        if (root.output === "json") yield* line(JSON.stringify({ type: "image", image }))
        else if (flags.goOutput)
          yield* line(
            `Latest AMI for filter "${Option.getOrElse(flags.filter, () => defaultImageNamePattern)}" is ${image.imageId}:\n\n${JSON.stringify(goImage(image), null, 2)}`,
          )
        else
          yield* line(
            `${image.imageId}  ${image.name}  released ${day(image.creationDate)}  ${image.architecture}`,
          )
        return ExitCode.success
      }),
    ),
).pipe(
  Command.withDescription(
    "The newest Amazon image matching a name filter (the Go tool's default filter unless -f).",
  ),
  Command.withExamples([
    { command: "ecs-ami-deploy latest-ami", description: "the newest image the default filter matches" },
    {
      command: "ecs-ami-deploy latest-ami -f 'amzn2-ami-ecs-hvm-*-x86_64-ebs'",
      description: "the newest Amazon Linux 2 ECS image",
    },
  ]),
)

/** A flag that may be given any number of times. */
const repeatable = (name: string, description: string) =>
  // atLeast(1) with a default rather than atLeast(0): the help then shows the flag as optional, as it is.
  Flag.String(name).pipe(
    Flag.withDescription(`${description} (repeatable)`),
    Flag.atLeast(1),
    Flag.withDefault<ReadonlyArray<string>>([]),
  )

const tableArnPattern = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255}$/
const roleArnPattern = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/

const iamPolicyCommand = Command.make(
  "iam-policy",
  {
    account: Flag.String("account").pipe(
      Flag.withDescription("the AWS account id (default: any, *)"),
      Flag.withDefault("*"),
    ),
    clusters: repeatable(
      "cluster",
      "limit draining and stopping tasks to this cluster, and scope the policy to the groups, launch templates, SSM parameters and instance roles it uses (read-only discovery on the target; IAM needs iam:GetInstanceProfile)",
    ),
    groups: repeatable(
      "auto-scaling-group",
      "limit group changes, tagging and terminations to this group's instances",
    ),
    instanceRoles: repeatable(
      "instance-role",
      "the only role iam:PassRole may pass: the groups' instance role ARN",
    ),
    launchTemplates: repeatable(
      "launch-template",
      "the only launch template (lt-…) the role may write and launch from",
    ),
    ssmParameters: repeatable(
      "ssm-parameter",
      "an SSM parameter the AMI source reads, besides /aws/service/ecs/*",
    ),
    eventLogTableArn: Flag.String("event-log-table-arn").pipe(
      Flag.withDescription("add access to a DynamoDB event log table"),
      Flag.optional,
    ),
  },
  (flags) =>
    reportedWithRoot((root) =>
      Effect.gen(function* () {
        if (flags.account !== "*" && !/^\d{12}$/.test(flags.account))
          return yield* usageError(
            `--account ${flags.account} is not an account id`,
            "give the 12-digit account id, or leave it out for any (*)",
          )
        if (Option.isSome(flags.eventLogTableArn) && !tableArnPattern.test(flags.eventLogTableArn.value))
          return yield* usageError(
            `--event-log-table-arn ${flags.eventLogTableArn.value} is not a DynamoDB table ARN`,
            "give arn:aws:dynamodb:REGION:ACCOUNT:table/NAME (the stack's EventLogTableArn output)",
          )
        const badRole = flags.instanceRoles.find((role) => !roleArnPattern.test(role))
        if (badRole !== undefined)
          return yield* usageError(
            `--instance-role ${badRole} is not an IAM role ARN`,
            "give arn:aws:iam::ACCOUNT:role/NAME, the role of the groups' instance profile",
          )
        const badTemplate = flags.launchTemplates.find((id) => !/^lt-[0-9a-f]{8,17}$/.test(id))
        if (badTemplate !== undefined)
          return yield* usageError(
            `--launch-template ${badTemplate} is not a launch template id`,
            "give the id (lt-0123456789abcdef0) of the template the groups launch from",
          )
        // Given clusters, what they use is discovered on the target (AWS or --simulator), read-only.
        const discovered =
          flags.clusters.length === 0
            ? undefined
            : yield* Effect.gen(function* () {
                const target = yield* resolveTarget(root)
                return yield* Effect.provide(
                  Effect.all({
                    targets: discoverPolicyTargets(flags.clusters),
                    identity: Rollout.callerIdentity(),
                  }),
                  target.environment,
                )
              })
        const withDiscovered = (given: ReadonlyArray<string>, found: ReadonlyArray<string> | undefined) => [
          ...new Set([...given, ...(found ?? [])]),
        ]
        const groups = withDiscovered(flags.groups, discovered?.targets.autoScalingGroupNames)
        const launchTemplates = withDiscovered(flags.launchTemplates, discovered?.targets.launchTemplateIds)
        const ssmParameters = withDiscovered(flags.ssmParameters, discovered?.targets.ssmParameterNames)
        const instanceRoles = withDiscovered(flags.instanceRoles, discovered?.targets.instanceRoleArns)
        const document = rolloutPolicyDocument({
          region: Option.getOrElse(root.region, () => discovered?.identity.region ?? "*"),
          account: flags.account === "*" ? (discovered?.identity.accountId ?? "*") : flags.account,
          ...(flags.clusters.length === 0 ? {} : { clusterNames: flags.clusters }),
          ...(groups.length === 0 ? {} : { autoScalingGroupNames: groups }),
          ...(instanceRoles.length === 0 ? {} : { instanceRoleArns: instanceRoles }),
          ...(launchTemplates.length === 0 ? {} : { launchTemplateIds: launchTemplates }),
          ...(ssmParameters.length === 0 ? {} : { ssmParameterNames: ssmParameters }),
          ...(Option.isSome(flags.eventLogTableArn)
            ? { eventLogTableArn: flags.eventLogTableArn.value }
            : {}),
        })
        yield* line(JSON.stringify(document, null, 2))
        const unscoped = [
          ...(groups.length === 0 ? ["--auto-scaling-group"] : []),
          ...(instanceRoles.length === 0 ? ["--instance-role"] : []),
          ...(launchTemplates.length === 0 ? ["--launch-template"] : []),
        ]
        if (unscoped.length > 0)
          yield* errorLine(
            `note: this is the broad policy (any group's instances, any role passed to EC2, any launch template of the account); scope it with ${unscoped.join(", ")}`,
          )
        return ExitCode.success
      }),
    ),
).pipe(
  Command.withDescription(
    "Print the least-privilege IAM policy the CLI needs (JSON), to attach to the role you run it under.",
  ),
  Command.withExamples([
    {
      command: "ecs-ami-deploy iam-policy --account 123456789012 -r eu-west-1 --cluster prod",
      description:
        "the policy scoped to one cluster: its groups, launch templates, SSM parameters and instance roles discovered with read-only calls",
    },
  ]),
)

export const awsCommands = [listClustersCommand, latestAmiCommand, iamPolicyCommand] as const
