import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { ImageNotFound } from "../../src/contracts.ts"
import { taggedImageSource } from "../../src/examples/tagged-image-source.ts"
import { emptyWorld, image, stubPorts, type StubWorld } from "../ports-stub.ts"

const account = "123456789012"
const golden = (imageId: string, creationDate: number, pipeline = "golden-ecs") =>
  image({ imageId, name: `golden-ecs-${imageId}`, ownerId: account, creationDate, tags: { pipeline } })

const worldWithPipelineImages = (): StubWorld => {
  const world = emptyWorld()
  world.images.push(
    golden("ami-0000000000000000a", 1_000),
    golden("ami-0000000000000000b", 2_000),
    golden("ami-0000000000000000c", 3_000, "experimental"),
    image({ imageId: "ami-0000000000000000d", creationDate: 9_000 }),
  )
  return world
}

describe("example: tagged-image source", () => {
  it.effect("picks the newest image of the account carrying the tag", () =>
    taggedImageSource({ tagKey: "pipeline", tagValue: "golden-ecs", owners: [account] })
      .resolve({})
      .pipe(
        Effect.map((found) => assert.strictEqual(found.imageId, "ami-0000000000000000b")),
        Effect.provide(stubPorts(worldWithPipelineImages())),
      ),
  )

  it.effect("given no image with the tag, an ImageNotFound naming the tag", () =>
    taggedImageSource({ tagKey: "pipeline", tagValue: "golden-ecs-arm", owners: [account] })
      .resolve({})
      .pipe(
        Effect.flip,
        Effect.map((error) => {
          assert.instanceOf(error, ImageNotFound)
          assert.include(error.message, "pipeline=golden-ecs-arm")
        }),
        Effect.provide(stubPorts(worldWithPipelineImages())),
      ),
  )
})
