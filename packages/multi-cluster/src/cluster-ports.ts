/**
 * How the fleet reaches a cluster: through the role named for it (STS AssumeRole, by the
 * {@link RoleAssumer} port) when it has one, else with the caller's own credentials — the AWS ports
 * built by the caller from those credentials (real AWS in the cluster's Region, or a simulated world).
 * The role is assumed once up front (a role that cannot be assumed fails the cluster before anything
 * runs) and again whenever the SDK asks for credentials within five minutes of their expiry, so a
 * cluster run longer than a session goes on.
 */
import { Effect, Layer } from "effect"
import { RoleAssumer } from "@ecs-ami-deploy/ports"
import type { AwsCallError } from "@ecs-ami-deploy/domain"
import type { AwsConfig } from "@ecs-ami-deploy/aws"
import type { AwsPorts } from "ecs-ami-deploy"
import type { FleetClusterSpec } from "./fleet-file.ts"

/** The session name the target account's CloudTrail shows for a fleet's role sessions (64 characters at most). */
export const roleSessionName = (fleetName: string): string => `ecs-ami-deploy-fleet-${fleetName}`.slice(0, 64)

/** Credentials as the SDK clients ask for them. */
export type CredentialsProvider = NonNullable<AwsConfig["credentials"]>

const refreshBeforeExpiryMs = 5 * 60_000

/** The cluster's AWS ports: the role assumed first when the cluster names one. */
export const clusterPorts = (
  cluster: FleetClusterSpec,
  sessionName: string,
  build: (credentials: CredentialsProvider | undefined) => Layer.Layer<AwsPorts>,
): Layer.Layer<AwsPorts, AwsCallError, RoleAssumer> =>
  Layer.unwrap(
    Effect.gen(function* () {
      const roleArn = cluster.roleArn
      if (roleArn === undefined) return build(undefined)
      const context = yield* Effect.context<RoleAssumer>()
      const assume = RoleAssumer.use((assumer) => assumer.assumeRole({ roleArn, sessionName }))
      let current = yield* assume
      return build(async () => {
        if (current.expiresAt - Date.now() < refreshBeforeExpiryMs)
          current = await Effect.runPromiseWith(context)(assume)
        return {
          accessKeyId: current.accessKeyId,
          secretAccessKey: current.secretAccessKey,
          sessionToken: current.sessionToken,
          expiration: new Date(current.expiresAt),
        }
      })
    }),
  )
