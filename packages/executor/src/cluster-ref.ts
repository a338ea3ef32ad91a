/**
 * The cluster a run acts on, named as the event log keys it: the account and Region of the AWS ports
 * (the Identity port: STS GetCallerIdentity and the clients' Region) and the cluster name.
 */
import { Effect } from "effect"
import { Identity, type ClusterRef } from "@ecs-ami-deploy/ports"

export const clusterRefOf = (clusterName: string) =>
  Effect.map(
    Identity.use((identity) => identity.callerIdentity),
    ({ accountId, region }): ClusterRef => ({ accountId, region, clusterName }),
  )

/** `account 123456789012, Region eu-west-1`: how messages name where a cluster is. */
export const describeScope = (scope: { readonly accountId: string; readonly region: string }): string =>
  `account ${scope.accountId}, Region ${scope.region}`
