/**
 * The identity port: who and where the AWS ports act — the caller's account (STS GetCallerIdentity)
 * and the Region their clients are configured for. Runs and locks are keyed by account, Region and
 * cluster name, because a cluster name alone is not unique: `prod` may exist in two Regions or accounts.
 */
import { Context, type Effect } from "effect"
import type { AwsCallError } from "@ecs-ami-deploy/domain"

export interface CallerIdentity {
  /** The 12-digit account id the credentials belong to. */
  readonly accountId: string
  /** The caller's ARN (user, assumed role), for display. */
  readonly arn: string
  /** The Region the AWS ports call. */
  readonly region: string
}

export class Identity extends Context.Service<
  Identity,
  { readonly callerIdentity: Effect.Effect<CallerIdentity, AwsCallError> }
>()("@ecs-ami-deploy/ports/Identity") {}
