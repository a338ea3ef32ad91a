/**
 * Who and where a command acts, as people should see it before a change: the account (STS
 * GetCallerIdentity through the Identity port), the Region and the profile. `plan`, the confirmation
 * prompt and `status` show it; runs and locks are keyed by the same account and Region.
 */
import { Effect } from "effect"
import { Rollout } from "ecs-ami-deploy"
import type { Target } from "./target.ts"

/** `account 123456789012, Region eu-west-1, profile prod` (a simulated target says so instead of a profile). */
export const whereOf = (target: Target) =>
  Effect.map(
    Rollout.callerIdentity(),
    (identity) =>
      `account ${identity.accountId}, Region ${identity.region}, ${
        target.world !== undefined ? "simulated" : `profile ${target.profile ?? "default"}`
      }`,
  )
