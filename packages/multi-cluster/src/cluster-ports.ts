/**
 * How the fleet reaches a cluster: through the role named for it (STS AssumeRole, by the
 * {@link RoleAssumer} port) when it has one, else with the caller's own credentials — the AWS ports
 * built by the caller from those credentials (real AWS in the cluster's Region, or a simulated world).
 */
import { Effect, Layer } from "effect"
import { RoleAssumer, type TemporaryCredentials } from "@ecs-ami-deploy/ports"
import type { AwsCallError } from "@ecs-ami-deploy/domain"
import type { AwsPorts } from "ecs-ami-deploy"
import type { FleetClusterSpec } from "./fleet-file.ts"

/** The session name the target account's CloudTrail shows for a fleet's role sessions (64 characters at most). */
export const roleSessionName = (fleetName: string): string => `ecs-ami-deploy-fleet-${fleetName}`.slice(0, 64)

/** The cluster's AWS ports: the role assumed first when the cluster names one. */
export const clusterPorts = (
  cluster: FleetClusterSpec,
  sessionName: string,
  build: (credentials: TemporaryCredentials | undefined) => Layer.Layer<AwsPorts>,
): Layer.Layer<AwsPorts, AwsCallError, RoleAssumer> =>
  Layer.unwrap(
    cluster.roleArn === undefined
      ? Effect.succeed(build(undefined))
      : Effect.map(
          RoleAssumer.use((assumer) => assumer.assumeRole({ roleArn: cluster.roleArn ?? "", sessionName })),
          build,
        ),
  )
