import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { awsActionsUsed, impliedAwsActions } from "./actions.ts"
import { autoScalingActions } from "./auto-scaling.ts"
import { cloudWatchActions } from "./cloudwatch.ts"
import { ec2Actions } from "./ec2.ts"
import { ecsActions } from "./ecs.ts"
import { iamActions } from "./iam.ts"
import { loadBalancingActions } from "./load-balancing.ts"
import { ssmActions } from "./ssm.ts"
import { roleAssumerActions, stsActions } from "./sts.ts"

/** The SDK commands a module's source constructs, as IAM actions of the given service prefix. */
const commandsSentBy = (file: string, prefix: string): ReadonlyArray<string> => {
  const source = readFileSync(new URL(file, import.meta.url), "utf8")
  return [
    ...new Set([...source.matchAll(/new (\w+)Command\(/g)].map((match) => `${prefix}:${match[1] ?? ""}`)),
  ].sort()
}

describe("awsActionsUsed", () => {
  it.each([
    ["ec2.ts", "ec2", ec2Actions],
    ["auto-scaling.ts", "autoscaling", autoScalingActions],
    ["ecs.ts", "ecs", ecsActions],
    ["ssm.ts", "ssm", ssmActions],
    // sts.ts also assumes roles for fleet rollouts: the fleet caller's action, not a single rollout's.
    ["sts.ts", "sts", [...stsActions, ...roleAssumerActions]],
    ["cloudwatch.ts", "cloudwatch", cloudWatchActions],
    ["iam.ts", "iam", iamActions],
    ["load-balancing.ts", "elasticloadbalancing", loadBalancingActions],
  ])("lists exactly the commands %s sends", (file, prefix, listed) => {
    expect([...listed].sort()).toEqual(commandsSentBy(file, prefix))
  })

  it("contains every module's actions and the implied ones, sorted and without duplicates", () => {
    const expected = new Set([
      ...ec2Actions,
      ...autoScalingActions,
      ...ecsActions,
      ...ssmActions,
      ...cloudWatchActions,
      ...loadBalancingActions,
      ...impliedAwsActions.map((implied) => implied.action),
    ])
    expect(awsActionsUsed).toEqual([...expected].sort())
    expect(awsActionsUsed).toContain("ecs:UpdateContainerInstancesState")
  })
})
