/**
 * The rollout role of a fleet rollout, one stack per account that holds clusters of the fleet: the
 * role the fleet's executor (the Lambda's role, or the people who run `fleet apply`) assumes to reach
 * the account's clusters, with exactly the rollout's least-privilege policy (`rolloutPolicyDocument`,
 * the one the Lambda's own role gets) in every Region of the account. The event log stays in the
 * fleet's account, written with the executor's own credentials, so this role has no table access.
 * Deploy it with the account's credentials (`cdk deploy` per account, or as a StackSet).
 */
import { CfnOutput, Stack, type StackProps, aws_iam as iam } from "aws-cdk-lib"
import type { Construct } from "constructs"
import { rolloutInlinePolicy, type RolloutScopeProps } from "./rollout-policy.ts"

/** The role name the example fleet file and the docs use. */
export const defaultRolloutRoleName = "ecs-ami-deploy-rollout"

export interface RolloutRoleStackProps extends StackProps, RolloutScopeProps {
  /** Who may assume the role: the fleet Lambda's role ARN, or the role people run `fleet apply` as. */
  readonly trustedPrincipalArns: ReadonlyArray<string>
  /** Default {@link defaultRolloutRoleName}; the fleet file's `role` names it. */
  readonly roleName?: string
}

export class EcsAmiDeployRolloutRoleStack extends Stack {
  readonly role: iam.Role

  constructor(scope: Construct, id: string, props: RolloutRoleStackProps) {
    super(scope, id, props)
    if (props.trustedPrincipalArns.length === 0)
      throw new Error(
        "EcsAmiDeployRolloutRoleStack: trustedPrincipalArns is empty, so nobody could assume the role; give the fleet Lambda's role ARN (or yours)",
      )
    this.role = new iam.Role(this, "Role", {
      roleName: props.roleName ?? defaultRolloutRoleName,
      assumedBy: new iam.CompositePrincipal(
        ...props.trustedPrincipalArns.map((arn) => new iam.ArnPrincipal(arn)),
      ),
      description:
        "ecs-ami-deploy fleet rollouts: only the calls a rollout makes (packages/aws/src/iam-policy.ts)",
      inlinePolicies: {
        rollout: rolloutInlinePolicy(this, props, { region: "*" }),
      },
    })
    new CfnOutput(this, "RolloutRoleArn", {
      value: this.role.roleArn,
      description: "the fleet file's `role` for this account's clusters",
    })
  }
}
