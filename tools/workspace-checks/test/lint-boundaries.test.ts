/**
 * The workspace's lint rules are part of its architecture: these tests lint small fixtures placed
 * (in memory) inside real projects and prove that a forbidden import is reported, and that a
 * permitted one is not, so the rules can neither silently vanish nor reject everything.
 */
import path from "node:path"
import { ESLint } from "eslint"
import { beforeAll, describe, expect, it } from "vitest"

const workspaceRoot = path.resolve(import.meta.dirname, "../../..")
let eslint: ESLint

const ruleIdsFor = async (projectFile: string, code: string): Promise<ReadonlyArray<string | null>> => {
  const [result] = await eslint.lintText(code, { filePath: path.join(workspaceRoot, projectFile) })
  return (result?.messages ?? []).filter((m) => m.severity === 2).map((m) => m.ruleId)
}

describe("architecture boundaries", () => {
  beforeAll(() => {
    eslint = new ESLint({ cwd: workspaceRoot })
  })

  it("rejects the planner importing the AWS SDK", async () => {
    const rules = await ruleIdsFor(
      "packages/planner/src/lint-fixture.ts",
      `import { EC2Client } from "@aws-sdk/client-ec2"\nexport const client = EC2Client\n`,
    )
    expect(rules).toContain("no-restricted-imports")
  })

  it("rejects the domain using a Node.js built-in", async () => {
    const rules = await ruleIdsFor(
      "packages/domain/src/lint-fixture.ts",
      `import { readFileSync } from "node:fs"\nexport const read = readFileSync\n`,
    )
    expect(rules).toEqual(["no-restricted-imports"])
  })

  it("rejects an arrow pointing upward (domain importing the planner)", async () => {
    const rules = await ruleIdsFor(
      "packages/domain/src/lint-fixture.ts",
      `import * as planner from "@ecs-ami-deploy/planner"\nexport const p = planner\n`,
    )
    expect(rules).toContain("@nx/enforce-module-boundaries")
  })

  it("accepts the planner importing the domain", async () => {
    const rules = await ruleIdsFor(
      "packages/planner/src/lint-fixture.ts",
      `import * as domain from "@ecs-ami-deploy/domain"\nexport const d = domain\n`,
    )
    expect(rules).toEqual([])
  })
})

describe("type-aware rules", () => {
  beforeAll(() => {
    eslint = new ESLint({ cwd: workspaceRoot })
  })

  it("reports a floating promise and a value import used only as a type", async () => {
    const rules = await ruleIdsFor(
      "packages/planner/src/lint-fixture.ts",
      [
        `import { Effect } from "effect"`,
        `export const f = (e: Effect.Effect<number>) => e`,
        `const later = async () => 1`,
        `export const g = () => { later() }`,
        ``,
      ].join("\n"),
    )
    expect(rules).toContain("@typescript-eslint/no-floating-promises")
    expect(rules).toContain("@typescript-eslint/consistent-type-imports")
  })
})
