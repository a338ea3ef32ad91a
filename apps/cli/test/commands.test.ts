/**
 * The commands in-process against the simulator: the confirmation on a terminal, the live progress
 * view, the Go tool's read-only commands, and `iam-policy`.
 */
import { describe, expect, it } from "vitest"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { rolloutPolicyDocument, type PolicyDocument } from "@ecs-ami-deploy/aws"
import { newImageId, oldImageId, scenarios } from "ecs-ami-deploy/simulator"
import { terminalCapabilities } from "../src/console-io.ts"
import { ExitCode } from "../src/failure.ts"
import { journaledCalls, runInProcess, tempDir, terminatedInstances } from "./support.ts"

const world = ["--simulator", "small", "--simulator-state", "world.jsonl"]
const cluster = ["--cluster", "small-cluster"]

describe("upgrade-cluster on a terminal", () => {
  it("given the answer no, shows the plan, asks once, and changes nothing", async () => {
    const cwd = tempDir("confirm-no")
    const run = await runInProcess(["upgrade-cluster", ...cluster, ...world], {
      cwd,
      interactive: true,
      answer: false,
    })
    expect(run.stdout).toContain("Cluster small-cluster: ready")
    expect(run.questions).toEqual([
      `Roll 4 instance(s) of small-cluster (account 123456789012, Region us-east-1, simulated) onto ${newImageId}?`,
    ])
    expect(run.stdout).toContain("cancelled: nothing was changed")
    expect(run.code).toBe(ExitCode.success)
    expect(journaledCalls(join(cwd, "world.jsonl"))).toEqual([])
  })

  it("given the answer yes, rolls the cluster with a progress block redrawn in place", async () => {
    const cwd = tempDir("confirm-yes")
    const run = await runInProcess(["upgrade-cluster", ...cluster, ...world], {
      cwd,
      interactive: true,
      answer: true,
    })
    expect(run.code).toBe(ExitCode.success)
    // Redrawing moves the cursor up over the previous block and clears it.
    expect(run.stdout).toContain("\u001b[4A\u001b[0J")
    expect(run.stdout).toContain("terminated 4/4")
    expect(run.stdout).toMatch(/services below desired 0/)
    expect(run.stdout).toMatch(/run small-cluster-\S+ succeeded/)
    expect(terminatedInstances(join(cwd, "world.jsonl"))).toHaveLength(4)
  })
})

describe("terminal capabilities", () => {
  it("colour needs a terminal and NO_COLOR unset or empty; questions need a terminal on both ends", () => {
    expect(terminalCapabilities(true, true, {})).toEqual({ interactive: true, color: true })
    expect(terminalCapabilities(true, true, { NO_COLOR: "1" })).toEqual({ interactive: true, color: false })
    expect(terminalCapabilities(true, true, { NO_COLOR: "" })).toEqual({ interactive: true, color: true })
    expect(terminalCapabilities(true, false, {})).toEqual({ interactive: false, color: false })
    expect(terminalCapabilities(false, true, {})).toEqual({ interactive: false, color: false })
  })
})

describe("the Go tool's read-only commands", () => {
  it("list-clusters shows each group's image, its release date and that a newer one exists", async () => {
    const cwd = tempDir("list-clusters")
    const run = await runInProcess(["list-clusters", ...world], { cwd })
    expect(run.code).toBe(ExitCode.success)
    const release = scenarios.small.images
      .find((image) => image.imageId === oldImageId)
      ?.creationDate.slice(0, 10)
    expect(run.stdout).toMatch(
      new RegExp(
        `small-cluster\\s+small-asg\\s+${oldImageId}\\s+${release}\\s+no \\(latest ${newImageId}\\)`,
      ),
    )
    expect(journaledCalls(join(cwd, "world.jsonl"))).toEqual([])
  })

  it("with --go-output, list-clusters and latest-ami print what the Go tool printed, in its shape", async () => {
    const cwd = tempDir("go-output")
    const old = scenarios.small.images.find((image) => image.imageId === oldImageId)
    const latest = scenarios.small.images.find((image) => image.imageId === newImageId)
    const clusters = await runInProcess(["list-clusters", "--go-output", ...world], { cwd })
    expect(clusters.code).toBe(ExitCode.success)
    const lines = clusters.stdout.split("\n")
    expect(lines.slice(0, 3)).toEqual([
      "",
      `Latest AMI: ${latest?.name} released ${new Date(latest?.creationDate ?? "").toISOString()}`,
      "",
    ])
    expect(lines[3]?.split("|").map((cell) => cell.trim())).toEqual([
      "Cluster",
      "Current AMI",
      "Released",
      "Is Latest AMI?",
    ])
    expect(lines[4]?.split("|").map((cell) => cell.trim())).toEqual([
      "small-cluster",
      old?.name,
      new Date(old?.creationDate ?? "").toISOString(),
      "false",
    ])
    const image = await runInProcess(["latest-ami", "--go-output", ...world], { cwd })
    const [header, blank, ...json] = image.stdout.trimEnd().split("\n")
    expect(header).toBe(`Latest AMI for filter "al2023-ami-ecs-hvm-*-x86_64" is ${newImageId}:`)
    expect(blank).toBe("")
    expect(JSON.parse(json.join("\n"))).toMatchObject({ ImageId: newImageId, Name: latest?.name })
    expect(journaledCalls(join(cwd, "world.jsonl"))).toEqual([])
  })

  it("latest-ami prints the newest image matching the default filter, or the one given with -f", async () => {
    const cwd = tempDir("latest-ami")
    const byDefault = await runInProcess(["latest-ami", ...world], { cwd })
    const al2 = await runInProcess(["latest-ami", "-f", "amzn2-ami-ecs-hvm-*-x86_64-ebs", ...world], { cwd })
    const newest = scenarios.small.images.find((image) => image.imageId === newImageId)
    expect(byDefault.stdout).toContain(`${newImageId}  ${newest?.name}`)
    const newestAl2 = scenarios.small.images
      .filter((image) => image.name.startsWith("amzn2-ami-ecs-hvm-") && image.architecture === "x86_64")
      .sort((a, b) => b.creationDate.localeCompare(a.creationDate))[0]
    expect(al2.stdout).toContain(`${newestAl2?.imageId}  ${newestAl2?.name}`)
    expect([byDefault.code, al2.code]).toEqual([ExitCode.success, ExitCode.success])
  })
})

describe("iam-policy", () => {
  it("given the groups, their instance role, launch template and SSM parameter, prints the scoped policy and no broad-policy note; without them, says the policy is the broad one", async () => {
    const scopedArgs = [
      "--auto-scaling-group",
      "prod-asg",
      "--instance-role",
      "arn:aws:iam::123456789012:role/ecs-instance",
      "--launch-template",
      "lt-0123456789abcdef0",
      "--ssm-parameter",
      "/platform/golden-ami",
    ]
    const scoped = await runInProcess(
      ["iam-policy", "--account", "123456789012", "--region", "eu-west-1", ...scopedArgs],
      { cwd: tempDir("iam-scoped") },
    )
    expect(scoped.code).toBe(ExitCode.success)
    expect(scoped.stderr).toBe("")
    expect(JSON.parse(scoped.stdout)).toEqual(
      JSON.parse(
        JSON.stringify(
          rolloutPolicyDocument({
            region: "eu-west-1",
            account: "123456789012",
            autoScalingGroupNames: ["prod-asg"],
            instanceRoleArns: ["arn:aws:iam::123456789012:role/ecs-instance"],
            launchTemplateIds: ["lt-0123456789abcdef0"],
            ssmParameterNames: ["/platform/golden-ami"],
          }),
        ),
      ),
    )
    const broad = await runInProcess(["iam-policy"], { cwd: tempDir("iam-broad") })
    expect(broad.code).toBe(ExitCode.success)
    expect(broad.stderr).toContain("this is the broad policy")
    expect(broad.stderr).toContain("--auto-scaling-group, --instance-role, --launch-template")
  })

  it.each([
    ["--event-log-table-arn", "arn:aws:s3:::bucket", /is not a DynamoDB table ARN/],
    ["--instance-role", "Admin", /is not an IAM role ARN/],
    ["--launch-template", "my-template", /is not a launch template id/],
  ])("given %s %s, refuses it with what to give instead (exit 2)", async (flag, value, says) => {
    const run = await runInProcess(["iam-policy", flag, value], { cwd: tempDir("iam-bad") })
    expect(run.code).toBe(ExitCode.usage)
    expect(run.stderr).toMatch(says)
    expect(run.stdout).toBe("")
  })

  it("given --cluster, discovers on the target (read-only) the groups, launch templates, resolve:ssm parameters and instance roles the cluster uses and scopes the policy to them: no mutating action reaches every role, every parameter or every resource unconditioned", async () => {
    const cwd = tempDir("iam-discover")
    // The small scenario, its launch template reading its image from a parameter of the operator's.
    const scenario = {
      ...scenarios.small,
      ssmParameters: [...scenarios.small.ssmParameters, { name: "/platform/golden-ami", value: oldImageId }],
      launchTemplates: scenarios.small.launchTemplates.map((template) => ({
        ...template,
        versions: template.versions.map((version) => ({
          ...version,
          imageId: "resolve:ssm:/platform/golden-ami",
        })),
      })),
    }
    writeFileSync(join(cwd, "scenario.json"), JSON.stringify(scenario))
    const run = await runInProcess(
      [
        "iam-policy",
        "--cluster",
        "small-cluster",
        "--simulator",
        "scenario.json",
        "--simulator-state",
        "world.jsonl",
      ],
      { cwd },
    )
    expect(run.code).toBe(ExitCode.success)
    expect(JSON.parse(run.stdout)).toEqual(
      JSON.parse(
        JSON.stringify(
          rolloutPolicyDocument({
            // The simulated world's account and Region, from its STS.
            region: "us-east-1",
            account: "123456789012",
            clusterNames: ["small-cluster"],
            autoScalingGroupNames: ["small-asg"],
            launchTemplateIds: scenarios.small.launchTemplates.map((template) => template.launchTemplateId),
            ssmParameterNames: ["/platform/golden-ami"],
            // The role of the instance profile the template names (simulated IAM: a role of its name).
            instanceRoleArns: ["arn:aws:iam::123456789012:role/ecsInstanceRole"],
          }),
        ),
      ),
    )
    // Nothing is left broad: no note.
    expect(run.stderr).toBe("")
    const mutating = (JSON.parse(run.stdout) as PolicyDocument).Statement.filter(
      (statement) => !statement.Sid.startsWith("Read"),
    )
    for (const statement of mutating) {
      expect(
        statement.Resource.filter((resource) => /:role\/\*$|:parameter\/\*$/.test(resource)),
        statement.Sid,
      ).toEqual([])
      // `*` only where AWS offers no narrower resource, and then under a condition naming the targets.
      if (statement.Resource.includes("*")) expect(statement.Condition, statement.Sid).toBeDefined()
    }
    expect(journaledCalls(join(cwd, "world.jsonl"))).toEqual([])
  })

  it.each(["launch-configuration", "mixed-instances"])(
    "given --cluster of the %s scenario, PassRole reaches only the role of the instance profile its launch spec names",
    async (scenario) => {
      const cwd = tempDir(`iam-roles-${scenario}`)
      const run = await runInProcess(
        [
          "iam-policy",
          "--cluster",
          `${scenario}-cluster`,
          "--simulator",
          scenario,
          "--simulator-state",
          "w.jsonl",
        ],
        { cwd },
      )
      expect(run.code).toBe(ExitCode.success)
      const passRole = (JSON.parse(run.stdout) as PolicyDocument).Statement.filter((statement) =>
        statement.Action.includes("iam:PassRole"),
      )
      expect(passRole.map((statement) => statement.Resource)).toEqual([
        ["arn:aws:iam::123456789012:role/ecsInstanceRole"],
      ])
    },
  )
})
