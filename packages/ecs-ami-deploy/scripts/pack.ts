/**
 * Packs a workspace package into one self-contained npm tarball. The internal `@ecs-ami-deploy/*`
 * packages stay private: instead of publishing them, the tarball carries their compiled JavaScript and
 * declarations as npm `bundleDependencies` (under the package's own `node_modules/`), and lifts their
 * third-party dependencies (effect, @aws-sdk/*) into its own `dependencies`, which npm installs as usual.
 *
 * npm does not bundle workspace symlinks, so the package is first staged in a temporary directory
 * with real copies: `package.json` (without the workspace-only `@ecs-ami-deploy/source` condition and
 * Nx settings), `dist/` without build info and source maps (the sources they point to are not shipped),
 * and the README. Run `nx run ecs-ami-deploy:pack` (it builds first) or, after a build,
 * `node scripts/pack.ts [packageDir] [destination]`.
 */
import { execFileSync } from "node:child_process"
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"

const workspaceRoot = path.resolve(import.meta.dirname, "../../..")
const sourceCondition = "@ecs-ami-deploy/source"

interface PackageJson {
  readonly name: string
  readonly version: string
  readonly dependencies?: Record<string, string>
  readonly [field: string]: unknown
}

const readPackageJson = (dir: string): PackageJson =>
  JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson

/** The workspace package a dependency name links to, or undefined for a third-party package. */
const workspaceDirOf = (name: string): string | undefined => {
  const link = path.join(workspaceRoot, "node_modules", name)
  if (!existsSync(link)) return undefined
  const target = realpathSync(link)
  return target.includes(`${path.sep}node_modules${path.sep}`) ? undefined : target
}

/** Removes the source condition from every entry of an `exports` map, recursively. */
const withoutSourceCondition = (exportsField: unknown): unknown => {
  if (typeof exportsField !== "object" || exportsField === null) return exportsField
  return Object.fromEntries(
    Object.entries(exportsField)
      .filter(([key]) => key !== sourceCondition)
      .map(([key, value]) => [key, withoutSourceCondition(value)]),
  )
}

/** The fields of a package.json that matter outside the workspace. */
const publishedManifest = (
  manifest: PackageJson,
  dependencies: Record<string, string>,
): Record<string, unknown> => {
  const { nx: _nx, devDependencies: _dev, scripts: _scripts, ...rest } = manifest
  return { ...rest, exports: withoutSourceCondition(manifest["exports"]), dependencies }
}

const copyDist = (fromDir: string, toDir: string): void => {
  const dist = path.join(fromDir, "dist")
  if (!existsSync(path.join(dist, "index.js")))
    throw new Error(`${dist}/index.js is missing: build first (npx nx run-many -t build)`)
  cpSync(dist, path.join(toDir, "dist"), {
    recursive: true,
    filter: (file) => !file.endsWith(".tsbuildinfo") && !file.endsWith(".map"),
  })
}

interface WorkspacePackage {
  readonly dir: string
  readonly manifest: PackageJson
}

/**
 * Every workspace package `packageDir` depends on, directly or through another workspace package,
 * with the third-party dependencies they all need (one version per name, or the pack fails).
 */
const dependencyClosure = (packageDir: string) => {
  const workspacePackages = new Map<string, WorkspacePackage>()
  const external: Record<string, string> = {}
  const visit = (manifest: PackageJson): void => {
    for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
      const dir = workspaceDirOf(name)
      if (dir === undefined) {
        const known = external[name]
        if (known !== undefined && known !== range)
          throw new Error(
            `${name} is required as ${known} and as ${range}: align the versions before packing`,
          )
        external[name] = range
      } else if (!workspacePackages.has(name)) {
        const dependency = { dir, manifest: readPackageJson(dir) }
        workspacePackages.set(name, dependency)
        visit(dependency.manifest)
      }
    }
  }
  visit(readPackageJson(packageDir))
  return { workspacePackages, external }
}

/** A manifest's dependencies with the workspace ones pinned to the exact versions bundled next to it. */
const pinnedDependencies = (
  manifest: PackageJson,
  workspacePackages: ReadonlyMap<string, WorkspacePackage>,
): Record<string, string> =>
  Object.fromEntries(
    Object.entries(manifest.dependencies ?? {}).map(([name, range]) => [
      name,
      workspacePackages.get(name)?.manifest.version ?? range,
    ]),
  )

/** Stages `packageDir` with its bundled workspace dependencies and returns the tarball's path in `destination`. */
export const packWithBundledWorkspaceDeps = (packageDir: string, destination: string): string => {
  const manifest = readPackageJson(packageDir)
  const { workspacePackages, external } = dependencyClosure(packageDir)
  const bundled = [...workspacePackages.keys()].sort()
  const stage = mkdtempSync(path.join(tmpdir(), "ecs-ami-deploy-pack-"))
  try {
    for (const [name, dependency] of workspacePackages) {
      const target = path.join(stage, "node_modules", name)
      copyDist(dependency.dir, target)
      writeFileSync(
        path.join(target, "package.json"),
        JSON.stringify(
          publishedManifest(dependency.manifest, pinnedDependencies(dependency.manifest, workspacePackages)),
          null,
          2,
        ),
      )
    }
    copyDist(packageDir, stage)
    // The README and the API list from the package, the licence from the repository.
    for (const file of ["README.md", "api.md"])
      if (existsSync(path.join(packageDir, file))) cpSync(path.join(packageDir, file), path.join(stage, file))
    cpSync(path.join(workspaceRoot, "LICENSE"), path.join(stage, "LICENSE"))
    const dependencies = {
      ...Object.fromEntries(
        bundled.map((name) => [name, workspacePackages.get(name)?.manifest.version ?? ""]),
      ),
      ...external,
    }
    writeFileSync(
      path.join(stage, "package.json"),
      JSON.stringify(
        {
          ...publishedManifest(manifest, dependencies),
          files: ["dist", "README.md", "api.md", "LICENSE"],
          bundleDependencies: bundled,
        },
        null,
        2,
      ),
    )
    mkdirSync(destination, { recursive: true })
    const output = execFileSync("npm", ["pack", "--json", "--pack-destination", path.resolve(destination)], {
      cwd: stage,
      encoding: "utf8",
    })
    const [packed] = JSON.parse(output) as ReadonlyArray<{ readonly filename: string }>
    if (packed === undefined) throw new Error(`npm pack printed no tarball: ${output}`)
    return path.join(path.resolve(destination), packed.filename)
  } finally {
    rmSync(stage, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const [packageDir = path.resolve(import.meta.dirname, ".."), destination = process.cwd()] =
    process.argv.slice(2)
  console.log(packWithBundledWorkspaceDeps(path.resolve(packageDir), destination))
}
