/**
 * The `LoadBalancing` port on the AWS SDK (Elastic Load Balancing v2): the health of each target of
 * the target groups a rollout watches. DescribeTargetHealth takes one target group a request and
 * returns all its targets in one answer (no pagination); a target group deleted since the services
 * were read is left out of the result, as the port says. Answers are decoded with the domain schema.
 */
import {
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2"
import { TargetGroupHealth } from "@ecs-ami-deploy/domain"
import { LoadBalancing } from "@ecs-ami-deploy/ports"
import { Effect, Layer } from "effect"
import { decodeAll, request } from "./call.ts"
import { type AwsConfig, makeLoadBalancingClient } from "./config.ts"
import { mapLoadBalancingError } from "./errors.ts"

/** Every IAM action this module's calls need, one per SDK command it sends. */
export const loadBalancingActions = ["elasticloadbalancing:DescribeTargetHealth"] as const

/** Target groups described at once (one request each). */
const CONCURRENT_REQUESTS = 4

const targetView = (description: TargetHealthDescription) => ({
  targetId: description.Target?.Id,
  ...(description.Target?.Port === undefined ? {} : { port: description.Target.Port }),
  state: description.TargetHealth?.State,
  ...(description.TargetHealth?.Reason === undefined ? {} : { reason: description.TargetHealth.Reason }),
})

/** The `LoadBalancing` port over the given client. */
export const makeLoadBalancing = (client: ElasticLoadBalancingV2Client): LoadBalancing["Service"] =>
  LoadBalancing.of({
    describeTargetHealth: (targetGroupArns) =>
      Effect.forEach(
        [...new Set(targetGroupArns)],
        (targetGroupArn) =>
          request("elasticloadbalancing:DescribeTargetHealth", mapLoadBalancingError, (abortSignal) =>
            client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }), { abortSignal }),
          ).pipe(
            Effect.map((answer) => [
              { targetGroupArn, targets: (answer.TargetHealthDescriptions ?? []).map(targetView) },
            ]),
            Effect.catchIf(
              (error) => error.kind === "not-found",
              () => Effect.succeed([]),
            ),
          ),
        { concurrency: CONCURRENT_REQUESTS },
      ).pipe(
        Effect.flatMap((groups) =>
          decodeAll(TargetGroupHealth, "elasticloadbalancing:DescribeTargetHealth")(groups.flat()),
        ),
      ),
  })

/** The `LoadBalancing` port on a client built from the default chain and `config`. */
export const LoadBalancingLive = (config: AwsConfig = {}): Layer.Layer<LoadBalancing> =>
  Layer.sync(LoadBalancing, () => makeLoadBalancing(makeLoadBalancingClient(config)))
