/**
 * The CLI as a process, as people and scripts run it: help and version, `simulate` in text and JSON
 * with its HTML report opened in headless Chromium, `plan` on a simulated cluster, a rollout stopped
 * by its time limit and resumed by another process, a rollback, `status` and `history` from the file
 * event log, Ctrl-C and SIGKILL mid-run, and missing AWS credentials. The steps that change the world run as processes; the
 * read-only steps between them (plan, status, history) run in-process on the same files, to keep the
 * suite fast. Independent stories run concurrently.
 */
import { describe, expect, it } from "vitest"
import { existsSync, mkdirSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { makeSimulation, scenarios } from "ecs-ami-deploy/simulator"
import { ExitCode } from "../src/failure.ts"
import { launchHeadlessChromium } from "./browser.ts"
import {
  journaledCalls,
  jsonLines,
  runInProcess,
  runProcess,
  tempDir,
  terminatedInstances,
} from "./support.ts"

// Spawned processes share two cores with the rest of the suite: give each story room.
const processTimeout = 150_000

const cluster = ["--cluster", "small-cluster"]
const smallServices = scenarios.small.services.map((service) => `${service.clusterName}/${service.name}`)
const screenshots = resolve(import.meta.dirname, "../../../reports/cli")

describe.concurrent("ecs-ami-deploy as a process", () => {
  it(
    "prints help naming every command and the exit codes, and its version",
    async () => {
      const cwd = tempDir("help")
      const [help, version] = await Promise.all([
        runProcess(["--help"], { cwd }),
        runProcess(["--version"], { cwd }),
      ])
      expect(help.code).toBe(ExitCode.success)
      for (const command of [
        "list-clusters",
        "latest-ami",
        "upgrade-cluster",
        "plan",
        "status",
        "history",
        "resume",
        "rollback",
        "simulate",
        "snapshot",
        "iam-policy",
      ])
        expect(help.stdout).toContain(command)
      expect(help.stdout).toContain("3 locked by another run")
      const packageVersion = (
        JSON.parse(readFileSync(resolve(import.meta.dirname, "../package.json"), "utf8")) as {
          version: string
        }
      ).version
      expect(version).toMatchObject({ code: ExitCode.success })
      expect(version.stdout).toContain(packageVersion)
    },
    processTimeout,
  )

  it(
    "simulate with no argument rolls the small scenario, prints a summary and writes the report",
    async () => {
      const cwd = tempDir("simulate")
      const run = await runProcess(["simulate"], { cwd })
      expect(run.stderr).toBe("")
      expect(run.code).toBe(ExitCode.success)
      expect(run.stdout).toMatch(/run small-cluster-\S+ succeeded/)
      expect(run.stdout).toContain("below floor     0 service-seconds")
      expect(run.stdout).toContain("  replaced        4 of 4 old instance(s)")
      // The plan's warnings come first, as `plan` would print them.
      expect(run.stdout).toContain("warning: service worker runs a single task")
      expect(run.stdout).toContain(`report written to ${join(cwd, "simulation-report.html")}`)
      expect(existsSync(join(cwd, "simulation-report.html"))).toBe(true)
    },
    processTimeout,
  )

  it(
    "simulate --output json prints JSON lines, and its report shows each service's floor, the phases by group and the fleet by image in a browser",
    async () => {
      const cwd = tempDir("simulate-json")
      const run = await runProcess(
        ["simulate", "--output", "json", "--max-surge", "1", "--report", "report.html"],
        { cwd },
      )
      expect(run.code).toBe(ExitCode.success)
      const lines = jsonLines(run.stdout)
      expect(lines.filter((l) => l["type"] === "event").length).toBeGreaterThan(10)
      expect(lines.find((l) => l["type"] === "result")).toMatchObject({
        result: { _tag: "Finished", outcome: "succeeded" },
      })
      const report = join(cwd, "report.html")
      expect(lines.at(-1)).toMatchObject({
        type: "summary",
        summary: { serviceSecondsBelowFloor: 0, peakExtraInstances: 1 },
        report,
      })
      // The phases the run spent simulated time in: each phase line until the next one.
      const phaseLines = lines
        .filter((l) => l["type"] === "phase")
        .map((l) => ({ phase: String(l["phase"]), at: Number(l["at"]) }))
      const lastEventAt = Math.max(
        ...lines.filter((l) => l["type"] === "event").map((l) => (l["event"] as { at: number }).at),
      )
      const lastingPhases = new Set(
        phaseLines.filter((p, i) => (phaseLines[i + 1]?.at ?? lastEventAt) > p.at).map((p) => p.phase),
      )
      expect(lastingPhases.size).toBeGreaterThan(1)

      // The fleet the report must show at start (all on the old image) and settled (the groups' capacity, all new).
      const before = makeSimulation(scenarios.small).snapshotState()
      const clusterInstances = new Set(
        before.containerInstances
          .filter((ci) => ci.clusterName === "small-cluster")
          .map((ci) => ci.ec2InstanceId),
      )
      const liveAtStart = before.instances.filter(
        (i) => clusterInstances.has(i.instanceId) && (i.state === "running" || i.state === "pending"),
      ).length
      const capacity = before.groups
        .filter((g) => g.instances.some((i) => clusterInstances.has(i.instanceId)))
        .reduce((sum, g) => sum + g.desiredCapacity, 0)

      const browser = await launchHeadlessChromium()
      try {
        const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 })
        await page.goto(`file://${report}`)
        expect(await page.locator("#outcome").textContent()).toBe("succeeded")
        // One small chart per service, none overlapping another: no series can hide another's.
        const multiples = await page.locator("#services-chart .multiple").evaluateAll((nodes) =>
          nodes.map((node) => {
            const box = node.getBoundingClientRect()
            const healthy = node.querySelector("path.healthy")
            const floorPath = node.querySelector("path.floor")
            // The SVG geometry calls this test needs (the test project does not load the DOM types).
            const floor = floorPath as unknown as {
              getTotalLength(): number
              getPointAtLength(length: number): { matrixTransform(matrix: unknown): { x: number; y: number } }
              getScreenCTM(): unknown
            } | null
            // The element a reader sees halfway along the floor line: the floor itself when it is drawn on top.
            const middle = floor?.getPointAtLength(floor.getTotalLength() / 2)
            const onScreen =
              middle === undefined ? undefined : middle.matrixTransform(floor?.getScreenCTM() ?? undefined)
            const seen =
              onScreen === undefined ? null : node.ownerDocument.elementFromPoint(onScreen.x, onScreen.y)
            return {
              service: node.getAttribute("data-service"),
              box: { left: box.left, top: box.top, right: box.right, bottom: box.bottom },
              healthyWidth: healthy?.getBoundingClientRect().width ?? 0,
              floorWidth: floorPath?.getBoundingClientRect().width ?? 0,
              floorSeen: seen !== null && seen === floorPath,
            }
          }),
        )
        expect(multiples.map((m) => m.service).sort()).toEqual([...smallServices].sort())
        for (const m of multiples) {
          expect(m.healthyWidth, m.service ?? "").toBeGreaterThan(200)
          expect(m.floorWidth, m.service ?? "").toBeGreaterThan(200)
          expect(m.floorSeen, `the floor of ${m.service} is visible`).toBe(true)
        }
        for (const [i, a] of multiples.entries())
          for (const b of multiples.slice(i + 1))
            expect(
              a.box.right <= b.box.left ||
                b.box.right <= a.box.left ||
                a.box.bottom <= b.box.top ||
                b.box.bottom <= a.box.top,
              `${a.service} and ${b.service} do not overlap`,
            ).toBe(true)
        // Floor and desired per service in the table.
        expect(await page.locator("#services thead th").allTextContents()).toEqual(
          expect.arrayContaining(["floor", "desired"]),
        )
        // Phases as bands on every chart and labelled by group in the strip.
        const bands = await page
          .locator("#phases-chart .phase-band")
          .evaluateAll((nodes) => nodes.map((node) => node.getAttribute("data-phase")))
        expect(new Set(bands)).toEqual(lastingPhases)
        expect(await page.locator("#phases-chart .phase-band span").allTextContents()).toContain("small-asg")
        // Instances by image: all old at start, the groups' capacity on the new image once the world settled.
        const counts = async (id: string) => ({
          old: Number(await page.locator(id).getAttribute("data-old")),
          new: Number(await page.locator(id).getAttribute("data-new")),
        })
        expect(liveAtStart).toBeGreaterThan(0)
        expect(await counts("#fleet-start")).toEqual({ old: liveAtStart, new: 0 })
        expect(await counts("#fleet-end")).toEqual({ old: 0, new: capacity })
        const instanceKinds = await page
          .locator("#instances-chart polygon.instances")
          .evaluateAll((nodes) =>
            nodes.map((node) => `${node.getAttribute("data-image")} ${node.getAttribute("data-state")}`),
          )
        expect(instanceKinds).toEqual(expect.arrayContaining(["old active", "old draining", "new active"]))
        mkdirSync(screenshots, { recursive: true })
        await page.screenshot({ path: join(screenshots, "simulation-report.png"), fullPage: true })
        // On a phone: nothing wider than the screen but the tables (which scroll), one chart per row.
        await page.setViewportSize({ width: 420, height: 900 })
        const overflow = Number(await page.evaluate("document.documentElement.scrollWidth"))
        expect(overflow).toBeLessThanOrEqual(420)
        await page.screenshot({ path: join(screenshots, "simulation-report-420.png"), fullPage: true })
      } finally {
        await browser.close()
      }
      expect(existsSync(join(screenshots, "simulation-report.png"))).toBe(true)
    },
    processTimeout,
  )

  it(
    "a rollout stopped by --max-run-time is resumed by another process and never terminates an instance twice",
    async () => {
      const cwd = tempDir("resume")
      const world = ["--simulator-state", "world.jsonl"]
      const plan = await runInProcess(["plan", ...cluster, "--simulator", "small", ...world], { cwd })
      expect(plan.code).toBe(ExitCode.success)
      expect(plan.stdout).toContain("Cluster small-cluster: ready")
      expect(journaledCalls(join(cwd, "world.jsonl"))).toEqual([])

      const stopped = await runProcess(
        ["upgrade-cluster", ...cluster, ...world, "--yes", "--max-run-time", "3m"],
        { cwd },
      )
      expect(stopped.stdout).toMatch(/suspended: stopped before the deadline/)
      expect(stopped.stdout).toContain("continue it with: ecs-ami-deploy resume --cluster small-cluster")
      expect(stopped.code).toBe(ExitCode.suspended)

      const open = await runInProcess(["status", ...cluster, ...world], { cwd })
      // Suspended, not "running": nobody holds the lock; resume continues it.
      expect(open.stdout).toMatch(/state +suspended since \S+: stopped before the deadline/)

      // Continuing an open run off a terminal needs --yes, exactly as starting one does.
      const unconfirmed = await runInProcess(["upgrade-cluster", ...cluster, ...world], { cwd })
      expect(unconfirmed.code).toBe(ExitCode.usage)
      expect(unconfirmed.stderr).toContain("not on a terminal")

      // Another event log holds no run of the cluster: status says where it looked and where else to look.
      const elsewhere = await runInProcess(["status", ...cluster, ...world, "--event-log", "empty-log"], {
        cwd,
      })
      expect(elsewhere.stdout).toContain("no runs recorded for small-cluster in empty-log")
      expect(elsewhere.stdout).toContain("--event-log dynamodb://<table>")

      // A second operator with their own event log sees the open run's tags and is told, not let in.
      const otherLog = await runInProcess(["plan", ...cluster, ...world, "--event-log", "other-log"], { cwd })
      expect(otherLog.stdout).toContain("Cluster small-cluster: refused")
      expect(otherLog.stdout).toMatch(
        /carry the tag of run small-cluster-\S+, which this event log does not know/,
      )

      // --yes is accepted by resume as by upgrade-cluster and rollback (scripts pass it everywhere).
      const resumed = await runProcess(["resume", ...cluster, ...world, "--yes"], { cwd })
      expect(resumed.stdout).toMatch(/run small-cluster-\S+ succeeded/)
      expect(resumed.code).toBe(ExitCode.success)

      const status = await runInProcess(["status", ...cluster, ...world, "--output", "json"], { cwd })
      const history = await runInProcess(["history", ...cluster, ...world], { cwd })
      expect(jsonLines(status.stdout)[0]).toMatchObject({
        status: {
          _tag: "Run",
          summary: { status: "succeeded" },
          progress: { groups: [{ asgName: "small-asg", oldInstances: 4, terminated: 4 }] },
        },
      })
      const phases = (
        jsonLines(status.stdout)[0] as {
          phases: ReadonlyArray<{ phase: string; failed: number; inFlight: number }>
        }
      ).phases
      expect(phases.map((p) => p.phase)).toEqual([
        "preparing",
        "launching",
        "draining",
        "terminating",
        "cleaning-up",
      ])
      expect(phases.every((p) => p.failed === 0 && p.inFlight === 0)).toBe(true)
      // A header, then one line per event: sequence numbers 0 to lastSeq.
      const lastSeq = (jsonLines(status.stdout)[0] as { status: { summary: { lastSeq: number } } }).status
        .summary.lastSeq
      expect(history.stdout.trim().split("\n")).toHaveLength(lastSeq + 2)
      expect(history.stdout).toContain("suspended: stopped before the deadline")
      expect(history.stdout).toMatch(/run finished succeeded/)

      const terminated = terminatedInstances(join(cwd, "world.jsonl"))
      expect(terminated).toHaveLength(4)
      expect(new Set(terminated).size).toBe(4)
    },
    processTimeout,
  )

  it(
    "rollback restores an interrupted run and exits 4",
    async () => {
      const cwd = tempDir("rollback")
      const world = ["--simulator", "small", "--simulator-state", "world.jsonl"]
      const stopped = await runProcess(
        ["upgrade-cluster", ...cluster, ...world, "--yes", "--max-run-time", "3m"],
        { cwd },
      )
      expect(stopped.code).toBe(ExitCode.suspended)
      const rolledBack = await runProcess(
        ["rollback", ...cluster, "--simulator-state", "world.jsonl", "--yes", "--reason", "test of rollback"],
        { cwd },
      )
      expect(rolledBack.stdout).toMatch(/run small-cluster-\S+ rolled-back/)
      expect(rolledBack.code).toBe(ExitCode.rolledBack)
      const status = await runInProcess(["status", ...cluster, "--simulator-state", "world.jsonl"], { cwd })
      expect(status.stdout).toMatch(/state +finished rolled-back at \S+Z, after \d/)
      expect(status.stdout).toMatch(/rolling-back +[1-9]\d* +0 +0 /)
    },
    processTimeout,
  )

  it.each([
    { how: "Ctrl-C (SIGINT)", signal: "SIGINT", code: 130, reason: "interrupted by SIGINT" },
    { how: "a closed terminal (SIGHUP)", signal: "SIGHUP", code: 129, reason: "interrupted by SIGHUP" },
    {
      how: "a closed output pipe (EPIPE)",
      signal: "close-output",
      code: 141,
      reason: "its output was closed (EPIPE)",
    },
  ] as const)(
    "$how in the middle of a rollout records the suspension with its reason, releases the lock, and exits $code",
    async ({ signal, code, reason }) => {
      const cwd = tempDir(`interrupt-${signal}`)
      const world = ["--simulator", "large-200", "--simulator-state", "world.jsonl"]
      const run = await runProcess(
        [
          "upgrade-cluster",
          "--cluster",
          "large-200-cluster",
          ...world,
          "--yes",
          "--unsafe-services",
          "proceed",
        ],
        { cwd, interruptWhen: /DrainInstances: drain wave 1/, signal },
      )
      expect(run.stderr).toContain("interrupted: an open run stays open")
      expect(run.code).toBe(code)
      const state = ["--cluster", "large-200-cluster", "--simulator-state", "world.jsonl"]
      const history = await runInProcess(["history", ...state], { cwd })
      expect(
        history.stdout,
        `history (exit ${history.code}): ${history.stderr}\nthe interrupted run's stderr:\n${run.stderr}`,
      ).toContain(`suspended: ${reason}`)
      // The lock was released: resume starts at once instead of answering "locked" until the lease expires.
      const resumed = await runProcess(["resume", ...state, "--max-run-time", "1m"], { cwd })
      expect(resumed.code).not.toBe(ExitCode.locked)
    },
    processTimeout,
  )

  it(
    "a process killed outright mid-rollout: resume on the same host takes its lock over at once (the holder's process is gone) and terminates each old instance exactly once",
    async () => {
      const cwd = tempDir("kill")
      const world = ["--simulator-state", "world.jsonl"]
      const killed = await runProcess(
        [
          "upgrade-cluster",
          "--cluster",
          "large-200-cluster",
          "--simulator",
          "large-200",
          ...world,
          "--yes",
          "--unsafe-services",
          "proceed",
        ],
        {
          cwd,
          interruptWhen: /DrainInstances: drain wave 1/,
          signal: "SIGKILL",
        },
      )
      expect(killed.code).toBe(128 + 9)
      // The lock names a process of this host that no longer exists: resume takes it over at once,
      // without waiting for the dead process's lease to expire (no --simulator-wait).
      const resumed = await runInProcess(["resume", "--cluster", "large-200-cluster", ...world], { cwd })
      expect(resumed.stderr).not.toMatch(/locked by/)
      expect(resumed.stdout).toMatch(/run large-200-cluster-\S+ succeeded/)
      expect(resumed.code).toBe(ExitCode.success)
      const terminated = terminatedInstances(join(cwd, "world.jsonl"))
      const oldInstances = scenarios["large-200"].groups.reduce(
        (sum, group) => sum + group.desiredCapacity,
        0,
      )
      expect(new Set(terminated).size).toBe(oldInstances)
      expect(terminated).toHaveLength(oldInstances)
    },
    processTimeout,
  )

  it(
    "without AWS credentials, list-clusters says how to provide them and exits 1",
    async () => {
      const cwd = tempDir("no-credentials")
      const run = await runProcess(["list-clusters"], {
        cwd,
        env: {
          AWS_EC2_METADATA_DISABLED: "true",
          AWS_ENDPOINT_URL: "http://127.0.0.1:9",
          AWS_REGION: "us-east-1",
        },
      })
      expect(run.stderr).toMatch(/no usable AWS credentials/)
      expect(run.stderr).toMatch(/what to do:/)
      expect(run.code).toBe(ExitCode.failed)
    },
    processTimeout,
  )
})
