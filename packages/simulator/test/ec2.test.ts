/**
 * EC2, SSM and launch spec behaviour: eventual consistency of new instances, termination protection,
 * image discovery by name filter and SSM parameter, launch template versions (copy from a source
 * version, idempotency by client token, default version, deletion), launch configurations.
 */
import { AutoScaling, Ec2, Ssm } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import {
  defaultImageNameFilter,
  defaultTimings,
  makeSimulation,
  newImageId,
  recommendedImageIdParameter,
  recommendedParameter,
  scenarios,
} from "../src/index.ts"
import { simulate } from "./helpers.ts"

const small = scenarios.small
const templateId = small.launchTemplates[0]!.launchTemplateId

describe("eventual consistency", () => {
  it("hides a new instance from DescribeInstances for the visibility delay", async () => {
    const sim = makeSimulation(small)
    await sim.run(AutoScaling.use((a) => a.updateGroup({ asgName: "small-asg", desiredCapacity: 5 })))
    sim.advance(defaultTimings.autoScalingReactionMs)
    const newId = sim.snapshotState().groups[0]!.instances.at(-1)!.instanceId
    const describe = () => sim.run(Ec2.use((ec2) => ec2.describeInstances([newId])))
    expect(await describe()).toEqual([])
    const tagging = await sim.run(Effect.flip(Ec2.use((ec2) => ec2.createTags([newId], { a: "b" }))))
    expect(tagging.code).toBe("InvalidInstanceID.NotFound")
    sim.advance(defaultTimings.describeVisibilityDelayMs)
    expect((await describe()).map((i) => i.state)).toEqual(["pending"])
  })
})

describe("termination", () => {
  it("refuses to terminate a protected instance (OperationNotPermitted) and terminates others after shutting-down", async () => {
    const sim = makeSimulation(small)
    const [first, second] = sim.snapshotState().instances
    sim.setTerminationProtection(first!.instanceId, true)
    const refused = await sim.run(
      Effect.flip(Ec2.use((ec2) => ec2.terminateInstances([first!.instanceId, second!.instanceId]))),
    )
    expect(refused.code).toBe("OperationNotPermitted")
    const state = (id: string) => sim.snapshotState().instances.find((i) => i.instanceId === id)!.state
    expect(state(second!.instanceId)).toBe("running")
    await sim.run(Ec2.use((ec2) => ec2.terminateInstances([second!.instanceId])))
    expect(state(second!.instanceId)).toBe("shutting-down")
    sim.advance(defaultTimings.instanceShutdownMs)
    expect(state(second!.instanceId)).toBe("terminated")
  })
})

describe("image discovery", () => {
  it("finds the newest non-deprecated Amazon image by the default name filter", async () => {
    const { result } = await simulate(small, () =>
      Ec2.use((ec2) =>
        ec2.describeImages({
          _tag: "ByFilter",
          namePattern: defaultImageNameFilter,
          owners: ["amazon"],
          includeDeprecated: false,
        }),
      ),
    )
    const newest = [...result].sort((a, b) => b.creationDate - a.creationDate)[0]
    expect(newest?.imageId).toBe(newImageId)
    expect(result.every((image) => image.name.endsWith("-x86_64"))).toBe(true)
    expect(result.some((image) => image.deprecationTime !== undefined)).toBe(false)
  })

  it("filters by image tags (every requested tag must match) and returns each image's tags", async () => {
    const tagged = {
      imageId: "ami-0feedfacecafe0001",
      name: "golden-ecs-1",
      owner: "111122223333",
      creationDate: "2026-11-20T00:00:00.000Z",
      architecture: "x86_64" as const,
      tags: { pipeline: "golden-ecs", stage: "approved" },
    }
    const query = (tags: Record<string, string>) =>
      Ec2.use((ec2) =>
        ec2.describeImages({
          _tag: "ByFilter",
          namePattern: "*",
          owners: ["111122223333"],
          tags,
          includeDeprecated: false,
        }),
      )
    const { result } = await simulate({ ...small, images: [...small.images, tagged] }, () =>
      Effect.all([
        query({ pipeline: "golden-ecs" }),
        query({ pipeline: "golden-ecs", stage: "draft" }),
        query({}),
      ]),
    )
    expect(result[0].map((image) => [image.imageId, image.tags])).toEqual([[tagged.imageId, tagged.tags]])
    expect(result[1]).toEqual([])
    expect(result[2].map((image) => image.imageId)).toEqual([tagged.imageId])
  })

  it("lists deprecated images only when asked", async () => {
    const { result } = await simulate(small, () =>
      Ec2.use((ec2) =>
        ec2.describeImages({
          _tag: "ByFilter",
          namePattern: defaultImageNameFilter,
          owners: ["amazon"],
          includeDeprecated: true,
        }),
      ),
    )
    expect(result.some((image) => image.deprecationTime !== undefined)).toBe(true)
  })

  it("resolves the SSM image parameter and the composite recommended JSON to the new image", async () => {
    const { result } = await simulate(small, () =>
      Effect.all([
        Ssm.use((s) => s.getParameter(recommendedImageIdParameter)),
        Ssm.use((s) => s.getParameter(recommendedParameter)),
      ]),
    )
    expect(result[0].value).toBe(newImageId)
    expect((JSON.parse(result[1].value) as { readonly image_id: string }).image_id).toBe(newImageId)
  })

  it("reports a missing SSM parameter as not-found", async () => {
    const { result } = await simulate(small, () => Effect.flip(Ssm.use((s) => s.getParameter("/nope"))))
    expect(result).toMatchObject({ kind: "not-found", code: "ParameterNotFound" })
  })
})

describe("launch template versions", () => {
  const create = (key: string, imageId = newImageId) =>
    Ec2.use((ec2) =>
      ec2.createLaunchTemplateVersion({
        launchTemplateId: templateId,
        sourceVersion: "$Latest",
        imageId,
        description: "d",
        idempotencyKey: key,
      }),
    )

  it("copies the source version with the new image, and a retry with the same key returns the same version", async () => {
    const { result } = await simulate(small, () =>
      Effect.all([create("key-1"), create("key-1"), create("key-2")]),
    )
    expect(result[0]).toEqual(result[1])
    expect(result[0]).toMatchObject({
      versionNumber: 2,
      imageId: newImageId,
      instanceType: "m5.large",
      isDefault: false,
    })
    expect(result[2].versionNumber).toBe(3)
  })

  it("refuses a reused key with different parameters", async () => {
    const { result } = await simulate(small, () =>
      Effect.andThen(create("key-1"), Effect.flip(create("key-1", "ami-other"))),
    )
    expect(result.code).toBe("IdempotentParameterMismatch")
  })

  it("resolves $Latest and $Default, sets the default, and refuses to delete it", async () => {
    const { result } = await simulate(small, () =>
      Effect.gen(function* () {
        const ec2 = yield* Ec2
        yield* create("key-1")
        yield* ec2.setDefaultLaunchTemplateVersion(templateId, 2)
        const resolved = yield* ec2.describeLaunchTemplateVersions(templateId, ["$Latest", "$Default", "1"])
        const refused = yield* Effect.flip(ec2.deleteLaunchTemplateVersions(templateId, [2]))
        yield* ec2.deleteLaunchTemplateVersions(templateId, [1])
        const left = yield* ec2.describeLaunchTemplateVersions(templateId)
        return { resolved, refused, left }
      }),
    )
    expect(result.resolved.map((v) => v.versionNumber)).toEqual([2, 2, 1])
    expect(result.refused.kind).toBe("invalid-parameter")
    expect(result.left.map((v) => v.versionNumber)).toEqual([2])
  })

  it("makes the group launch the image of the version it follows", async () => {
    const { sim } = await simulate(small, () =>
      Effect.gen(function* () {
        yield* create("key-1")
        yield* AutoScaling.use((a) => a.updateGroup({ asgName: "small-asg", desiredCapacity: 5 }))
        yield* Effect.sleep("5 minutes")
      }),
    )
    expect(sim.snapshotState().instances.filter((i) => i.imageId === newImageId)).toHaveLength(1)
  })
})

describe("launch configurations", () => {
  it("copies with a new image, refuses a duplicate name, and refuses to delete one in use", async () => {
    const scenario = scenarios["launch-configuration"]
    const source = scenario.launchConfigurations[0]!.name
    const { result } = await simulate(scenario, () =>
      Effect.gen(function* () {
        const autoScaling = yield* AutoScaling
        const copy = yield* autoScaling.copyLaunchConfiguration({
          sourceName: source,
          name: "lc-new",
          imageId: newImageId,
        })
        const duplicate = yield* Effect.flip(
          autoScaling.copyLaunchConfiguration({ sourceName: source, name: "lc-new", imageId: newImageId }),
        )
        const inUse = yield* Effect.flip(autoScaling.deleteLaunchConfiguration(source))
        yield* autoScaling.deleteLaunchConfiguration("lc-new")
        return { copy, duplicate, inUse, left: yield* autoScaling.describeLaunchConfigurations() }
      }),
    )
    expect(result.copy).toMatchObject({ name: "lc-new", imageId: newImageId, instanceType: "m5.large" })
    expect(result.duplicate.code).toBe("AlreadyExists")
    expect(result.inUse.code).toBe("ResourceInUse")
    expect(result.left.map((c) => c.name)).toEqual([source])
  })
})
