/**
 * The role assumer port: temporary credentials for a role in another account (STS AssumeRole), so a
 * fleet rollout reaches each cluster through the rollout role deployed in that cluster's account.
 */
import { Context, type Effect } from "effect"
import type { AwsCallError } from "@ecs-ami-deploy/domain"

/** Credentials STS handed out, valid until `expiresAt` (epoch ms). */
export interface TemporaryCredentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken: string
  readonly expiresAt: number
}

export class RoleAssumer extends Context.Service<
  RoleAssumer,
  {
    readonly assumeRole: (input: {
      readonly roleArn: string
      /** Shown in the target account's CloudTrail as the session's name. */
      readonly sessionName: string
    }) => Effect.Effect<TemporaryCredentials, AwsCallError>
  }
>()("@ecs-ami-deploy/ports/RoleAssumer") {}
