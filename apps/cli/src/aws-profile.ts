/**
 * Which AWS profile and Region a command acts in, resolved as the AWS CLI does: the Region from
 * `--region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's `region` in the shared
 * config file (`AWS_CONFIG_FILE`, default `~/.aws/config`), else us-east-1; the profile from
 * `--profile`, else `AWS_PROFILE`, else `default`.
 */
import { readFileSync } from "node:fs"
import { homedir } from "node:os"
import { join } from "node:path"

type Environment = Readonly<Record<string, string | undefined>>

/** Where the resolved Region came from, for messages. */
export type RegionSource = "--region" | "AWS_REGION" | "AWS_DEFAULT_REGION" | "profile" | "default"

export interface AwsLocation {
  /** The profile named by `--profile` or `AWS_PROFILE`; `undefined` means the SDK's default chain (`default`). */
  readonly profile: string | undefined
  readonly region: string
  readonly regionSource: RegionSource
}

/** The shared config file: `AWS_CONFIG_FILE`, else `~/.aws/config` (HOME from the environment first). */
export const configFilePath = (env: Environment): string =>
  env["AWS_CONFIG_FILE"] ?? join(env["HOME"] ?? homedir(), ".aws", "config")

/**
 * The `region` of `profile` in a shared config file's text: the section `[default]` for the profile
 * `default`, `[profile NAME]` for the others (`[profile default]` is accepted too). Comments (`#`, `;`)
 * and indented sub-properties are skipped.
 */
export const profileRegion = (configText: string, profile: string): string | undefined => {
  const wanted = new Set(profile === "default" ? ["default", "profile default"] : [`profile ${profile}`])
  let inProfile = false
  let region: string | undefined
  for (const raw of configText.split(/\r?\n/)) {
    if (/^\s/.test(raw)) continue
    const text = raw.trim()
    if (text === "" || text.startsWith("#") || text.startsWith(";")) continue
    const section = /^\[\s*(.+?)\s*\]$/.exec(text)
    if (section?.[1] !== undefined) {
      inProfile = wanted.has(section[1].replace(/\s+/g, " "))
      continue
    }
    const setting = /^([^=]+?)\s*=\s*(.*)$/.exec(text)
    if (inProfile && setting?.[1] === "region" && setting[2] !== undefined && setting[2] !== "")
      region = setting[2]
  }
  return region
}

/** Reads a file, or `undefined` when it is missing or unreadable (the SDK ignores a missing config file too). */
const readIfPresent = (file: string): string | undefined => {
  try {
    return readFileSync(file, "utf8")
  } catch {
    return undefined
  }
}

/** The profile and Region a command acts in, from its flags and the environment. */
export const resolveAwsLocation = (
  flags: { readonly profile: string | undefined; readonly region: string | undefined },
  env: Environment,
): AwsLocation => {
  const profile = flags.profile ?? env["AWS_PROFILE"]
  const fromProfile = (): string | undefined => {
    const text = readIfPresent(configFilePath(env))
    return text === undefined ? undefined : profileRegion(text, profile ?? "default")
  }
  const candidates: ReadonlyArray<readonly [RegionSource, () => string | undefined]> = [
    ["--region", () => flags.region],
    ["AWS_REGION", () => env["AWS_REGION"]],
    ["AWS_DEFAULT_REGION", () => env["AWS_DEFAULT_REGION"]],
    ["profile", fromProfile],
  ]
  for (const [regionSource, read] of candidates) {
    const region = read()
    if (region !== undefined && region !== "") return { profile, region, regionSource }
  }
  return { profile, region: "us-east-1", regionSource: "default" }
}
