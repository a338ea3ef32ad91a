import { describe, expect, it } from "@effect/vitest"
import { bundleLambda } from "../scripts/bundle.ts"

/** What must never ship to Lambda: the simulator, test helpers (`testing` modules, test directories) and test tooling. */
const forbidden = [
  /packages\/simulator\//,
  /(^|\/)testing(\/|\.ts$|\.js$)/,
  /\/test\//,
  /node_modules\/(vitest|@effect\/vitest|fast-check|aws-sdk-client-mock|dynalite)\//,
]

describe("the Lambda bundle", () => {
  it("given the production entry, when bundled, then no input comes from the simulator or a test helper, and the handler's sources are in", async () => {
    const { metafile } = await bundleLambda({ write: false })
    const inputs = Object.keys(metafile.inputs)
    expect(inputs.filter((input) => forbidden.some((pattern) => pattern.test(input)))).toEqual([])
    expect(inputs).toEqual(expect.arrayContaining(["apps/lambda/src/main.ts", "apps/lambda/src/handler.ts"]))
    expect(inputs.some((input) => input.startsWith("packages/executor/src/"))).toBe(true)
  })
})
