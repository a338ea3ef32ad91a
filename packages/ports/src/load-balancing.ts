/**
 * The LoadBalancing port (Elastic Load Balancing v2): the health of the targets ECS registers for a
 * load-balanced service's tasks, which the run's target health gate reads, and each target group's
 * deregistration delay, which tells a drain watch when a deregistering task can stop.
 * DescribeTargetHealth and DescribeTargetGroupAttributes take one target group a request, so a call
 * costs one AWS request per target group; a target group that no longer exists is absent from the answer.
 */
import { Context, type Effect } from "effect"
import type { AwsCallError, TargetGroupDeregistrationDelay, TargetGroupHealth } from "@ecs-ami-deploy/domain"

export class LoadBalancing extends Context.Service<
  LoadBalancing,
  {
    /** Each target group's registered targets and their health (DescribeTargetHealth, one request per group); unknown groups are left out. */
    readonly describeTargetHealth: (
      targetGroupArns: ReadonlyArray<string>,
    ) => Effect.Effect<ReadonlyArray<TargetGroupHealth>, AwsCallError>
    /** Each target group's deregistration delay (DescribeTargetGroupAttributes, one request per group); unknown groups are left out. */
    readonly deregistrationDelays: (
      targetGroupArns: ReadonlyArray<string>,
    ) => Effect.Effect<ReadonlyArray<TargetGroupDeregistrationDelay>, AwsCallError>
  }
>()("@ecs-ami-deploy/ports/LoadBalancing") {}
