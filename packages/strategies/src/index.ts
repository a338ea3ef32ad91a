/**
 * Plugin contracts and the built-in launch-spec strategies (launch template, mixed instances policy,
 * launch configuration) and AMI sources (image filter, SSM parameter, pinned image id).
 */
export * from "./ami-source-spec.ts"
export * from "./ami-sources.ts"
export * from "./contracts.ts"
export {
  type LaunchConfigurationOptions,
  launchConfigurationStrategy,
} from "./launch-configuration-strategy.ts"
export { launchTemplateStrategy } from "./launch-template-strategy.ts"
export { mixedInstancesStrategy } from "./mixed-instances-strategy.ts"
export * from "./registry.ts"
