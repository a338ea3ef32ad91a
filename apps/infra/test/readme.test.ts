/**
 * apps/infra/README.md is run, not only read: its TypeScript app synthesises as written (from a
 * working directory holding a placeholder bundle, its one import of the stack resolved to the file
 * it names), imports no package that cannot be installed, and every payload its day-2 commands send
 * the function is one the function accepts, decoded as the trigger the text says.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import path from "node:path"
import { promisify } from "node:util"
import { Effect } from "effect"
import { onTestFinished } from "vitest"
import { decodeTrigger } from "@ecs-ami-deploy/lambda"

const infraDirectory = path.resolve(import.meta.dirname, "..")
const repositoryRoot = path.resolve(infraDirectory, "..", "..")
const readme = readFileSync(path.join(infraDirectory, "README.md"), "utf8")

const codeBlocks = (language: string) =>
  [...readme.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map(
    (match) => match[1] ?? "",
  )

const importedModules = (code: string) => [...code.matchAll(/from "([^"]+)"/g)].map((match) => match[1] ?? "")

/** Every workspace package's name and whether it is private (unpublishable). */
const workspacePackages = new Map(
  ["apps", "packages"].flatMap((folder) =>
    readdirSync(path.join(repositoryRoot, folder))
      .map((name) => path.join(repositoryRoot, folder, name, "package.json"))
      .filter((file) => existsSync(file))
      .map((file) => {
        const manifest = JSON.parse(readFileSync(file, "utf8")) as { name: string; private?: boolean }
        return [manifest.name, manifest.private === true] as const
      }),
  ),
)

describe("apps/infra/README.md", () => {
  const [snippet = ""] = codeBlocks("ts")

  it("given its TypeScript app, then it imports no private workspace package, only the stack by path from src/", () => {
    const modules = importedModules(snippet)
    expect(modules).toContain("./stack.ts")
    for (const module of modules)
      if (module.startsWith("."))
        expect(existsSync(path.join(infraDirectory, "src", module)), `${module} from apps/infra/src`).toBe(
          true,
        )
      else expect(workspacePackages.get(module.split("/").slice(0, 2).join("/")), module).not.toBe(true)
  })

  it("given its TypeScript app, when run inside the clone as cdk synth runs it, then the stack's template is written with its settings", async () => {
    // Inside the clone, as the README asks (node resolves aws-cdk-lib from its node_modules), in tmp/, which git ignores.
    const scratch = path.join(repositoryRoot, "tmp")
    mkdirSync(scratch, { recursive: true })
    const workingDirectory = mkdtempSync(path.join(scratch, "readme-app-"))
    onTestFinished(() => rmSync(workingDirectory, { recursive: true, force: true }))
    mkdirSync(path.join(workingDirectory, "apps", "lambda", "dist", "bundle"), { recursive: true })
    writeFileSync(
      path.join(workingDirectory, "apps", "lambda", "dist", "bundle", "handler.mjs"),
      "export const handler = async () => ({})\n",
    )
    // The one change: the import of ./stack.ts, resolved for a file outside src/.
    const appFile = path.join(workingDirectory, "my-app.ts")
    writeFileSync(
      appFile,
      snippet.replace('"./stack.ts"', JSON.stringify(path.join(infraDirectory, "src", "stack.ts"))),
    )
    const outdir = path.join(workingDirectory, "cdk.out")
    await promisify(execFile)(process.execPath, ["--conditions=@ecs-ami-deploy/source", appFile], {
      cwd: workingDirectory,
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_DEFAULT_ACCOUNT: "123456789012",
        CDK_DEFAULT_REGION: "eu-west-1",
      },
    })
    const template = readFileSync(path.join(outdir, "EcsAmiDeploy.template.json"), "utf8")
    expect(template).toContain('"MAX_SURGE": "2"')
    expect(template).toContain("arn:aws:sns:eu-west-1:177427601217:ecs-optimized-amazon-ami-update")
  }, 120_000)

  it("given the payloads its day-2 commands send, then the function decodes them as the schedule, the resume sweep and a continue event", async () => {
    const payloads = [...readme.matchAll(/--payload '([^']+)'/g)].map(
      (match) => JSON.parse(match[1] ?? "null") as unknown,
    )
    const triggers = await Effect.runPromise(Effect.forEach(payloads, decodeTrigger))
    expect(triggers.map((trigger) => trigger._tag)).toEqual(["Schedule", "ResumeOpenRuns", "Continue"])
  })
})
