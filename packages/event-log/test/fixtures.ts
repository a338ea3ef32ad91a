/**
 * Run events for the contract suite: one of every variant, with optional fields both present and
 * absent, so a round trip through any driver exercises the whole RunEvent schema.
 */
import { defaultPolicy, EVENT_SCHEMA_VERSION, type LaunchSpec, type RunEvent } from "@ecs-ami-deploy/domain"

export const T0 = 1_767_225_600_000

/** The account and Region the suite's clusters are in, unless a test names another. */
export const HERE = { accountId: "123456789012", region: "eu-west-1" } as const
export type Scope = { readonly accountId: string; readonly region: string }

const template = (version: string): LaunchSpec => ({
  _tag: "LaunchTemplate",
  template: { launchTemplateId: "lt-0abc", launchTemplateName: "ecs-nodes", version },
})

const envelope = (runId: string, seq: number) => ({
  schemaVersion: EVENT_SCHEMA_VERSION,
  runId,
  seq,
  at: T0 + seq * 1_000,
})

/**
 * A run's opening event; `at` decides its place in the runs index. `legacy`: as releases before
 * account and Region keying wrote it, without either.
 */
export const runStarted = (
  runId: string,
  clusterName: string,
  at: number,
  scope: Scope | "legacy" = HERE,
): RunEvent => ({
  _tag: "RunStarted",
  ...envelope(runId, 0),
  at,
  clusterName,
  ...(scope === "legacy" ? {} : { accountId: scope.accountId, region: scope.region }),
  policy: defaultPolicy,
  targetImage: {
    imageId: "ami-0new",
    name: "al2023-ami-ecs-hvm-2023.0.20261101",
    ownerId: "591542846629",
    creationDate: T0 - 86_400_000,
    architecture: "x86_64",
    state: "available",
    tags: { family: "al2023" },
  },
  groups: [
    {
      asgName: "ecs-nodes",
      desiredCapacity: 3,
      minSize: 1,
      maxSize: 6,
      launchSpec: {
        _tag: "MixedInstancesPolicy",
        template: { launchTemplateId: "lt-0abc", launchTemplateName: "ecs-nodes", version: "$Latest" },
        overrides: [
          { instanceType: "m7i.large" },
          {
            instanceType: "m7g.large",
            launchTemplate: {
              launchTemplateId: "lt-0arm",
              launchTemplateName: "ecs-nodes-arm",
              version: "4",
            },
          },
        ],
      },
      launchSpecImageId: "ami-0old",
      suspendedProcesses: ["AZRebalance"],
      oldInstanceIds: ["i-01", "i-02", "i-03"],
    },
  ],
  reason: "new AMI announced",
})

export const noted = (runId: string, seq: number, message = `note ${seq}`): RunEvent => ({
  _tag: "Noted",
  ...envelope(runId, seq),
  level: "info",
  message,
})

export const runFinished = (
  runId: string,
  seq: number,
  outcome: "succeeded" | "failed" | "rolled-back",
): RunEvent => ({
  _tag: "RunFinished",
  ...envelope(runId, seq),
  outcome,
  reason: `run ${outcome}`,
})

/** A run's whole life with every event variant, `seq` 0 onwards. */
export const everyVariant = (runId: string, clusterName: string): ReadonlyArray<RunEvent> => [
  runStarted(runId, clusterName, T0),
  { _tag: "LeaseAcquired", ...envelope(runId, 1), holder: "cli@host:4242", fencingToken: 1 },
  {
    _tag: "CommandIssued",
    ...envelope(runId, 2),
    command: {
      _tag: "DrainInstances",
      id: "drain-wave-0",
      reason: "wave 0 of 2",
      clusterName,
      wave: 0,
      containerInstanceArns: ["arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/abc"],
      instanceIds: ["i-01"],
    },
    attempt: 1,
  },
  { _tag: "CommandSucceeded", ...envelope(runId, 3), commandId: "drain-wave-0" },
  {
    _tag: "CommandSucceeded",
    ...envelope(runId, 4),
    commandId: "update-launch-spec",
    launchSpecBefore: template("7"),
    launchSpecAfter: template("8"),
  },
  {
    _tag: "CommandFailed",
    ...envelope(runId, 5),
    commandId: "terminate-i-01",
    errorTag: "AwsCallError",
    message: "Rate exceeded",
    retryable: true,
  },
  {
    _tag: "Noted",
    ...envelope(runId, 6),
    level: "warning",
    message: "drain of i-02 blocked by a standalone task",
  },
  { _tag: "RollbackStarted", ...envelope(runId, 7), reason: "new capacity timed out" },
  { _tag: "RunSuspended", ...envelope(runId, 8), reason: "deadline in 60 s" },
  runFinished(runId, 9, "rolled-back"),
]
