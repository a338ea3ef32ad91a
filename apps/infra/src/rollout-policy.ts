/**
 * The rollout's least-privilege policy as the inline policy of a stack's role, for the two stacks that
 * grant it: the Lambda's own role (`stack.ts`) and a fleet's rollout role (`rollout-role.ts`). The
 * document itself is `rolloutPolicyDocument` of `@ecs-ami-deploy/aws`; this module holds what both
 * stacks share around it: the props that narrow it, and the role policy built in the stack's account.
 */
import { type Stack, aws_iam as iam } from "aws-cdk-lib"
import { type PolicyTargets, rolloutPolicyDocument } from "@ecs-ami-deploy/aws"

/** The props that narrow the rollout's policy, each as `PolicyTargets` describes it (omitted: any of the account). */
export type RolloutScopeProps = Pick<
  PolicyTargets,
  "clusterNames" | "autoScalingGroupNames" | "instanceRoleArns" | "launchTemplateIds" | "ssmParameterNames"
>

/** The narrowing props `props` gives, and no key for one it leaves out. */
const scopeOf = (props: RolloutScopeProps): RolloutScopeProps => ({
  ...(props.clusterNames === undefined ? {} : { clusterNames: props.clusterNames }),
  ...(props.autoScalingGroupNames === undefined
    ? {}
    : { autoScalingGroupNames: props.autoScalingGroupNames }),
  ...(props.instanceRoleArns === undefined ? {} : { instanceRoleArns: props.instanceRoleArns }),
  ...(props.launchTemplateIds === undefined ? {} : { launchTemplateIds: props.launchTemplateIds }),
  ...(props.ssmParameterNames === undefined ? {} : { ssmParameterNames: props.ssmParameterNames }),
})

/**
 * The `rollout` inline policy of a role of `stack`: the rollout's policy in the stack's partition and
 * account, narrowed as `props` says, with `targets` (the Region, and what the stack adds) taking precedence.
 */
export const rolloutInlinePolicy = (
  stack: Stack,
  props: RolloutScopeProps,
  targets: Omit<PolicyTargets, "partition" | "account">,
) =>
  iam.PolicyDocument.fromJson(
    rolloutPolicyDocument({
      partition: stack.partition,
      account: stack.account,
      ...scopeOf(props),
      ...targets,
    }),
  )
