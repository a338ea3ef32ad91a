/**
 * Plugin contracts and the built-in launch-spec strategies and AMI sources.
 */
export * from "./contracts.ts"
