#!/usr/bin/env node
/**
 * The `ecs-ami-deploy` executable: the CLI on the process's arguments, console and Node services;
 * the exit code is the command's.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { runCli } from "./cli.ts"
import { nodeConsoleIo } from "./console-io.ts"

runCli(process.argv.slice(2)).pipe(
  Effect.tap((code) => Effect.sync(() => void (process.exitCode = code))),
  Effect.provide([NodeServices.layer, nodeConsoleIo]),
  NodeRuntime.runMain,
)
