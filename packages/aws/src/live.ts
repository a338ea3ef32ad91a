/**
 * All the AWS ports in one layer, the way the apps wire them: `AwsLive({ region, profile })`.
 */
import type { AutoScaling, CloudWatch, Ec2, Ecs, Identity, LoadBalancing, Ssm } from "@ecs-ami-deploy/ports"
import { Layer } from "effect"
import { AutoScalingLive } from "./auto-scaling.ts"
import { CloudWatchLive } from "./cloudwatch.ts"
import type { AwsConfig } from "./config.ts"
import { Ec2Live } from "./ec2.ts"
import { EcsLive } from "./ecs.ts"
import { LoadBalancingLive } from "./load-balancing.ts"
import { SsmLive } from "./ssm.ts"
import { IdentityLive } from "./sts.ts"

/** `Ec2`, `AutoScaling`, `Ecs`, `Ssm`, `CloudWatch`, `LoadBalancing` and `Identity` on SDK clients built from the default chain and `config`. */
export const AwsLive = (
  config: AwsConfig = {},
): Layer.Layer<Ec2 | AutoScaling | Ecs | Ssm | CloudWatch | LoadBalancing | Identity> =>
  Layer.mergeAll(
    Ec2Live(config),
    AutoScalingLive(config),
    EcsLive(config),
    SsmLive(config),
    CloudWatchLive(config),
    LoadBalancingLive(config),
    IdentityLive(config),
  )
