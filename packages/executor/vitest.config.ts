import { projectTestConfig } from "../../vitest.shared.ts"

const shared = projectTestConfig(import.meta.dirname)
const conditions = ["@ecs-ami-deploy/source", "node", "development|production"]

// The tests use the DynamoDB event log, hence the AWS SDK, which must load by its "node" export: the
// shared "module" condition selects its dist-es build, whose extensionless imports Node cannot follow.
export default {
  ...shared,
  resolve: { ...shared.resolve, conditions },
  ssr: { ...shared.ssr, resolve: { conditions, externalConditions: conditions } },
}
