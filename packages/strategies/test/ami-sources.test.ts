import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AwsCallError } from "@ecs-ami-deploy/domain"
import {
  defaultEcsImageParameter,
  imageFilterSource,
  pinnedImageSource,
  ssmParameterSource,
} from "../src/ami-sources.ts"
import { ImageNotFound } from "../src/contracts.ts"
import { awsError, emptyWorld, image, stubPorts, type StubWorld } from "./ports-stub.ts"

const day = 86_400_000
const older = image({ imageId: "ami-0000000000000000a", creationDate: 10 * day })
const newer = image({ imageId: "ami-0000000000000000b", creationDate: 20 * day })
const newestButDeprecated = image({
  imageId: "ami-0000000000000000c",
  creationDate: 30 * day,
  deprecationTime: 31 * day,
})
const newestArm = image({
  imageId: "ami-0000000000000000d",
  name: "al2023-ami-ecs-hvm-2026.0.1-kernel-6.1-arm64",
  creationDate: 40 * day,
  architecture: "arm64",
})
const otherOwners = image({
  imageId: "ami-0000000000000000e",
  ownerId: "123456789012",
  creationDate: 50 * day,
})

const worldWithImages = (): StubWorld => {
  const world = emptyWorld()
  world.images.push(older, newer, newestButDeprecated, newestArm, otherOwners)
  return world
}

describe("image-filter source", () => {
  it.effect(
    "picks the newest available, non-deprecated amazon image matching the Go tool's default pattern",
    () =>
      imageFilterSource()
        .resolve({})
        .pipe(
          Effect.map((found) => assert.strictEqual(found.imageId, newer.imageId)),
          Effect.provide(stubPorts(worldWithImages())),
        ),
  )

  it.effect("includes deprecated images when asked", () =>
    imageFilterSource({ includeDeprecated: true })
      .resolve({})
      .pipe(
        Effect.map((found) => assert.strictEqual(found.imageId, newestButDeprecated.imageId)),
        Effect.provide(stubPorts(worldWithImages())),
      ),
  )

  it.effect("honours the rollout's architecture and a given pattern", () =>
    imageFilterSource({ namePattern: "al2023-ami-ecs-hvm-*" })
      .resolve({ architecture: "arm64" })
      .pipe(
        Effect.map((found) => assert.strictEqual(found.imageId, newestArm.imageId)),
        Effect.provide(stubPorts(worldWithImages())),
      ),
  )

  it.effect("honours given owners", () =>
    imageFilterSource({ owners: ["123456789012"] })
      .resolve({})
      .pipe(
        Effect.map((found) => assert.strictEqual(found.imageId, otherOwners.imageId)),
        Effect.provide(stubPorts(worldWithImages())),
      ),
  )

  it.effect("skips images that are not available", () => {
    const world = emptyWorld()
    world.images.push(
      older,
      image({ imageId: "ami-0000000000000000f", creationDate: 99 * day, state: "pending" }),
    )
    return imageFilterSource()
      .resolve({})
      .pipe(
        Effect.map((found) => assert.strictEqual(found.imageId, older.imageId)),
        Effect.provide(stubPorts(world)),
      )
  })

  it.effect("given a pattern that matches nothing, an ImageNotFound saying what was looked for", () =>
    imageFilterSource({ namePattern: "amzn2-ami-ecs-hvm-*-x86_64-ebs" })
      .resolve({ architecture: "x86_64" })
      .pipe(
        Effect.flip,
        Effect.map((error) => {
          assert.instanceOf(error, ImageNotFound)
          assert.include(error.message, "amzn2-ami-ecs-hvm-*-x86_64-ebs")
          assert.include(error.message, "x86_64")
        }),
        Effect.provide(stubPorts(worldWithImages())),
      ),
  )

  it.effect("given no owners, an ImageNotFound before any call", () => {
    const world = worldWithImages()
    world.failures.set("describeImages", awsError("ec2:DescribeImages", "unknown"))
    return imageFilterSource({ owners: [] })
      .resolve({})
      .pipe(
        Effect.flip,
        Effect.map((error) => assert.instanceOf(error, ImageNotFound)),
        Effect.provide(stubPorts(world)),
      )
  })
})

describe("ssm-parameter source", () => {
  it.effect("reads AWS's recommended ECS image parameter by default", () => {
    const world = worldWithImages()
    world.parameters.set(defaultEcsImageParameter, newer.imageId)
    return ssmParameterSource()
      .resolve({})
      .pipe(
        Effect.map((found) => assert.deepStrictEqual(found, newer)),
        Effect.provide(stubPorts(world)),
      )
  })

  it.effect("reads the image_id of the composite JSON parameter", () => {
    const world = worldWithImages()
    const parameterName = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended"
    world.parameters.set(
      parameterName,
      JSON.stringify({
        ecs_agent_version: "1.90.0",
        image_id: older.imageId,
        image_name: older.name,
        os: "Amazon Linux 2023",
      }),
    )
    return ssmParameterSource({ parameterName })
      .resolve({})
      .pipe(
        Effect.map((found) => assert.strictEqual(found.imageId, older.imageId)),
        Effect.provide(stubPorts(world)),
      )
  })

  for (const [label, value] of [
    ["JSON without image_id", JSON.stringify({ image_name: "x" })],
    ["broken JSON", "{ image_id: "],
    ["a value that is no AMI id", "latest"],
  ] as const)
    it.effect(`given ${label}, an ImageNotFound naming the parameter`, () => {
      const world = worldWithImages()
      world.parameters.set("/golden/ecs", value)
      return ssmParameterSource({ parameterName: "/golden/ecs" })
        .resolve({})
        .pipe(
          Effect.flip,
          Effect.map((error) => {
            assert.instanceOf(error, ImageNotFound)
            assert.include(error.message, "/golden/ecs")
          }),
          Effect.provide(stubPorts(world)),
        )
    })

  it.effect("given a parameter that does not exist, an ImageNotFound", () =>
    ssmParameterSource({ parameterName: "/golden/missing" })
      .resolve({})
      .pipe(
        Effect.flip,
        Effect.map((error) => {
          assert.instanceOf(error, ImageNotFound)
          assert.include(error.message, "/golden/missing does not exist")
        }),
        Effect.provide(stubPorts(worldWithImages())),
      ),
  )

  it.effect("given a parameter naming an image EC2 does not know, an ImageNotFound", () => {
    const world = worldWithImages()
    world.parameters.set("/golden/ecs", "ami-0123456789abcdef0")
    return ssmParameterSource({ parameterName: "/golden/ecs" })
      .resolve({})
      .pipe(
        Effect.flip,
        Effect.map((error) => {
          assert.instanceOf(error, ImageNotFound)
          assert.include(error.message, "ami-0123456789abcdef0")
        }),
        Effect.provide(stubPorts(world)),
      )
  })

  it.effect("given access denied, the AwsCallError passes through with the parameter's name", () => {
    const world = worldWithImages()
    world.failures.set("getParameter", awsError("ssm:GetParameter", "access-denied", "AccessDeniedException"))
    return ssmParameterSource({ parameterName: "/golden/ecs" })
      .resolve({})
      .pipe(
        Effect.flip,
        Effect.map((error) => {
          assert.instanceOf(error, AwsCallError)
          assert.strictEqual(error instanceof AwsCallError && error.kind, "access-denied")
          assert.include(error.message, "/golden/ecs")
        }),
        Effect.provide(stubPorts(world)),
      )
  })
})

describe("pinned-image source", () => {
  it.effect("returns the pinned image when EC2 knows it", () =>
    pinnedImageSource({ imageId: older.imageId })
      .resolve({})
      .pipe(
        Effect.map((found) => assert.deepStrictEqual(found, older)),
        Effect.provide(stubPorts(worldWithImages())),
      ),
  )

  it.effect("given an id EC2 answers with not-found, an ImageNotFound", () => {
    const world = worldWithImages()
    world.failures.set("describeImages", awsError("ec2:DescribeImages", "not-found", "InvalidAMIID.NotFound"))
    return pinnedImageSource({ imageId: older.imageId })
      .resolve({})
      .pipe(
        Effect.flip,
        Effect.map((error) => assert.instanceOf(error, ImageNotFound)),
        Effect.provide(stubPorts(world)),
      )
  })

  it.effect("given a failed image, an ImageNotFound saying its state", () => {
    const world = emptyWorld()
    world.images.push(image({ imageId: "ami-0000000000000000f", state: "failed" }))
    return pinnedImageSource({ imageId: "ami-0000000000000000f" })
      .resolve({})
      .pipe(
        Effect.flip,
        Effect.map((error) => assert.include(error.message, "state is failed")),
        Effect.provide(stubPorts(world)),
      )
  })

  it.effect("given something that is no AMI id, an ImageNotFound without calling EC2", () => {
    const world = worldWithImages()
    world.failures.set("describeImages", awsError("ec2:DescribeImages", "unknown"))
    return pinnedImageSource({ imageId: "al2023-latest" })
      .resolve({})
      .pipe(
        Effect.flip,
        Effect.map((error) => {
          assert.instanceOf(error, ImageNotFound)
          assert.include(error.message, "is not an AMI id")
        }),
        Effect.provide(stubPorts(world)),
      )
  })
})
