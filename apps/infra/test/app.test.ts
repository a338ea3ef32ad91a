import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { promisify } from "node:util"

const appFile = path.resolve(import.meta.dirname, "..", "src", "app.ts")
const run = promisify(execFile)

/** Runs the CDK app as `cdk deploy --app "node --conditions=@ecs-ami-deploy/source apps/infra/src/app.ts"` would, with `context`. */
const synthApp = (context: Record<string, unknown>, outdir: string) =>
  run(process.execPath, ["--conditions=@ecs-ami-deploy/source", appFile], {
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
  })

const temporaryDirectory = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix))

describe("the CDK app", () => {
  it("given clusters, settings and a bundle directory, when run offline, then it writes the stack's template with them", async () => {
    const bundleDirectory = temporaryDirectory("bundle-")
    writeFileSync(path.join(bundleDirectory, "handler.mjs"), "export const handler = async () => ({})\n")
    const outdir = temporaryDirectory("cdk-out-")
    await synthApp(
      { clusters: "prod, staging", settings: '{"MAX_SURGE":"2"}', bundleDirectory, stackName: "Rollouts" },
      outdir,
    )
    const template = JSON.parse(readFileSync(path.join(outdir, "Rollouts.template.json"), "utf8")) as {
      Resources: Record<
        string,
        { Type: string; Properties: { Environment?: { Variables: Record<string, unknown> } } }
      >
    }
    const functions = Object.values(template.Resources).filter(
      (resource) => resource.Type === "AWS::Lambda::Function",
    )
    expect(functions.map((fn) => fn.Properties.Environment?.Variables)).toMatchObject([
      { CLUSTERS: "prod,staging", MAX_SURGE: "2" },
    ])
  }, 120_000)

  it("given a misspelt setting, when run as cdk synth runs it, then it fails naming the key and the setting meant, and writes no template", async () => {
    const bundleDirectory = temporaryDirectory("bundle-")
    writeFileSync(path.join(bundleDirectory, "handler.mjs"), "export const handler = async () => ({})\n")
    const outdir = temporaryDirectory("cdk-out-")
    await expect(
      synthApp({ clusters: "prod", settings: '{"MAX_SURGES":"2"}', bundleDirectory }, outdir),
    ).rejects.toThrow(/MAX_SURGES: is not a setting: did you mean MAX_SURGE\?/)
    expect(existsSync(path.join(outdir, "EcsAmiDeploy.template.json"))).toBe(false)
  }, 120_000)

  it("given settings as an object (cdk.json's context), when run offline, then the function gets them", async () => {
    const bundleDirectory = temporaryDirectory("bundle-")
    writeFileSync(path.join(bundleDirectory, "handler.mjs"), "export const handler = async () => ({})\n")
    const outdir = temporaryDirectory("cdk-out-")
    await synthApp({ clusters: "prod", settings: { MAX_SURGE: "3" }, bundleDirectory }, outdir)
    expect(readFileSync(path.join(outdir, "EcsAmiDeploy.template.json"), "utf8")).toContain(
      '"MAX_SURGE": "3"',
    )
  }, 120_000)

  it("given settings that are not JSON, when run, then it stops with the expected shape and what it got", async () => {
    const bundleDirectory = temporaryDirectory("bundle-")
    writeFileSync(path.join(bundleDirectory, "handler.mjs"), "export const handler = async () => ({})\n")
    await expect(
      synthApp(
        { clusters: "prod", settings: "{MAX_SURGE:2}", bundleDirectory },
        temporaryDirectory("cdk-out-"),
      ),
    ).rejects.toThrow(
      /settings must be a JSON object of strings, e\.g\. \{"MAX_SURGE":"2"\}; got \{MAX_SURGE:2\}/,
    )
  }, 120_000)

  it("given no clusters, when run, then it stops with a message saying how to give them", async () => {
    await expect(synthApp({}, temporaryDirectory("cdk-out-"))).rejects.toThrow(/-c clusters=/)
  }, 120_000)
})
