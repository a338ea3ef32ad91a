/**
 * The IAM actions the adapters can exercise: the source from which the Lambda's least-privilege
 * policy and the CLI's `iam-policy` command are generated. Each module keeps its own list next to
 * its calls (a test fails when a command is sent without being listed); the actions AWS checks on
 * our behalf, which no command of ours names, are listed here with the reason.
 */
import { autoScalingActions } from "./auto-scaling.ts"
import { cloudWatchActions } from "./cloudwatch.ts"
import { ec2Actions } from "./ec2.ts"
import { ecsActions } from "./ecs.ts"
import { loadBalancingActions } from "./load-balancing.ts"
import { ssmActions } from "./ssm.ts"

/** Actions AWS authorizes as a side effect of one of our calls. */
export const impliedAwsActions: ReadonlyArray<{ readonly action: string; readonly because: string }> = [
  {
    action: "ec2:RunInstances",
    because:
      "autoscaling:UpdateAutoScalingGroup with a launch template checks that the caller may launch from it",
  },
  {
    action: "iam:PassRole",
    because:
      "autoscaling:UpdateAutoScalingGroup with a launch template, and autoscaling:CreateLaunchConfiguration, pass the instance profile's role",
  },
  {
    action: "ssm:GetParameters",
    because:
      "ec2:CreateLaunchTemplateVersion with a `resolve:ssm:` image checks that the caller may read the parameter",
  },
]

/**
 * Every IAM action the adapters can call, sorted: what a least-privilege policy must allow.
 * `sts:GetCallerIdentity` (the Identity port) is not among them: AWS allows it to every caller; nor is
 * `iam:GetInstanceProfile` (the Iam port): only `iam-policy --cluster` calls it, as whoever prints the policy.
 */
export const awsActionsUsed: ReadonlyArray<string> = [
  ...new Set([
    ...ec2Actions,
    ...autoScalingActions,
    ...ecsActions,
    ...ssmActions,
    ...cloudWatchActions,
    ...loadBalancingActions,
    ...impliedAwsActions.map((implied) => implied.action),
  ]),
].sort()
