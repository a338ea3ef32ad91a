/**
 * The documented install, as a user does it: the command packed into one tarball
 * (`scripts/pack.ts`), installed globally with npm into a temporary prefix (offline: the package
 * carries everything), and run from that prefix's `bin` — `--version`, `plan` on the simulator and
 * `iam-policy` — on the workspace's Node.js, with none of the workspace's modules in reach.
 */
import { describe, expect, it } from "vitest"
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll } from "vitest"
import { commandName, packageName, packCli } from "../scripts/pack.ts"
import { ExitCode } from "../src/failure.ts"

const root = mkdtempSync(path.join(tmpdir(), "ecs-ami-deploy-install-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** Runs the installed command from an empty directory, with only the pinned Node.js and the system on PATH. */
const runInstalled = (prefix: string, argv: ReadonlyArray<string>) => {
  const cwd = mkdtempSync(path.join(root, "cwd-"))
  const result = spawnSync(path.join(prefix, "bin", commandName), argv, {
    cwd,
    encoding: "utf8",
    env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: cwd, NO_COLOR: "1" },
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe("installing the command from its tarball", () => {
  it("npm install -g puts a working ecs-ami-deploy on the prefix's PATH: --version, plan on the simulator, iam-policy", async () => {
    const tarball = await packCli(path.join(root, "packed"))
    const prefix = path.join(root, "prefix")
    execFileSync(
      "npm",
      ["install", "--global", "--prefix", prefix, tarball, "--offline", "--no-audit", "--no-fund"],
      {
        stdio: "pipe",
      },
    )
    const installed = path.join(prefix, "lib", "node_modules", packageName)
    expect(existsSync(path.join(installed, "LICENSE"))).toBe(true)
    const version = (
      JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../package.json"), "utf8")) as {
        version: string
      }
    ).version

    const shown = runInstalled(prefix, ["--version"])
    expect(shown).toMatchObject({ code: ExitCode.success })
    expect(shown.stdout).toContain(version)

    const plan = runInstalled(prefix, ["plan", "--simulator", "small", "--cluster", "small-cluster"])
    expect(plan.stderr).toBe("")
    expect(plan).toMatchObject({ code: ExitCode.success })
    expect(plan.stdout).toMatch(/wave 1 of small-asg/)

    const policy = runInstalled(prefix, ["iam-policy"])
    expect(policy).toMatchObject({ code: ExitCode.success })
    expect(JSON.parse(policy.stdout)).toMatchObject({ Version: "2012-10-17" })
  }, 180_000)
})
