/**
 * Simulated IAM: the instance profiles a scenario's launch specs name exist, each holding a role of
 * its name; a new launch template version keeps its source's profile, as CreateLaunchTemplateVersion does.
 */
import { Ec2, Iam } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { makeSimulation, newImageId, scenarios } from "../src/index.ts"

describe("simulated IAM", () => {
  it("given the instance profile a launch template names, answers its role in the scenario's account; an unknown profile is NoSuchEntity", async () => {
    const sim = makeSimulation(scenarios.small)
    const template = scenarios.small.launchTemplates[0]!
    const found = await sim.run(
      Effect.gen(function* () {
        const [version] = yield* Ec2.use((ec2) =>
          ec2.describeLaunchTemplateVersions(template.launchTemplateId, ["1"]),
        )
        const roles = yield* Iam.use((iam) => iam.instanceProfileRoleArns(version?.iamInstanceProfile ?? ""))
        const unknown = yield* Effect.flip(Iam.use((iam) => iam.instanceProfileRoleArns("Admin")))
        return { profile: version?.iamInstanceProfile, roles, unknown: unknown.code }
      }),
    )
    expect(found).toEqual({
      profile: "ecsInstanceRole",
      roles: [`arn:aws:iam::${sim.accountId}:role/ecsInstanceRole`],
      unknown: "NoSuchEntity",
    })
    expect(sim.callLog.filter((call) => call.operation === "iam:GetInstanceProfile")).toHaveLength(2)
  })

  it("given a new launch template version, it keeps its source version's instance profile", async () => {
    const sim = makeSimulation(scenarios.small)
    const template = scenarios.small.launchTemplates[0]!
    const created = await sim.run(
      Ec2.use((ec2) =>
        ec2.createLaunchTemplateVersion({
          launchTemplateId: template.launchTemplateId,
          sourceVersion: "1",
          imageId: newImageId,
          description: "new image",
          idempotencyKey: "k1",
        }),
      ),
    )
    expect(created.iamInstanceProfile).toBe("ecsInstanceRole")
  })
})
