/** A stack as the tests synthesise it: the function's code is a placeholder directory, no bundle needed. */
import { App, aws_lambda as lambda } from "aws-cdk-lib"
import { Template } from "aws-cdk-lib/assertions"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { EcsAmiDeployStack, type EcsAmiDeployStackProps } from "../src/stack.ts"

export const placeholderCode = (): lambda.Code => {
  const directory = mkdtempSync(path.join(tmpdir(), "ecs-ami-deploy-code-"))
  writeFileSync(path.join(directory, "handler.mjs"), "export const handler = async () => ({})\n")
  return lambda.Code.fromAsset(directory)
}

export const synth = (props: Partial<EcsAmiDeployStackProps> = {}) => {
  const app = new App()
  const stack = new EcsAmiDeployStack(app, "EcsAmiDeploy", {
    env: { account: "123456789012", region: "eu-west-1" },
    clusters: ["prod", "staging"],
    code: placeholderCode(),
    ...props,
  })
  return { stack, template: Template.fromStack(stack) }
}
