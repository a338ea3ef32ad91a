/**
 * The Lambda entry point (`handler.handler` in the bundle): configuration is read and checked once,
 * when the runtime loads the module.
 */
import { handlerFromEnvironment } from "./live.ts"

export const handler = handlerFromEnvironment(process.env)
