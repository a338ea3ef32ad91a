#!/usr/bin/env node
/**
 * The `ecs-ami-deploy` executable: the CLI on the process's arguments, console and Node services;
 * the exit code is the command's. Every way a user can stop it ends the same way as Ctrl-C: SIGINT,
 * SIGTERM, SIGHUP (a closed terminal or SSH session) and a closed output pipe (`| head`, EPIPE)
 * interrupt the command, so an open run records its suspension — with the reason ("interrupted by
 * SIGHUP") — and releases its lock before the process exits with 128 + the signal's number (EPIPE
 * as SIGPIPE, 141).
 */
import { NodeServices } from "@effect/platform-node"
import { Effect, Runtime } from "effect"
import { constants } from "node:os"
import { StopReason } from "ecs-ami-deploy"
import { runCli } from "./cli.ts"
import { nodeConsoleIo } from "./console-io.ts"

const stopReason = { current: "interrupted" }

const runMain = Runtime.makeRunMain(({ fiber, teardown }) => {
  let stoppedWith: number | undefined
  const stop = (why: string, signal: NodeJS.Signals) => {
    if (stoppedWith !== undefined) return
    stoppedWith = 128 + constants.signals[signal]
    stopReason.current = why
    fiber.interruptUnsafe(fiber.id)
  }
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const
  const onSignal = (signal: NodeJS.Signals) => stop(`interrupted by ${signal}`, signal)
  for (const signal of signals) process.on(signal, onSignal)
  // A reader that went away: nothing more can be shown, but the run must still be left resumable.
  const onStreamError = (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error
    stop("its output was closed (EPIPE)", "SIGPIPE")
  }
  for (const stream of [process.stdout, process.stderr]) stream.on("error", onStreamError)
  fiber.addObserver((exit) => {
    for (const signal of signals) process.removeListener(signal, onSignal)
    // As NodeRuntime.runMain: a normal end leaves the exit code set by the command and lets output drain.
    teardown(exit, (code) => {
      if (stoppedWith !== undefined || code !== 0) process.exit(stoppedWith ?? code)
    })
  })
})

runCli(process.argv.slice(2)).pipe(
  Effect.tap((code) => Effect.sync(() => void (process.exitCode = code))),
  Effect.provideService(StopReason, stopReason),
  Effect.provide([NodeServices.layer, nodeConsoleIo]),
  runMain,
)
