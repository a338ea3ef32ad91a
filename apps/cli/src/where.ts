/**
 * Who and where a command acts, as people should see it before a change: the account (STS
 * GetCallerIdentity through the Identity port), the Region and the profile. `plan`, the confirmation
 * prompt and `status` show it; runs and locks are keyed by the same account and Region.
 */
import { Effect } from "effect"
import { Rollout } from "ecs-ami-deploy"
import type { Target } from "./target.ts"

/** The account and Region a command acts in, and through which profile (none for a simulated target). */
export interface Where {
  readonly accountId: string
  readonly region: string
  readonly profile?: string
  readonly simulated: boolean
}

export const whereOf = (target: Target) =>
  Effect.map(Rollout.callerIdentity(), (identity): Where => ({
    accountId: identity.accountId,
    region: identity.region,
    ...(target.world !== undefined ? {} : { profile: target.profile ?? "default" }),
    simulated: target.world !== undefined,
  }))

/** `account 123456789012, Region eu-west-1, profile prod` (a simulated target says so instead of a profile). */
export const describeWhere = (where: Where): string =>
  `account ${where.accountId}, Region ${where.region}, ${where.simulated ? "simulated" : `profile ${where.profile ?? "default"}`}`
