/**
 * Simulated IAM, as far as ecs-ami-deploy reads it: the roles of an instance profile. The instance
 * profiles that exist are those the world's launch template versions and launch configurations name,
 * and each holds one role of the same name — what the ECS console creates (`ecsInstanceRole`). Any
 * other name is `NoSuchEntity`. Calls are logged as the requests they are, outside the fault model
 * (which injects EC2, Auto Scaling, ECS and SSM failures), like the simulated STS.
 */
import { AwsCallError } from "@ecs-ami-deploy/domain"
import { Iam } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import type { CallRecord } from "./world/measurements.ts"
import type { World } from "./world.ts"

/** Every instance profile the world's launch specs name. */
const namedInstanceProfiles = (world: World): ReadonlySet<string> =>
  new Set([
    ...[...world.templates.values()].flatMap((template) =>
      [...template.versions.values()].flatMap((version) =>
        version.iamInstanceProfile === undefined ? [] : [version.iamInstanceProfile],
      ),
    ),
    ...[...world.launchConfigurations.values()].flatMap((configuration) =>
      configuration.iamInstanceProfile === undefined ? [] : [configuration.iamInstanceProfile],
    ),
  ])

export const makeSimulatedIam = (world: World, callLog: Array<CallRecord>): Iam["Service"] =>
  Iam.of({
    instanceProfileRoleArns: (profileName) =>
      Effect.suspend(() => {
        const known = namedInstanceProfiles(world).has(profileName)
        callLog.push({
          at: world.now,
          operation: "iam:GetInstanceProfile",
          mutating: false,
          input: { profileName },
          outcome: known ? "ok" : "NoSuchEntity",
          awsRequests: { "iam:GetInstanceProfile": 1 },
        })
        return known
          ? Effect.succeed([`arn:aws:iam::${world.accountId}:role/${profileName}`])
          : Effect.fail(
              new AwsCallError({
                operation: "iam:GetInstanceProfile",
                kind: "not-found",
                code: "NoSuchEntity",
                message: `Instance Profile ${profileName} cannot be found.`,
              }),
            )
      }),
  })
