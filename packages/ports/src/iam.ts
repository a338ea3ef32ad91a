/**
 * The IAM port: the one IAM read ecs-ami-deploy makes — which roles an instance profile holds — so that
 * `iam-policy --cluster C` can limit `iam:PassRole` to the roles the cluster's launch templates and
 * launch configurations hand to their instances. A rollout itself never calls it.
 */
import { Context, type Effect } from "effect"
import type { AwsCallError } from "@ecs-ami-deploy/domain"

export class Iam extends Context.Service<
  Iam,
  {
    /** The ARNs of the roles in the named instance profile (IAM GetInstanceProfile); `not-found` for an unknown one. */
    readonly instanceProfileRoleArns: (
      profileName: string,
    ) => Effect.Effect<ReadonlyArray<string>, AwsCallError>
  }
>()("@ecs-ami-deploy/ports/Iam") {}
