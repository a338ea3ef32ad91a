/**
 * The fleet's cluster runner on AWS: each cluster through the AWS SDK in its Region, with temporary
 * credentials of the role the fleet file names for it (STS AssumeRole with the caller's credentials),
 * a batch's clusters rolling at the same time.
 */
import { type Effect, Layer } from "effect"
import type { RunEvent } from "@ecs-ami-deploy/domain"
import { RoleAssumerLive } from "@ecs-ami-deploy/aws"
import type { EventLog } from "@ecs-ami-deploy/ports"
import { awsPorts } from "ecs-ami-deploy"
import type { FleetClusterRunner } from "./cluster-runner.ts"
import { clusterPorts, roleSessionName } from "./cluster-ports.ts"
import type { FleetClusterSpec } from "./fleet-file.ts"
import { libraryClusterRunner } from "./library-runner.ts"

export interface AwsRunnerOptions {
  readonly fleetName: string
  /** The caller's profile (its credentials assume the clusters' roles). */
  readonly profile?: string
  readonly onClusterEvent?: (cluster: FleetClusterSpec, event: RunEvent) => Effect.Effect<void>
  /** Called once per AWS request any cluster's clients send. */
  readonly onRequest?: (operation: string) => void
}

export const awsClusterRunner = (
  options: AwsRunnerOptions,
): Layer.Layer<FleetClusterRunner, never, EventLog> => {
  const caller = {
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
  }
  return libraryClusterRunner({
    portsOf: (cluster) =>
      Layer.provide(
        clusterPorts(cluster, roleSessionName(options.fleetName), (credentials) =>
          awsPorts({
            ...caller,
            region: cluster.region,
            ...(credentials === undefined ? {} : { credentials }),
          }),
        ),
        RoleAssumerLive({ ...caller, region: cluster.region }),
      ),
    concurrency: (batchSize) => batchSize,
    ...(options.onClusterEvent === undefined ? {} : { onClusterEvent: options.onClusterEvent }),
  })
}
