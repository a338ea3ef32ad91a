/**
 * The bad-input matrix: each wrong command line or wrong world is refused with what was wrong and
 * what to do, ends with its documented exit code, and changes nothing in the simulated world (its
 * journal records every call that changed it). Runs the CLI in-process for speed; the console is
 * captured and not a terminal.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { makeFileEventLog } from "@ecs-ami-deploy/event-log"
import { scenarios } from "ecs-ami-deploy/simulator"
import { ExitCode } from "../src/failure.ts"
import { journaledCalls, runInProcess, tempDir } from "./support.ts"

const world = ["--simulator", "small", "--simulator-state", "world.jsonl"]
const cluster = ["--cluster", "small-cluster"]

interface BadInput {
  readonly name: string
  readonly argv: ReadonlyArray<string>
  readonly code: number
  /** A fragment of what the CLI must say was wrong. */
  readonly says: RegExp
  readonly given?: (cwd: string) => void | Promise<void>
}

const matrix: ReadonlyArray<BadInput> = [
  {
    name: "11 alarms",
    argv: [
      "upgrade-cluster",
      ...cluster,
      ...world,
      ...Array.from({ length: 11 }, (_, i) => ["--alarm", `alarm-${i}`]).flat(),
      "--yes",
    ],
    code: ExitCode.usage,
    says: /--alarm: 11 alarms given, at most 10/,
  },
  {
    name: "an alarm ARN of another service",
    argv: [
      "upgrade-cluster",
      ...cluster,
      ...world,
      "--alarm",
      "arn:aws:sns:us-east-1:123456789012:t",
      "--yes",
    ],
    code: ExitCode.usage,
    says: /is not a CloudWatch alarm ARN/,
  },
  {
    name: "checkpoints out of order",
    argv: ["upgrade-cluster", ...cluster, ...world, "--checkpoint", "50%,25%", "--yes"],
    code: ExitCode.usage,
    says: /--checkpoint: 50, 25 is not a list of ascending percentages/,
  },
  {
    name: "a checkpoint that is not a percentage",
    argv: ["upgrade-cluster", ...cluster, ...world, "--checkpoint", "half", "--yes"],
    code: ExitCode.usage,
    says: /--checkpoint half is not a list of percentages/,
  },
  {
    name: "a checkpoint delay without checkpoints",
    argv: ["upgrade-cluster", ...cluster, ...world, "--checkpoint-delay", "10m", "--yes"],
    code: ExitCode.usage,
    says: /--checkpoint-delay: a checkpoint delay without checkpoints/,
  },
  {
    name: "continue without a run at a checkpoint",
    argv: ["continue", ...cluster, ...world],
    code: ExitCode.failed,
    says: /no run waiting at a checkpoint/,
  },
  {
    name: "unknown cluster",
    argv: ["plan", "--cluster", "nope", ...world],
    code: ExitCode.failed,
    says: /Cluster not found: nope/,
  },
  {
    name: "cluster without an Auto Scaling group",
    argv: [
      "upgrade-cluster",
      ...cluster,
      "--simulator",
      "no-groups.json",
      "--simulator-state",
      "world.jsonl",
      "--yes",
    ],
    code: ExitCode.failed,
    says: /no Auto Scaling group/,
    given: (cwd) =>
      writeFileSync(
        join(cwd, "no-groups.json"),
        JSON.stringify({ ...scenarios.small, name: "no-groups", groups: [], services: [] }),
      ),
  },
  {
    name: "image filter matching nothing",
    argv: ["upgrade-cluster", ...cluster, ...world, "--ami-filter", "nothing-*", "--yes"],
    code: ExitCode.failed,
    says: /no available image .* named nothing-\*/,
  },
  {
    name: "unknown image id",
    argv: ["upgrade-cluster", ...cluster, ...world, "--ami-id", "ami-0000000000000dead", "--yes"],
    code: ExitCode.failed,
    says: /ami-0000000000000dead/,
  },
  {
    name: "malformed image id",
    argv: ["upgrade-cluster", ...cluster, ...world, "--ami-id", "ubuntu", "--yes"],
    code: ExitCode.usage,
    says: /--ami-id ubuntu is not an image id/,
  },
  {
    name: "--ami-id with --ami-filter",
    argv: ["plan", ...cluster, ...world, "--ami-id", "ami-0a1b2c3d4e5f60002", "--ami-filter", "al2023-*"],
    code: ExitCode.usage,
    says: /--ami-filter and --ami-id/,
  },
  {
    name: "SSM parameter that is not a path",
    argv: ["plan", ...cluster, ...world, "--ami-ssm-parameter", "recommended"],
    code: ExitCode.usage,
    says: /not a parameter path/,
  },
  {
    name: "bad region",
    argv: ["list-clusters", "--region", "mars-north"],
    code: ExitCode.usage,
    says: /"mars-north" is not an AWS Region/,
  },
  {
    name: "--region with --simulator",
    argv: ["plan", ...cluster, ...world, "--region", "eu-west-1"],
    code: ExitCode.usage,
    says: /--simulator runs against a simulated one/,
  },
  {
    name: "max surge that is not an amount",
    argv: ["plan", ...cluster, ...world, "--max-surge", "lots"],
    code: ExitCode.usage,
    says: /--max-surge lots is not an amount/,
  },
  {
    name: "max surge 0 in surge mode",
    argv: ["upgrade-cluster", ...cluster, ...world, "--max-surge", "0", "--yes"],
    code: ExitCode.usage,
    says: /max surge of 0/,
  },
  {
    name: "max draining 0",
    argv: ["upgrade-cluster", ...cluster, ...world, "--max-draining", "0", "--yes"],
    code: ExitCode.usage,
    says: /max draining of 0/,
  },
  {
    name: "percentage over 100",
    argv: ["plan", ...cluster, ...world, "--max-draining", "150%"],
    code: ExitCode.usage,
    says: /150% is more than the whole group/,
  },
  {
    name: "negative timeout",
    argv: ["upgrade-cluster", ...cluster, ...world, "--drain-timeout=-5m", "--yes"],
    code: ExitCode.usage,
    says: /--drain-timeout -5m is negative/,
  },
  {
    name: "duration without a unit",
    argv: ["plan", ...cluster, ...world, "--bake-time", "10"],
    code: ExitCode.usage,
    says: /--bake-time 10 is not a duration/,
  },
  {
    name: "negative Go polling timeout",
    argv: ["plan", ...cluster, ...world, "--polling-timeout-minutes=-1"],
    code: ExitCode.usage,
    says: /must be positive/,
  },
  {
    name: "Go polling timeout with --drain-timeout",
    argv: [
      "upgrade-cluster",
      ...cluster,
      ...world,
      "--polling-timeout-minutes",
      "20",
      "--drain-timeout",
      "40m",
      "--yes",
    ],
    code: ExitCode.usage,
    says: /--polling-timeout-minutes and --drain-timeout both set a timeout/,
  },
  {
    name: "run timeout shorter than a phase",
    argv: ["plan", ...cluster, ...world, "--run-timeout", "1m"],
    code: ExitCode.usage,
    says: /whole-run timeout is shorter/,
  },
  {
    name: "--max-run-time 0",
    argv: ["upgrade-cluster", ...cluster, ...world, "--max-run-time", "0s", "--yes"],
    code: ExitCode.usage,
    says: /leaves no time/,
  },
  {
    name: "unknown capacity mode",
    argv: ["plan", ...cluster, ...world, "--capacity-mode", "yolo"],
    code: ExitCode.usage,
    says: /capacity-mode/,
  },
  {
    name: "unknown flag",
    argv: ["plan", ...cluster, ...world, "--bogus"],
    code: ExitCode.usage,
    says: /--bogus/,
  },
  { name: "unknown command", argv: ["upgrade"], code: ExitCode.usage, says: /Unknown subcommand "upgrade"/ },
  { name: "missing --cluster", argv: ["plan", ...world], code: ExitCode.usage, says: /--cluster/ },
  {
    name: "unknown output format",
    argv: ["status", ...cluster, ...world, "--output", "xml"],
    code: ExitCode.usage,
    says: /--output/,
  },
  {
    name: "unknown scenario",
    argv: ["simulate", "--scenario", "huge-9000"],
    code: ExitCode.usage,
    says: /unknown scenario "huge-9000"/,
  },
  {
    name: "scenario file that is not a scenario",
    argv: ["simulate", "--scenario", "broken.json"],
    code: ExitCode.usage,
    says: /broken\.json is not a valid scenario/,
    given: (cwd) =>
      writeFileSync(join(cwd, "broken.json"), JSON.stringify({ name: "broken", groups: "none" })),
  },
  {
    name: "scenario that is a device, not a file",
    argv: ["simulate", "--scenario", "/dev/zero"],
    code: ExitCode.usage,
    says: /\/dev\/zero is not a regular file/,
  },
  {
    name: "scenario with a 5 MB field",
    argv: ["simulate", "--scenario", "huge-field.json"],
    code: ExitCode.usage,
    says: /name holds a string of more than 65536 characters/,
    given: (cwd) =>
      writeFileSync(
        join(cwd, "huge-field.json"),
        JSON.stringify({ ...scenarios.small, name: "x".repeat(5 * 1024 * 1024) }),
      ),
  },
  {
    name: "simulator state that is a device, not a file",
    argv: ["plan", ...cluster, "--simulator-state", "/dev/zero"],
    code: ExitCode.usage,
    says: /\/dev\/zero is not a regular file/,
  },
  {
    name: "--simulator-wait without a simulator",
    argv: ["list-clusters", "--simulator-wait", "5m"],
    code: ExitCode.usage,
    says: /no --simulator target was given/,
  },
  {
    name: "--simulator-wait without a unit",
    argv: ["status", ...cluster, ...world, "--simulator-wait", "5"],
    code: ExitCode.usage,
    says: /--simulator-wait 5 is not a duration/,
  },
  {
    name: "bad event log location",
    argv: ["plan", ...cluster, ...world, "--event-log", "dynamodb://x"],
    code: ExitCode.usage,
    says: /a table name is 3 to 255/,
  },
  {
    name: "event log scheme in capitals",
    argv: ["upgrade-cluster", ...cluster, ...world, "--event-log", "DYNAMODB://runs", "--yes"],
    code: ExitCode.usage,
    says: /expected dynamodb:\/\/TABLE, file:\/\/DIRECTORY, a directory or memory/,
  },
  {
    name: "event log with an unknown scheme",
    argv: ["upgrade-cluster", ...cluster, ...world, "--event-log", "s3://bucket", "--yes"],
    code: ExitCode.usage,
    says: /"s3:\/\/bucket"/,
  },
  {
    name: "event log in a directory that cannot hold files",
    argv: ["upgrade-cluster", ...cluster, ...world, "--event-log", "/proc/self", "--yes"],
    code: ExitCode.failed,
    says: /cannot create files in \/proc\/self/,
  },
  {
    name: "apply without a terminal and without --yes",
    argv: ["upgrade-cluster", ...cluster, ...world],
    code: ExitCode.usage,
    says: /not on a terminal/,
  },
  {
    name: "rollback without a terminal and without --yes",
    argv: ["rollback", ...cluster, ...world],
    code: ExitCode.usage,
    says: /not on a terminal/,
  },
  {
    name: "resume without an open run",
    argv: ["resume", ...cluster, ...world],
    code: ExitCode.failed,
    says: /no open run to continue/,
  },
  {
    name: "history of an unknown run",
    argv: ["history", ...cluster, ...world, "--run", "run-42"],
    code: ExitCode.usage,
    says: /no run run-42/,
  },
  {
    name: "cluster locked by another run",
    argv: ["upgrade-cluster", ...cluster, ...world, "--yes"],
    code: ExitCode.locked,
    says: /locked by someone-else/,
    given: (cwd) =>
      Effect.runPromise(
        makeFileEventLog({ directory: join(cwd, "world.jsonl.events") }).acquire({
          // The simulated world's account and Region (the scenario names none).
          accountId: "123456789012",
          region: "us-east-1",
          clusterName: "small-cluster",
          holder: "someone-else",
          leaseMs: 3_600_000,
          now: Date.parse(scenarios.small.startTime),
        }),
      ).then(() => undefined),
  },
  {
    name: "corrupt event log",
    argv: ["upgrade-cluster", ...cluster, ...world, "--yes"],
    code: ExitCode.failed,
    says: /cannot be read/,
    given: (cwd) => {
      mkdirSync(join(cwd, "world.jsonl.events", "runs"), { recursive: true })
      writeFileSync(
        join(cwd, "world.jsonl.events", "runs", "small-cluster-20261126T000000Z-0badf0.jsonl"),
        "{ this is not a run event\n",
      )
    },
  },
]

describe("given a bad command line or world, the CLI refuses it", () => {
  it.each(matrix)(
    "$name: says what was wrong and what to do, exits with its code, changes nothing",
    async ({ argv, code, says, given }) => {
      const cwd = tempDir("bad-input")
      await given?.(cwd)
      const run = await runInProcess(argv, { cwd })
      expect(run.stderr).toMatch(says)
      expect(run.stderr).toMatch(/what to do:|--help/)
      expect(run.code).toBe(code)
      expect(journaledCalls(join(cwd, "world.jsonl"))).toEqual([])
    },
  )

  it("has at least twenty cases", () => {
    expect(matrix.length).toBeGreaterThanOrEqual(20)
  })
})
