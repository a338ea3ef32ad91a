/**
 * Which profile and Region a command acts in (flag → AWS_REGION → AWS_DEFAULT_REGION → the profile's
 * `region` in the shared config file → us-east-1), from temporary config files, no network; and the
 * account, Region and profile shown by `plan`, the confirmation prompt and `status`.
 */
import { describe, expect, it } from "vitest"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { scenarios } from "ecs-ami-deploy/simulator"
import { configFilePath, profileRegion, resolveAwsLocation } from "../src/aws-profile.ts"
import { ExitCode } from "../src/failure.ts"
import { runInProcess, tempDir } from "./support.ts"

const sharedConfig = `# a comment
[default]
region = us-west-2

[profile prod]
output = json
s3 =
  region = not-this-one
region = eu-west-1

[profile   staging]
; no region here
output = text

[sso-session corp]
region = ap-south-1
`

/** A temporary shared config file, and the environment pointing at it. */
const configured = (text = sharedConfig) => {
  const file = join(tempDir("aws-config"), "config")
  writeFileSync(file, text)
  return { AWS_CONFIG_FILE: file }
}

const none = { profile: undefined, region: undefined }

describe("the Region and profile a command acts in", () => {
  it("reads a profile's region from the shared config file: [default], [profile NAME], not sub-properties or other sections", () => {
    expect(profileRegion(sharedConfig, "default")).toBe("us-west-2")
    expect(profileRegion(sharedConfig, "prod")).toBe("eu-west-1")
    expect(profileRegion(sharedConfig, "staging")).toBeUndefined()
    expect(profileRegion(sharedConfig, "corp")).toBeUndefined()
  })

  it("takes --region, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region, else us-east-1", () => {
    const env = configured()
    const all = { ...env, AWS_REGION: "ca-central-1", AWS_DEFAULT_REGION: "sa-east-1" }
    expect(resolveAwsLocation({ profile: "prod", region: "eu-north-1" }, all)).toEqual({
      profile: "prod",
      region: "eu-north-1",
      regionSource: "--region",
    })
    expect(resolveAwsLocation({ profile: "prod", region: undefined }, all).region).toBe("ca-central-1")
    expect(
      resolveAwsLocation({ profile: "prod", region: undefined }, { ...env, AWS_DEFAULT_REGION: "sa-east-1" })
        .region,
    ).toBe("sa-east-1")
    expect(resolveAwsLocation({ profile: "prod", region: undefined }, env)).toEqual({
      profile: "prod",
      region: "eu-west-1",
      regionSource: "profile",
    })
    // AWS_PROFILE names the profile when -p does not; no profile at all means [default].
    expect(resolveAwsLocation(none, { ...env, AWS_PROFILE: "prod" })).toMatchObject({
      profile: "prod",
      region: "eu-west-1",
    })
    expect(resolveAwsLocation(none, env)).toEqual({
      profile: undefined,
      region: "us-west-2",
      regionSource: "profile",
    })
    expect(resolveAwsLocation({ profile: "staging", region: undefined }, env)).toMatchObject({
      region: "us-east-1",
      regionSource: "default",
    })
    expect(
      resolveAwsLocation(none, { AWS_CONFIG_FILE: join(tempDir("no-config"), "missing") }),
    ).toMatchObject({
      region: "us-east-1",
      regionSource: "default",
    })
  })

  it("finds the shared config file at AWS_CONFIG_FILE, else ~/.aws/config", () => {
    expect(configFilePath({ AWS_CONFIG_FILE: "/etc/aws.conf", HOME: "/home/a" })).toBe("/etc/aws.conf")
    expect(configFilePath({ HOME: "/home/a" })).toBe("/home/a/.aws/config")
  })

  it("given -p whose profile names a malformed Region, the CLI refuses before any AWS call, naming the profile", async () => {
    const cwd = tempDir("profile-region")
    const run = await runInProcess(["plan", "--cluster", "prod", "-p", "broken"], {
      cwd,
      env: configured("[profile broken]\nregion = eu-nowhere\n"),
    })
    expect(run.code).toBe(ExitCode.usage)
    expect(run.stderr).toContain(
      '"eu-nowhere" (from the region of profile broken in the shared config file) is not an AWS Region',
    )
  })
})

describe("the account, Region and profile shown", () => {
  const scenarioIn = (cwd: string) => {
    const file = join(cwd, "ireland.json")
    writeFileSync(
      file,
      JSON.stringify({ ...scenarios.small, accountId: "210987654321", region: "eu-west-1" }),
    )
    return file
  }
  const where = "in account 210987654321, Region eu-west-1, simulated"

  it("by plan, the confirmation prompt and status", async () => {
    const cwd = tempDir("where")
    const world = ["--simulator", scenarioIn(cwd), "--event-log", "runs"]
    const plan = await runInProcess(["plan", "--cluster", "small-cluster", ...world], { cwd })
    expect(plan.code).toBe(ExitCode.success)
    expect(plan.stdout.split("\n")[0]).toBe(where)

    const asked = await runInProcess(["upgrade-cluster", "--cluster", "small-cluster", ...world], {
      cwd,
      interactive: true,
      answer: false,
    })
    expect(asked.questions).toEqual([
      expect.stringContaining("(account 210987654321, Region eu-west-1, simulated)"),
    ])

    const status = await runInProcess(["status", "--cluster", "small-cluster", ...world], { cwd })
    expect(status.stdout).toContain(
      "no runs recorded for small-cluster in runs (account 210987654321, Region eu-west-1, simulated)",
    )
  })

  it("in the JSON of plan and status, whose reasons name CLI flags too", async () => {
    const cwd = tempDir("where-json")
    const world = ["--simulator", scenarioIn(cwd), "--event-log", "runs", "-o", "json"]
    const expected = { accountId: "210987654321", region: "eu-west-1", simulated: true }
    const protectedFile = join(cwd, "protected.json")
    writeFileSync(
      protectedFile,
      JSON.stringify({
        ...scenarios.small,
        accountId: "210987654321",
        region: "eu-west-1",
        groups: scenarios.small.groups.map((g) => ({ ...g, initialProtected: 1 })),
      }),
    )
    const plan = await runInProcess(
      [
        "plan",
        "--cluster",
        "small-cluster",
        "--protected-instances",
        "skip",
        "--simulator",
        protectedFile,
        "--event-log",
        "runs",
        "-o",
        "json",
      ],
      { cwd },
    )
    expect(JSON.parse(plan.stdout.split("\n")[0] ?? "")).toMatchObject({ type: "plan", where: expected })
    expect(plan.stdout).toContain("--protected-instances skip")
    expect(plan.stdout).not.toContain("protectedInstances=skip")
    const status = await runInProcess(["status", "--cluster", "small-cluster", ...world], { cwd })
    expect(JSON.parse(status.stdout.split("\n")[0] ?? "")).toMatchObject({ type: "status", where: expected })
  })
})
