/**
 * The package as a stranger gets it: build the workspace to JavaScript, pack `ecs-ami-deploy` into
 * one tarball (the private workspace packages bundled inside), install it into an empty project
 * outside the workspace with npm (from the local npm cache), and run compiled JavaScript against it —
 * a Promise-style rollout aborted and resumed, and an Effect-style rollout, both on the simulator —
 * then typecheck a TypeScript caller against the installed declarations. The README's examples are
 * held to the same standard: its JavaScript example runs, its TypeScript examples typecheck.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { packWithBundledWorkspaceDeps } from "../scripts/pack.ts"

const packageRoot = path.resolve(import.meta.dirname, "..")
const workspaceRoot = path.resolve(packageRoot, "../..")
const tsc = path.join(workspaceRoot, "node_modules", "typescript", "bin", "tsc")
const manifest = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>
    devDependencies?: Record<string, string>
  }
/** What a caller installs next to the tarball, at the workspace's versions: Effect, and Node's types for TypeScript callers. */
const callerPackages = [
  `effect@${manifest(packageRoot).dependencies?.["effect"] ?? ""}`,
  `@types/node@${manifest(workspaceRoot).devDependencies?.["@types/node"] ?? ""}`,
]

/** Runs compiled JavaScript in the consumer project: a rollout aborted then resumed, and one in the Effect style. */
const consumerScript = `
import { Effect } from "effect"
import * as api from "ecs-ami-deploy"
import { makeSimulation, newImageId, scenarios, simulatedPorts } from "ecs-ami-deploy/simulator"

const { memoryEventLog, resumeRun, Rollout, rolloutEnvironment, runStatus, upgradeCluster } = api
const cluster = "small-cluster"
const liveImages = (simulation) => [...new Set(simulation.snapshotState().instances
  .filter((instance) => instance.state === "pending" || instance.state === "running")
  .map((instance) => instance.imageId))]

const promiseSimulation = makeSimulation(scenarios.small, { seed: 11 })
const callOptions = { ports: simulatedPorts(promiseSimulation), eventLog: memoryEventLog() }
const controller = new AbortController()
let lastEventBeforeResume = ""
const abortReason = await upgradeCluster({ cluster }, {
  ...callOptions,
  signal: controller.signal,
  onEvent: (event) => {
    lastEventBeforeResume = event._tag
    if (event._tag === "CommandSucceeded" && event.commandId.includes("drain")) controller.abort()
  },
}).then(() => "not aborted", (error) => error.name)
const afterAbort = await runStatus({ cluster }, callOptions)
const resumed = await resumeRun({ cluster }, callOptions)

const effectSimulation = makeSimulation(scenarios.small, { seed: 12 })
const effectResult = await Effect.runPromise(
  Rollout.upgradeCluster({ cluster }).pipe(
    Effect.provide(rolloutEnvironment({ ports: simulatedPorts(effectSimulation), eventLog: "memory" })),
  ),
)

console.log(JSON.stringify({
  exports: Object.keys(api).sort(),
  abortReason,
  lastEventBeforeResume,
  afterAbort: { status: afterAbort.summary?.status, runId: afterAbort.summary?.runId },
  resumed: { tag: resumed._tag, outcome: resumed.outcome, runId: resumed.runId },
  promiseImages: liveImages(promiseSimulation),
  effect: { tag: effectResult._tag, outcome: effectResult.outcome },
  effectImages: liveImages(effectSimulation),
  newImageId,
}))
`

/** A TypeScript caller: compiles only if the installed declarations resolve to real (not `any`) types. */
const typedConsumer = `
import { upgradeCluster, type RunResult, type UpgradeOptions } from "ecs-ami-deploy"
import { makeSimulation, scenarios, simulatedPorts } from "ecs-ami-deploy/simulator"

type IsAny<T> = 0 extends 1 & T ? true : false
const options: UpgradeOptions = { cluster: "small-cluster", policy: { maxSurge: { unit: "instances", value: 1 } } }
const result: Promise<RunResult> = upgradeCluster(options, { ports: simulatedPorts(makeSimulation(scenarios.small)) })
export const resultIsTyped: IsAny<Awaited<typeof result>> = false
export const optionsAreTyped: IsAny<UpgradeOptions["policy"]> = false
`

/** The README's fenced code blocks in `language`, in order. */
const readmeExamples = (language: "js" | "ts"): Array<string> =>
  [
    ...readFileSync(path.join(packageRoot, "README.md"), "utf8").matchAll(
      new RegExp("^```" + language + "\\n([\\s\\S]*?)^```", "gm"),
    ),
  ].map((match) => match[1] ?? "")

/** The environment without colour: Node colours `console.log` output under FORCE_COLOR (set by Nx), which the assertions would have to see through. */
const uncoloured = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "FORCE_COLOR")),
  NO_COLOR: "1",
}

const run = (command: string, args: ReadonlyArray<string>, cwd: string) =>
  execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: uncoloured })

describe("the packed ecs-ami-deploy tarball, installed outside the workspace", () => {
  let scratch = ""
  let consumer = ""
  let tarball = ""

  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), "ecs-ami-deploy-int-"))
    run(process.execPath, [tsc, "--build", path.join(packageRoot, "tsconfig.lib.json")], workspaceRoot)
    tarball = packWithBundledWorkspaceDeps(packageRoot, scratch)
    consumer = path.join(scratch, "consumer")
    mkdirSync(consumer)
    writeFileSync(
      path.join(consumer, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    )
    run(
      "npm",
      [
        "install",
        tarball,
        ...callerPackages,
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
      ],
      consumer,
    )
  }, 180_000)

  afterAll(() => {
    if (scratch !== "") rmSync(scratch, { recursive: true, force: true })
  })

  it("ships compiled JavaScript and declarations, its LICENSE and api.md, with the workspace packages bundled and no TypeScript sources", () => {
    const files = run("tar", ["-tzf", tarball], scratch).split("\n")

    expect(files).toContain("package/dist/index.js")
    expect(files).toContain("package/dist/index.d.ts")
    expect(files).toContain("package/LICENSE")
    expect(files).toContain("package/api.md")
    expect(files).toContain("package/dist/simulator.js")
    expect(files).toContain("package/node_modules/@ecs-ami-deploy/executor/dist/index.js")
    expect(files).toContain("package/node_modules/@ecs-ami-deploy/executor/dist/index.d.ts")
    expect(files.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))).toEqual([])
  })

  it("runs from compiled JavaScript: a Promise rollout aborted (recorded as suspended) and resumed, and an Effect rollout, each ending on the new image", () => {
    writeFileSync(path.join(consumer, "rollout.mjs"), consumerScript)

    const report = JSON.parse(run(process.execPath, ["rollout.mjs"], consumer)) as {
      exports: Array<string>
      abortReason: string
      lastEventBeforeResume: string
      afterAbort: { status: string; runId: string }
      resumed: { tag: string; outcome: string; runId: string }
      promiseImages: Array<string>
      effect: { tag: string; outcome: string }
      effectImages: Array<string>
      newImageId: string
    }

    const mainEntrySection = readFileSync(path.join(packageRoot, "api.md"), "utf8").split(/^## /m)[1] ?? ""
    const documentedValues = [...mainEntrySection.matchAll(/^- `(\w+)`/gm)].map((match) => match[1]).sort()
    expect(report.exports).toEqual(documentedValues)
    expect(report.abortReason).toBe("AbortError")
    expect(report.lastEventBeforeResume).toBe("RunSuspended")
    expect(report.afterAbort.status).toBe("open")
    expect(report.resumed).toEqual({ tag: "Finished", outcome: "succeeded", runId: report.afterAbort.runId })
    expect(report.promiseImages).toEqual([report.newImageId])
    expect(report.effect).toEqual({ tag: "Finished", outcome: "succeeded" })
    expect(report.effectImages).toEqual([report.newImageId])
  })

  it("loads no simulator module when only the main entry is imported (what a Lambda bundle would contain)", () => {
    const traceImports = `
import { registerHooks } from "node:module"
registerHooks({
  resolve: (specifier, context, nextResolve) => {
    const resolved = nextResolve(specifier, context)
    console.log(resolved.url)
    return resolved
  },
})
await import("ecs-ami-deploy")
`
    writeFileSync(path.join(consumer, "trace-imports.mjs"), traceImports)

    const loaded = run(process.execPath, ["trace-imports.mjs"], consumer).split("\n")

    expect(loaded.some((url) => url.includes("/node_modules/@ecs-ami-deploy/executor/"))).toBe(true)
    expect(loaded.filter((url) => url.includes("/simulator"))).toEqual([])
  })

  it("runs the README's JavaScript example to a successful rollout", () => {
    const [example] = readmeExamples("js")
    writeFileSync(path.join(consumer, "readme-example.mjs"), example ?? "")

    const output = run(process.execPath, ["readme-example.mjs"], consumer)

    expect(output).toContain("RunFinished")
    expect(output).toMatch(/outcome: 'succeeded'/)
  })

  it("typechecks a TypeScript caller and the README's TypeScript examples against the installed declarations", () => {
    const examples = readmeExamples("ts")
    expect(examples.length).toBeGreaterThan(0)
    writeFileSync(path.join(consumer, "caller.ts"), typedConsumer)
    examples.forEach((example, index) => writeFileSync(path.join(consumer, `readme-${index}.ts`), example))
    const files = ["caller.ts", ...examples.map((_, index) => `readme-${index}.ts`)]
    const compile = () =>
      run(
        process.execPath,
        [
          tsc,
          "--noEmit",
          "--strict",
          "--module",
          "nodenext",
          "--moduleResolution",
          "nodenext",
          "--target",
          "es2024",
          "--types",
          "node",
          "--skipLibCheck",
          ...files,
        ],
        consumer,
      )

    expect(compile).not.toThrow()
  }, 120_000)
})
