/**
 * The tagged-image AMI source example (examples/tagged-image-source.ts), which imports only `effect`
 * and the library's public entry, resolved against simulated EC2: the newest image of the given
 * owners carrying the tag, and an ImageNotFound naming the tag when none does.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { taggedImageSource } from "../examples/tagged-image-source.ts"
import { ImageNotFound } from "../src/index.ts"
import { makeSimulation, scenarios } from "../src/simulator.ts"

const account = "111122223333"
const image = (imageId: string, day: number, tags: Record<string, string>, owner = account) => ({
  imageId,
  name: `golden-ecs-${imageId}`,
  owner,
  creationDate: `2026-11-${String(day).padStart(2, "0")}T00:00:00.000Z`,
  architecture: "x86_64" as const,
  tags,
})

const simulation = makeSimulation({
  ...scenarios.small,
  images: [
    ...scenarios.small.images,
    image("ami-0000000000000000a", 1, { pipeline: "golden-ecs" }),
    image("ami-0000000000000000b", 2, { pipeline: "golden-ecs" }),
    image("ami-0000000000000000c", 3, { pipeline: "experimental" }),
    image("ami-0000000000000000d", 4, { pipeline: "golden-ecs" }, "999988887777"),
  ],
})
const resolve = (tagValue: string) =>
  Effect.runPromise(
    taggedImageSource({ tagKey: "pipeline", tagValue, owners: [account] })
      .resolve({})
      .pipe(Effect.result, Effect.provide(simulation.layer)),
  )

describe("example: tagged-image AMI source", () => {
  it("picks the newest image of the given owners carrying the tag, not a newer one with another tag or owner", async () => {
    const found = await resolve("golden-ecs")
    expect(found).toMatchObject({ _tag: "Success", success: { imageId: "ami-0000000000000000b" } })
  })

  it("given no image with the tag, fails with an ImageNotFound naming the tag", async () => {
    const found = await resolve("golden-ecs-arm")
    expect(found._tag).toBe("Failure")
    const failure = found._tag === "Failure" ? found.failure : undefined
    expect(failure).toBeInstanceOf(ImageNotFound)
    expect(failure?.message).toContain("pipeline=golden-ecs-arm")
  })
})
