/**
 * The `Identity` port on the AWS SDK: the account the credentials belong to (STS GetCallerIdentity,
 * which needs no IAM permission) and the Region the clients are configured for. Asked once per layer:
 * neither changes while a process runs. And the `RoleAssumer` port: STS AssumeRole, for fleet
 * rollouts that reach clusters in other accounts through a role deployed there.
 */
import { AssumeRoleCommand, GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts"
import { AwsCallError } from "@ecs-ami-deploy/domain"
import { Identity, RoleAssumer } from "@ecs-ami-deploy/ports"
import { Effect, Layer } from "effect"
import { request } from "./call.ts"
import { type AwsConfig, makeStsClient } from "./config.ts"
import { mapStsError } from "./errors.ts"

/** Every IAM action this module's calls need (GetCallerIdentity is allowed to every caller). */
export const stsActions = ["sts:GetCallerIdentity"] as const

/** The IAM action a fleet rollout's caller needs on each role it assumes. */
export const roleAssumerActions = ["sts:AssumeRole"] as const

const missing = (what: string, operation = "sts:GetCallerIdentity") =>
  new AwsCallError({
    operation,
    kind: "unknown",
    code: "IncompleteResponse",
    message: `the response names no ${what}`,
  })

/** The `Identity` port over the given client. */
export const makeIdentity = (client: STSClient): Identity["Service"] =>
  Identity.of({
    callerIdentity: Effect.gen(function* () {
      const answer = yield* request("sts:GetCallerIdentity", mapStsError, (abortSignal) =>
        client.send(new GetCallerIdentityCommand({}), { abortSignal }),
      )
      const region = yield* request("sts:GetCallerIdentity", mapStsError, () => client.config.region())
      if (answer.Account === undefined) return yield* missing("account")
      return { accountId: answer.Account, arn: answer.Arn ?? "", region }
    }),
  })

/** The `Identity` port on a client built from the default chain and `config`, asked once. */
export const IdentityLive = (config: AwsConfig = {}): Layer.Layer<Identity> =>
  Layer.effect(
    Identity,
    Effect.map(Effect.cached(makeIdentity(makeStsClient(config)).callerIdentity), (callerIdentity) =>
      Identity.of({ callerIdentity }),
    ),
  )

/** The `RoleAssumer` port over the given client (the caller's credentials). */
export const makeRoleAssumer = (client: STSClient): RoleAssumer["Service"] =>
  RoleAssumer.of({
    assumeRole: ({ roleArn, sessionName }) =>
      Effect.gen(function* () {
        const answer = yield* request("sts:AssumeRole", mapStsError, (abortSignal) =>
          client.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }), {
            abortSignal,
          }),
        )
        const credentials = answer.Credentials
        if (
          credentials?.AccessKeyId === undefined ||
          credentials.SecretAccessKey === undefined ||
          credentials.SessionToken === undefined ||
          credentials.Expiration === undefined
        )
          return yield* missing("credentials", "sts:AssumeRole")
        return {
          accessKeyId: credentials.AccessKeyId,
          secretAccessKey: credentials.SecretAccessKey,
          sessionToken: credentials.SessionToken,
          expiresAt: credentials.Expiration.getTime(),
        }
      }),
  })

/** The `RoleAssumer` port on a client built from the default chain and `config`. */
export const RoleAssumerLive = (config: AwsConfig = {}): Layer.Layer<RoleAssumer> =>
  Layer.sync(RoleAssumer, () => makeRoleAssumer(makeStsClient(config)))
