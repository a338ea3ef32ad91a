/**
 * Files a user points the CLI at (a scenario, a simulator state journal) are read within limits: a
 * regular file (not a device such as /dev/zero, nor a pipe that never ends), of bounded size, whose
 * strings are of bounded length. Past a limit the CLI refuses at once, naming it, instead of reading
 * or simulating until it is killed.
 */
import { statSync, readFileSync } from "node:fs"

/** Far above a 1,000-instance scenario (about 1 MB). */
export const MAX_SCENARIO_BYTES = 16 * 1024 * 1024
/** A simulator state journal of a 500-instance rollout stays well under this. */
export const MAX_STATE_BYTES = 256 * 1024 * 1024
/** No name, tag, ARN or reason AWS allows comes near this. */
export const MAX_STRING_LENGTH = 64 * 1024

/** The file's text, or an Error saying which limit it breaks. */
export const readBoundedFile = (path: string, maxBytes: number): string => {
  const stats = statSync(path)
  if (!stats.isFile()) throw new Error(`${path} is not a regular file`)
  if (stats.size > maxBytes)
    throw new Error(`${path} has ${stats.size} bytes, more than the ${maxBytes} this file may have`)
  return readFileSync(path, "utf8")
}

/** Where a JSON value holds a string longer than {@link MAX_STRING_LENGTH} (e.g. `groups[0].name`), if anywhere. */
export const overlongStringIn = (value: unknown, at = "the file"): string | undefined => {
  if (typeof value === "string") return value.length > MAX_STRING_LENGTH ? at : undefined
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = overlongStringIn(item, `${at}[${index}]`)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (typeof value === "object" && value !== null)
    for (const [key, item] of Object.entries(value)) {
      const found =
        key.length > MAX_STRING_LENGTH
          ? `${at} (a key)`
          : overlongStringIn(item, at === "the file" ? key : `${at}.${key}`)
      if (found !== undefined) return found
    }
  return undefined
}

/** Parses JSON text, refusing a string over {@link MAX_STRING_LENGTH} characters with where it is. */
export const parseBoundedJson = (text: string): unknown => {
  const parsed: unknown = JSON.parse(text)
  const overlong = overlongStringIn(parsed)
  if (overlong !== undefined)
    throw new Error(`${overlong} holds a string of more than ${MAX_STRING_LENGTH} characters`)
  return parsed
}
