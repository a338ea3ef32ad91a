/**
 * The `LoadBalancing` port on the AWS SDK (Elastic Load Balancing v2): the health of each target of
 * the target groups a rollout watches, and their deregistration delays. DescribeTargetHealth and
 * DescribeTargetGroupAttributes take one target group a request and answer in one page; a target group
 * deleted since the services were read is left out of the result, as the port says. Answers are
 * decoded with the domain schema.
 */
import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2"
import { TargetGroupDeregistrationDelay, TargetGroupHealth } from "@ecs-ami-deploy/domain"
import { LoadBalancing } from "@ecs-ami-deploy/ports"
import { Effect, Layer, type Schema } from "effect"
import { decodeAll, request } from "./call.ts"
import { type AwsConfig, makeLoadBalancingClient } from "./config.ts"
import { mapLoadBalancingError } from "./errors.ts"

/** Every IAM action this module's calls need, one per SDK command it sends. */
export const loadBalancingActions = [
  "elasticloadbalancing:DescribeTargetHealth",
  "elasticloadbalancing:DescribeTargetGroupAttributes",
] as const
type LoadBalancingAction = (typeof loadBalancingActions)[number]

/** The target group attribute holding its deregistration delay, in seconds. */
const DEREGISTRATION_DELAY_KEY = "deregistration_delay.timeout_seconds"

/** Target groups described at once (one request each). */
const CONCURRENT_REQUESTS = 4

const targetView = (description: TargetHealthDescription) => ({
  targetId: description.Target?.Id,
  ...(description.Target?.Port === undefined ? {} : { port: description.Target.Port }),
  state: description.TargetHealth?.State,
  ...(description.TargetHealth?.Reason === undefined ? {} : { reason: description.TargetHealth.Reason }),
})

/**
 * One request per distinct target group (`send`), at most CONCURRENT_REQUESTS at once; a target group
 * deleted since the services were read is left out; every answer `view` makes is decoded with `schema`.
 */
const perTargetGroup = <A, Answer>(
  operation: LoadBalancingAction,
  schema: Schema.Codec<A, unknown>,
  targetGroupArns: ReadonlyArray<string>,
  send: (targetGroupArn: string, abortSignal: AbortSignal) => Promise<Answer>,
  view: (targetGroupArn: string, answer: Answer) => ReadonlyArray<unknown>,
) =>
  Effect.forEach(
    [...new Set(targetGroupArns)],
    (targetGroupArn) =>
      request(operation, mapLoadBalancingError, (abortSignal) => send(targetGroupArn, abortSignal)).pipe(
        Effect.map((answer) => view(targetGroupArn, answer)),
        Effect.catchIf(
          (error) => error.kind === "not-found",
          () => Effect.succeed([]),
        ),
      ),
    { concurrency: CONCURRENT_REQUESTS },
  ).pipe(Effect.flatMap((answers) => decodeAll(schema, operation)(answers.flat())))

/** The `LoadBalancing` port over the given client. */
export const makeLoadBalancing = (client: ElasticLoadBalancingV2Client): LoadBalancing["Service"] =>
  LoadBalancing.of({
    describeTargetHealth: (targetGroupArns) =>
      perTargetGroup(
        "elasticloadbalancing:DescribeTargetHealth",
        TargetGroupHealth,
        targetGroupArns,
        (targetGroupArn, abortSignal) =>
          client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }), { abortSignal }),
        (targetGroupArn, answer) => [
          { targetGroupArn, targets: (answer.TargetHealthDescriptions ?? []).map(targetView) },
        ],
      ),
    deregistrationDelays: (targetGroupArns) =>
      perTargetGroup(
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        TargetGroupDeregistrationDelay,
        targetGroupArns,
        (targetGroupArn, abortSignal) =>
          client.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn }), {
            abortSignal,
          }),
        (targetGroupArn, answer) => {
          const seconds = answer.Attributes?.find((a) => a.Key === DEREGISTRATION_DELAY_KEY)?.Value
          return seconds === undefined
            ? []
            : [{ targetGroupArn, deregistrationDelayMs: Number(seconds) * 1000 }]
        },
      ),
  })

/** The `LoadBalancing` port on a client built from the default chain and `config`. */
export const LoadBalancingLive = (config: AwsConfig = {}): Layer.Layer<LoadBalancing> =>
  Layer.sync(LoadBalancing, () => makeLoadBalancing(makeLoadBalancingClient(config)))
