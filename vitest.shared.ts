/**
 * The one vitest configuration every project uses: sources of workspace packages are resolved
 * through the `@ecs-ami-deploy/source` export condition (no build step before tests), and each
 * project writes a JSON report under `reports/vitest/` that `.ci/run` sums into its closing line.
 */
import path from "node:path"
import { defineConfig } from "vitest/config"

const workspaceRoot = import.meta.dirname
// Resolve dependencies as Node does, plus our source condition. Vite's default server conditions add
// `module`, which sends the AWS SDK to its bundler-only `dist-es` build that Node cannot load.
const sourceConditions = ["@ecs-ami-deploy/source", "node", "development|production"]

export const projectTestConfig = (projectRoot: string) => {
  const name = path.relative(workspaceRoot, projectRoot).replaceAll(path.sep, "-")
  return defineConfig({
    root: projectRoot,
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions, externalConditions: sourceConditions } },
    test: {
      name,
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      reporters: [
        "default",
        ["json", { outputFile: path.join(workspaceRoot, "reports", "vitest", `${name}.json`) }],
      ],
    },
  })
}
