import { projectTestConfig } from "../../vitest.shared.ts"

const config = projectTestConfig(import.meta.dirname)
const conditions = ["@ecs-ami-deploy/source", "node", "development|production"]

// Dependencies must resolve as Node resolves them: with the `module` condition the AWS SDK resolves
// to its bundler-only `dist-es` build, whose extensionless imports Node cannot load.
export default {
  ...config,
  resolve: { ...config.resolve, conditions },
  ssr: { ...config.ssr, resolve: { conditions, externalConditions: conditions } },
}
