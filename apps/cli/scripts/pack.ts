/**
 * Packs the `ecs-ami-deploy` command as an installable npm package: one self-contained ES module
 * (`bin/ecs-ami-deploy.mjs`, every dependency inside, bundled by esbuild from the workspace's sources),
 * its package.json, README and LICENSE — nothing for npm to fetch at install time, so
 * `npm install -g <tarball>` works offline and `npm install -g ecs-ami-deploy-cli` will once published.
 *
 *   node --conditions=@ecs-ami-deploy/source apps/cli/scripts/pack.ts [DESTINATION]
 *
 * prints the tarball's path (default destination: `apps/cli/dist/package`).
 */
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"

const cliRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const workspaceRoot = path.resolve(cliRoot, "..", "..")

/** The name the command is published under (the library owns `ecs-ami-deploy`). */
export const packageName = "ecs-ami-deploy-cli"
export const commandName = "ecs-ami-deploy"

/** Some CommonJS dependencies call `require` for Node built-ins; an ES module bundle has to provide it. */
const requireShim =
  'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);'

/** Builds the package in a fresh staging directory and packs it into `destination`; returns the tarball's path. */
export const packCli = async (destination: string): Promise<string> => {
  const version = (
    JSON.parse(readFileSync(path.join(cliRoot, "package.json"), "utf8")) as { version: string }
  ).version
  const stage = mkdtempSync(path.join(tmpdir(), "ecs-ami-deploy-cli-"))
  try {
    await build({
      absWorkingDir: workspaceRoot,
      entryPoints: [path.join(cliRoot, "src", "main.ts")],
      outfile: path.join(stage, "bin", `${commandName}.mjs`),
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      minify: true,
      legalComments: "none",
      conditions: ["@ecs-ami-deploy/source"],
      mainFields: ["module", "main"],
      // esbuild keeps main.ts's `#!/usr/bin/env node` as the first line, above this banner.
      banner: { js: requireShim },
      logLevel: "warning",
    })
    writeFileSync(
      path.join(stage, "package.json"),
      `${JSON.stringify(
        {
          name: packageName,
          version,
          description:
            "Roll every EC2 instance of an Amazon ECS cluster onto a new AMI with zero downtime, resumably: the ecs-ami-deploy command.",
          license: "MIT",
          type: "module",
          bin: { [commandName]: `bin/${commandName}.mjs` },
          engines: { node: ">=20" },
          files: ["bin", "README.md", "LICENSE"],
        },
        null,
        2,
      )}\n`,
    )
    copyFileSync(path.join(cliRoot, "README.md"), path.join(stage, "README.md"))
    copyFileSync(path.join(workspaceRoot, "LICENSE"), path.join(stage, "LICENSE"))
    mkdirSync(destination, { recursive: true })
    const output = execFileSync("npm", ["pack", stage, "--pack-destination", destination, "--json"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    })
    const [packed] = JSON.parse(output) as ReadonlyArray<{ readonly filename: string }>
    if (packed === undefined) throw new Error("npm pack reported no tarball")
    return path.join(destination, packed.filename)
  } finally {
    rmSync(stage, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  console.log(await packCli(path.resolve(process.argv[2] ?? path.join(cliRoot, "dist", "package"))))
