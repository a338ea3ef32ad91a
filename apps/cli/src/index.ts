export { runCli, version } from "./cli.ts"
