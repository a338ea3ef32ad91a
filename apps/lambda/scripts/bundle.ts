/**
 * Bundles the Lambda into one ES module, `apps/lambda/dist/bundle/handler.mjs` (handler `handler.handler`),
 * with every dependency inside, including the AWS SDK: the runtime's own SDK copy is not pinned to
 * ours. Workspace packages are taken from their sources (the `@ecs-ami-deploy/source` condition).
 *
 *   node apps/lambda/scripts/bundle.ts
 */
import { build, type Metafile } from "esbuild"
import path from "node:path"
import { fileURLToPath } from "node:url"

const lambdaRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
/** Metafile paths are relative to the workspace root (`apps/lambda/src/…`, `packages/…`, `node_modules/…`). */
const workspaceRoot = path.resolve(lambdaRoot, "..", "..")

export const entryPoint = path.join(lambdaRoot, "src", "main.ts")
/** Alone in its directory: the deployment package is that directory, without the type checker's output next to it. */
export const defaultOutfile = path.join(lambdaRoot, "dist", "bundle", "handler.mjs")

/** Some CommonJS dependencies call `require` for Node built-ins; an ES module bundle has to provide it. */
const requireShim =
  'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);'

export interface BundleResult {
  readonly outfile: string
  readonly bytes: number
  readonly metafile: Metafile
}

/** Builds the bundle; with `write: false` nothing touches the disk (the metafile test). */
export const bundleLambda = async (
  options: { readonly outfile?: string; readonly write?: boolean } = {},
): Promise<BundleResult> => {
  const outfile = options.outfile ?? defaultOutfile
  const result = await build({
    absWorkingDir: workspaceRoot,
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    minify: true,
    sourcemap: false,
    legalComments: "none",
    conditions: ["@ecs-ami-deploy/source"],
    mainFields: ["module", "main"],
    banner: { js: requireShim },
    metafile: true,
    write: options.write ?? true,
    logLevel: "warning",
  })
  const bytes = Object.values(result.metafile.outputs).reduce((total, output) => total + output.bytes, 0)
  return { outfile, bytes, metafile: result.metafile }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outfile, bytes } = await bundleLambda()
  console.log(`${path.relative(process.cwd(), outfile)}: ${bytes} bytes`)
}
