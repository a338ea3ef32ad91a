/**
 * How the CLI talks about its own command line: one error style for every failure (a command line
 * that does not parse included, in JSON with `-o json`), conflicting flags refused with exit code 2,
 * fixes that name flags rather than library fields, and each command's help — its own flags only,
 * required ones marked, an example, every built-in scenario and the report's default path.
 */
import { describe, expect, it } from "vitest"
import { scenarioNames } from "ecs-ami-deploy/simulator"
import { requestedOutput } from "../src/cli.ts"
import { ExitCode } from "../src/failure.ts"
import { jsonLines, runInProcess, tempDir } from "./support.ts"

const world = ["--simulator", "small"]
const cluster = ["--cluster", "small-cluster"]
const help = async (command: string) =>
  (await runInProcess([command, "--help"], { cwd: tempDir("help") })).stdout

/** The flag names listed in one section of a help text. */
const flagsIn = (text: string, section: "FLAGS" | "INHERITED FLAGS") => {
  const start = text.indexOf(`\n${section}\n`)
  if (start < 0) return []
  const body = text.slice(start + section.length + 2).split("\n\n")[0] ?? ""
  return [...body.matchAll(/^\s+(--[a-z-]+)/gm)].map((match) => match[1])
}

describe("a command line that does not parse", () => {
  it("is reported in the error style of every failure, with exit code 2", async () => {
    const run = await runInProcess(["plan", ...cluster, ...world, "--bogus"], { cwd: tempDir("parse-text") })
    expect(run.code).toBe(ExitCode.usage)
    expect(run.stderr).toMatch(/^error: Unrecognized flag: --bogus/)
    expect(run.stderr).toContain("what to do: see the flags it takes: ecs-ami-deploy plan --help")
  })

  it("with -o json, is one JSON error object on standard error and nothing on standard output", async () => {
    for (const output of [["-o", "json"], ["--output=json"]]) {
      const run = await runInProcess(["plan", ...output, "--bogus"], { cwd: tempDir("parse-json") })
      expect(run.code).toBe(ExitCode.usage)
      expect(run.stdout).toBe("")
      expect(jsonLines(run.stderr)).toEqual([
        {
          type: "error",
          exitCode: ExitCode.usage,
          problem: expect.stringMatching(/--bogus/),
          fix: "see the flags it takes: ecs-ami-deploy plan --help",
        },
      ])
    }
  })

  it("reads the output format the last -o/--output asks for, before the first --", () => {
    expect(requestedOutput(["plan", "-o", "json"])).toBe("json")
    expect(requestedOutput(["-o=json", "plan", "--output", "text"])).toBe("text")
    expect(requestedOutput(["plan", "--", "-o", "json"])).toBe("text")
    expect(requestedOutput(["plan"])).toBe("text")
  })
})

describe("flags that conflict or cannot work", () => {
  it("--polling-timeout-minutes with --drain-timeout or --new-capacity-timeout exits 2 naming both", async () => {
    for (const other of [
      ["--drain-timeout", "40m"],
      ["--new-capacity-timeout", "10m"],
    ]) {
      const run = await runInProcess(
        ["plan", ...cluster, ...world, "--polling-timeout-minutes", "20", ...other],
        {
          cwd: tempDir("conflict"),
        },
      )
      expect(run.code).toBe(ExitCode.usage)
      expect(run.stderr).toContain(`--polling-timeout-minutes and ${other[0]} both set a timeout`)
    }
  })

  it("a policy the library refuses is explained with flags, never library fields", async () => {
    for (const bad of [
      ["--run-timeout", "1m"],
      ["--max-surge", "0"],
      ["--max-draining", "150%"],
    ]) {
      const run = await runInProcess(["plan", ...cluster, ...world, ...bad], { cwd: tempDir("policy") })
      expect(run.code).toBe(ExitCode.usage)
      expect(run.stderr).toContain(`error: ${bad[0]}: `)
      expect(run.stderr).toMatch(new RegExp(`what to do: give ${bad[0]}`))
      expect(run.stderr).not.toMatch(/maxSurge|maxDraining|timeouts\.|runMs|capacity mode '/)
    }
  })
})

describe("each command's help", () => {
  const commands = [
    "list-clusters",
    "latest-ami",
    "iam-policy",
    "plan",
    "upgrade-cluster",
    "resume",
    "rollback",
    "status",
    "history",
    "simulate",
    "snapshot",
  ]

  it("shows at least one example, and marks --cluster required where it is", async () => {
    for (const command of commands) {
      const text = await help(command)
      expect(text, command).toMatch(/\nEXAMPLES\n\s+# .+\n\s+ecs-ami-deploy /)
      const clusterLine = text.split("\n").find((row) => row.trimStart().startsWith("--cluster"))
      if (
        ["plan", "upgrade-cluster", "resume", "rollback", "status", "history", "snapshot"].includes(command)
      )
        expect(clusterLine, command).toContain("(required)")
      else expect(clusterLine ?? "", command).not.toContain("(required)")
    }
  })

  it("lists only the flags the command takes", async () => {
    expect(flagsIn(await help("simulate"), "INHERITED FLAGS")).toEqual(["--event-log", "--output"])
    expect(flagsIn(await help("iam-policy"), "INHERITED FLAGS")).toEqual(["--region", "--output"])
    expect(flagsIn(await help("list-clusters"), "INHERITED FLAGS")).not.toContain("--event-log")
    expect(flagsIn(await help("status"), "INHERITED FLAGS")).toContain("--event-log")
    expect(flagsIn(await help("plan"), "FLAGS")).not.toContain("--launch-template-name-prefix")
    expect(flagsIn(await help("upgrade-cluster"), "FLAGS")).toContain("--launch-template-name-prefix")
  })

  it("names every built-in scenario and the report's default path", async () => {
    const simulate = await help("simulate")
    const plan = await help("plan")
    for (const name of scenarioNames) {
      expect(simulate).toContain(name)
      expect(plan).toContain(name)
    }
    expect(simulate).toContain("default simulation-report.html")
  })
})

describe("the Go tool's help, about and --config", () => {
  it("help [command] shows that command's help, about the version; --config is refused naming the flags instead", async () => {
    const cwd = tempDir("go-words")
    const helpPlan = await runInProcess(["help", "plan"], { cwd })
    expect(helpPlan.code).toBe(ExitCode.success)
    expect(helpPlan.stdout).toBe(await help("plan"))
    const helpRoot = await runInProcess(["help"], { cwd })
    expect(helpRoot.stdout).toBe((await runInProcess(["--help"], { cwd })).stdout)
    const about = await runInProcess(["about"], { cwd })
    expect(about.code).toBe(ExitCode.success)
    expect(about.stdout).toBe((await runInProcess(["--version"], { cwd })).stdout)
    const config = await runInProcess(
      ["upgrade-cluster", "--config", "ecs-ami-deploy.yaml", ...cluster, ...world],
      {
        cwd,
      },
    )
    expect(config.code).toBe(ExitCode.usage)
    expect(config.stderr).toMatch(
      /^error: --config FILE \(the Go tool's configuration file\) is not supported/,
    )
    expect(config.stderr).toContain("what to do: give the settings as flags")
  })
})
