/**
 * The fleet file: which clusters a fleet rollout rolls, in which stages, and how — each cluster with
 * its Region, the role assumed to reach its account and its rollout policy, with defaults per fleet and
 * per stage that a cluster overrides field by field. Decoding refuses every problem at once (unknown
 * keys, duplicate clusters or stages, malformed role ARNs, a cluster without a Region, a policy
 * `upgradeCluster` would refuse), each with its path, before anything is read from or done to AWS.
 */
import { createHash } from "node:crypto"
import { Data, Effect, Result, Schema, SchemaIssue } from "effect"
import type { FleetStage } from "@ecs-ami-deploy/domain"
import { AmiSourceSpec } from "@ecs-ami-deploy/strategies"
import { checkUpgradeOptions, type PolicyInput } from "ecs-ami-deploy"

/** An IAM role ARN in any partition; its account is the cluster's account. */
const roleArnPattern = /^arn:aws(-[a-z]+)*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/
const RoleArn = Schema.String.pipe(
  Schema.check(
    Schema.isPattern(roleArnPattern, {
      message: "expected an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>",
    }),
  ),
)
const Region = Schema.String.pipe(
  Schema.check(
    Schema.isPattern(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: "expected a Region such as eu-west-1" }),
  ),
)
const PolicyObject = Schema.Record(Schema.String, Schema.Unknown)

/** What a fleet or a stage sets for its clusters, and a cluster for itself. */
const clusterSettings = {
  region: Schema.optionalKey(Region),
  /** The role assumed to reach the cluster's account; none: the caller's own credentials. */
  role: Schema.optionalKey(RoleArn),
  /** Changes to the default rollout policy, as `upgradeCluster` takes them. */
  policy: Schema.optionalKey(PolicyObject),
  /** Where the target image comes from; default: the Go tool's image filter. */
  ami: Schema.optionalKey(AmiSourceSpec),
}
const ClusterSettings = Schema.Struct(clusterSettings)

/** How `simulate --fleet` builds this cluster's world: a built-in scenario or a scenario file, a seed, faults. */
export const SimulatedCluster = Schema.Struct({
  scenario: Schema.NonEmptyString,
  seed: Schema.optionalKey(Schema.Int),
  faults: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
})
export type SimulatedCluster = typeof SimulatedCluster.Type

const ClusterEntry = Schema.Struct({
  cluster: Schema.NonEmptyString,
  ...clusterSettings,
  simulate: Schema.optionalKey(SimulatedCluster),
})

const StageEntry = Schema.Struct({
  name: Schema.NonEmptyString,
  /** How long the stage bakes after its last cluster succeeded (ms). Default 0: alarms checked once. */
  bakeMs: Schema.optionalKey(Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))),
  /** How many clusters roll at once. Default 1. */
  batchSize: Schema.optionalKey(Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(1)))),
  defaults: Schema.optionalKey(ClusterSettings),
  clusters: Schema.Array(ClusterEntry).pipe(Schema.check(Schema.isMinLength(1))),
})

export const FleetFile = Schema.Struct({
  fleet: Schema.String.pipe(
    Schema.check(
      Schema.isPattern(/^[A-Za-z0-9_-]{1,100}$/, {
        message: "expected a fleet name of 1 to 100 of A-Z a-z 0-9 _ -",
      }),
    ),
  ),
  defaults: Schema.optionalKey(ClusterSettings),
  stages: Schema.Array(StageEntry).pipe(Schema.check(Schema.isMinLength(1))),
})
export type FleetFile = typeof FleetFile.Type

/** One cluster of a decoded fleet, its settings merged (fleet, then stage, then its own). */
export interface FleetClusterSpec {
  /** `<account or "caller">/<Region>/<cluster>`: unique in the fleet, and how events name it. */
  readonly id: string
  readonly clusterName: string
  readonly region: string
  readonly roleArn?: string
  /** The account of the role, if one is assumed. */
  readonly accountId?: string
  readonly policy: PolicyInput
  readonly ami?: AmiSourceSpec
  readonly simulate?: SimulatedCluster
}

export interface FleetStageSpec {
  readonly name: string
  readonly batchSize: number
  readonly bakeMs: number
  readonly clusters: ReadonlyArray<FleetClusterSpec>
}

/** A fleet file decoded and checked. */
export interface FleetDefinition {
  readonly fleetName: string
  readonly stages: ReadonlyArray<FleetStageSpec>
  /** SHA-256 of the file's text: an open rollout refuses to continue from another version of the file. */
  readonly digest: string
}

export interface FleetFileProblem {
  readonly path: string
  readonly problem: string
}

/** A fleet file that cannot be used: every problem with its path; nothing was read from or done to AWS. */
export class InvalidFleetFile extends Data.TaggedError("InvalidFleetFile")<{
  readonly file: string
  readonly problems: ReadonlyArray<FleetFileProblem>
}> {
  override get message(): string {
    return `fleet file ${this.file} cannot be used:\n${this.problems
      .map(({ path, problem }) => `  ${path}: ${problem}`)
      .join("\n")}\nfix the file and run the command again (nothing was changed)`
  }
}

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** The fleet's stages as a rollout records them when it starts. */
export const recordedStages = (definition: FleetDefinition): ReadonlyArray<FleetStage> =>
  definition.stages.map((stage) => ({
    name: stage.name,
    batchSize: stage.batchSize,
    bakeMs: stage.bakeMs,
    clusters: stage.clusters.map((cluster) => ({
      id: cluster.id,
      clusterName: cluster.clusterName,
      region: cluster.region,
      ...(cluster.roleArn === undefined ? {} : { roleArn: cluster.roleArn }),
    })),
  }))

type Settings = typeof ClusterSettings.Type

/** Later settings win field by field; policies merge too (and their `timeouts`). */
const mergeSettings = (...layers: ReadonlyArray<Settings | undefined>): Settings => {
  const merged: { -readonly [K in keyof Settings]: Settings[K] } = {}
  for (const layer of layers) {
    if (layer === undefined) continue
    if (layer.region !== undefined) merged.region = layer.region
    if (layer.role !== undefined) merged.role = layer.role
    if (layer.ami !== undefined) merged.ami = layer.ami
    if (layer.policy !== undefined) {
      const before = merged.policy ?? {}
      const timeouts = {
        ...(before["timeouts"] as object | undefined),
        ...(layer.policy["timeouts"] as object | undefined),
      }
      merged.policy = {
        ...before,
        ...layer.policy,
        ...(Object.keys(timeouts).length === 0 ? {} : { timeouts }),
      }
    }
  }
  return merged
}

/** Reads and checks a fleet file's text; `file` names it in problems. */
export const decodeFleetFile = (
  text: string,
  file: string,
): Effect.Effect<FleetDefinition, InvalidFleetFile> =>
  Effect.gen(function* () {
    const refuse = (problems: ReadonlyArray<FleetFileProblem>) => new InvalidFleetFile({ file, problems })
    const json = yield* Effect.try({
      try: (): unknown => JSON.parse(text),
      catch: (error) => refuse([{ path: "(file)", problem: `not JSON: ${String(error)}` }]),
    })
    const decoded = Schema.decodeUnknownResult(FleetFile, { onExcessProperty: "error", errors: "all" })(json)
    if (Result.isFailure(decoded))
      return yield* refuse(
        formatIssues(decoded.failure.issue).issues.map((issue) => ({
          path:
            (issue.path ?? [])
              .map((key) => (typeof key === "object" ? String(key.key) : String(key)))
              .join(".") || "(file)",
          problem:
            issue.message === "Expected no excess property"
              ? "unknown key (misspelt? the fleet file format is in the CLI README's fleet section)"
              : issue.message,
        })),
      )
    const fleet = decoded.success
    const problems: Array<FleetFileProblem> = []
    const stageNames = new Set<string>()
    const clusterPaths = new Map<string, string>()
    const stages: Array<FleetStageSpec> = []
    for (const [stageIndex, stage] of fleet.stages.entries()) {
      const stagePath = `stages.${stageIndex}`
      if (stageNames.has(stage.name))
        problems.push({ path: `${stagePath}.name`, problem: `stage ${stage.name} is named twice` })
      stageNames.add(stage.name)
      const clusters: Array<FleetClusterSpec> = []
      for (const [clusterIndex, entry] of stage.clusters.entries()) {
        const path = `${stagePath}.clusters.${clusterIndex}`
        const settings = mergeSettings(fleet.defaults, stage.defaults, entry)
        if (settings.region === undefined) {
          problems.push({
            path: `${path}.region`,
            problem: `cluster ${entry.cluster} has no Region: give region here, in the stage's defaults or the fleet's`,
          })
          continue
        }
        const accountId = settings.role === undefined ? undefined : roleArnPattern.exec(settings.role)?.[2]
        const id = `${accountId ?? "caller"}/${settings.region}/${entry.cluster}`
        const earlier = clusterPaths.get(id)
        if (earlier !== undefined)
          problems.push({
            path,
            problem: `cluster ${id} is already listed at ${earlier}: a fleet rolls each cluster once`,
          })
        clusterPaths.set(id, path)
        const options = yield* Effect.result(
          checkUpgradeOptions({
            cluster: entry.cluster,
            ...(settings.policy === undefined ? {} : { policy: settings.policy }),
            ...(settings.ami === undefined ? {} : { ami: settings.ami }),
          }),
        )
        if (Result.isFailure(options)) {
          const failure = options.failure
          if (failure._tag === "InvalidOptions")
            for (const problem of failure.problems)
              problems.push({ path: `${path} (merged) ${problem.path}`, problem: problem.problem })
          else
            for (const problem of failure.problems)
              problems.push({
                path: `${path} (merged) policy.${problem.field}`,
                problem: `${problem.problem}; ${problem.fix}`,
              })
          continue
        }
        clusters.push({
          id,
          clusterName: entry.cluster,
          region: settings.region,
          ...(settings.role === undefined ? {} : { roleArn: settings.role }),
          ...(accountId === undefined ? {} : { accountId }),
          policy: (settings.policy ?? {}) as PolicyInput,
          ...(settings.ami === undefined ? {} : { ami: settings.ami }),
          ...(entry.simulate === undefined ? {} : { simulate: entry.simulate }),
        })
      }
      stages.push({ name: stage.name, batchSize: stage.batchSize ?? 1, bakeMs: stage.bakeMs ?? 0, clusters })
    }
    if (problems.length > 0) return yield* refuse(problems)
    return { fleetName: fleet.fleet, stages, digest: createHash("sha256").update(text).digest("hex") }
  })
