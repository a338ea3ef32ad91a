/**
 * The CDK app. Context values (`-c key=value`) configure the stack:
 * `clusters` (required, comma-separated), `notificationEmails` (comma-separated), `autoScalingGroups`
 * (comma-separated: limits Auto Scaling changes to these groups), `functionName`, `stackName`,
 * `settings` (a JSON object of the function's settings, e.g. `{"MAX_SURGE":"2"}`: a string with `-c`, an
 * object in cdk.json) and
 * `bundleDirectory` (default `apps/lambda/dist/bundle`, made by `node apps/lambda/scripts/bundle.ts`).
 *
 *   npx aws-cdk@2 deploy --app "node --conditions=@ecs-ami-deploy/source apps/infra/src/app.ts" -c clusters=prod
 */
import { App, aws_lambda as lambda } from "aws-cdk-lib"
import { existsSync } from "node:fs"
import path from "node:path"
import { EcsAmiDeployStack } from "./stack.ts"

const app = new App()

const text = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key)
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined
}
const list = (key: string): ReadonlyArray<string> | undefined =>
  text(key)
    ?.split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "")

const fail = (problem: string): never => {
  throw new Error(`ecs-ami-deploy stack: ${problem}`)
}

const clusters = list("clusters") ?? fail("give the clusters to roll: -c clusters=prod,staging")
const bundleDirectory = path.resolve(
  text("bundleDirectory") ?? path.join(import.meta.dirname, "..", "..", "lambda", "dist", "bundle"),
)
if (!existsSync(path.join(bundleDirectory, "handler.mjs")))
  fail(`no handler.mjs in ${bundleDirectory}: build it first with node apps/lambda/scripts/bundle.ts`)
/** `-c settings='{…}'` arrives as a string; a `settings` object in cdk.json's context arrives as it is. */
const settingsContext: unknown = app.node.tryGetContext("settings")
const parsedSettings = (value: unknown): unknown => {
  if (typeof value !== "string") return value ?? {}
  try {
    return JSON.parse(value)
  } catch {
    return undefined
  }
}
const settings = parsedSettings(settingsContext)
if (
  typeof settings !== "object" ||
  settings === null ||
  Array.isArray(settings) ||
  Object.values(settings).some((value) => typeof value !== "string")
)
  fail(
    `settings must be a JSON object of strings, e.g. {"MAX_SURGE":"2"}; got ${typeof settingsContext === "string" ? settingsContext : JSON.stringify(settingsContext)}`,
  )
const notificationEmails = list("notificationEmails")
const autoScalingGroupNames = list("autoScalingGroups")
const functionName = text("functionName")
// The CDK CLI sets these from the profile it deploys with; without them the stack stays environment-agnostic.
const account = process.env["CDK_DEFAULT_ACCOUNT"]
const region = process.env["CDK_DEFAULT_REGION"]

new EcsAmiDeployStack(app, text("stackName") ?? "EcsAmiDeploy", {
  env: { ...(account === undefined ? {} : { account }), ...(region === undefined ? {} : { region }) },
  clusters,
  code: lambda.Code.fromAsset(bundleDirectory),
  settings: settings as Readonly<Record<string, string>>,
  ...(notificationEmails === undefined ? {} : { notificationEmails }),
  ...(autoScalingGroupNames === undefined ? {} : { autoScalingGroupNames }),
  ...(functionName === undefined ? {} : { functionName }),
})
app.synth()
