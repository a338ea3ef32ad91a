/**
 * The Promise API against the simulator: a rollout to the end, an abort that leaves the run
 * resumable, and bad input that is refused with a typed error before any AWS call changes anything.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import {
  InvalidOptions,
  InvalidPolicy,
  launchTemplateStrategy,
  type LaunchSpecStrategy,
  memoryEventLog,
  PluginFailed,
  resumeRun,
  type RunEvent,
  runStatus,
  upgradeCluster,
} from "../src/index.ts"
import { makeSimulation, newImageId, scenarios, simulatedPorts, type Simulation } from "../src/simulator.ts"

const cluster = "small-cluster"

const setUp = () => {
  const simulation = makeSimulation(scenarios.small, { seed: 3 })
  return { simulation, callOptions: { ports: simulatedPorts(simulation), eventLog: memoryEventLog() } }
}

const mutatingCalls = (simulation: Simulation) => simulation.callLog.filter((call) => call.mutating)

/** Image ids of the cluster's live (pending or running) instances. */
const liveImageIds = (simulation: Simulation) =>
  new Set(
    simulation
      .snapshotState()
      .instances.filter((instance) => instance.state === "pending" || instance.state === "running")
      .map((instance) => instance.imageId),
  )

describe("upgradeCluster (Promise API) on the simulator", () => {
  it("given the small cluster on an old image, when upgraded, then the run succeeds and every live instance runs the new image", async () => {
    const { simulation, callOptions } = setUp()
    const events: Array<RunEvent> = []

    const result = await upgradeCluster(
      { cluster },
      { ...callOptions, onEvent: (event) => events.push(event) },
    )

    expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    expect(liveImageIds(simulation)).toEqual(new Set([newImageId]))
    expect(events.map((event) => event._tag)).toContain("RunStarted")
    expect(events.at(-1)?._tag).toBe("RunFinished")
  })

  it("given a run in progress, when the signal aborts it, then the Promise rejects with the abort reason, RunSuspended is recorded, the lock is free and resumeRun finishes the run", async () => {
    const { simulation, callOptions } = setUp()
    const controller = new AbortController()
    const events: Array<RunEvent> = []
    const abortAfterFirstDrain = (event: RunEvent) => {
      events.push(event)
      if (event._tag === "CommandSucceeded" && event.commandId.includes("drain")) controller.abort()
    }

    const aborted = upgradeCluster(
      { cluster },
      { ...callOptions, signal: controller.signal, onEvent: abortAfterFirstDrain },
    )

    await expect(aborted).rejects.toMatchObject({ name: "AbortError" })
    expect(events.at(-1)?._tag).toBe("RunSuspended")
    const afterAbort = await runStatus({ cluster }, callOptions)
    if (afterAbort._tag !== "Run") expect.fail("the aborted run is not in the log")
    expect(afterAbort.summary.status).toBe("open")
    const [group] = afterAbort.progress.groups
    expect(group !== undefined && group.terminated < group.oldInstances).toBe(true)

    const resumed = await resumeRun({ cluster }, callOptions)

    expect(resumed).toMatchObject({ _tag: "Finished", outcome: "succeeded", runId: afterAbort.summary.runId })
    expect(liveImageIds(simulation)).toEqual(new Set([newImageId]))
  })

  it("given a progress callback that throws mid-run, when upgrading, then the Promise rejects with its error, RunSuspended is recorded and the run resumes to success", async () => {
    const { callOptions } = setUp()
    const events: Array<RunEvent> = []
    const failing = new Error("the dashboard is down")
    const throwAfterFirstDrain = (event: RunEvent) => {
      events.push(event)
      if (event._tag === "CommandSucceeded" && event.commandId.includes("drain")) throw failing
    }

    const error = await upgradeCluster({ cluster }, { ...callOptions, onEvent: throwAfterFirstDrain }).catch(
      (failure: unknown) => failure,
    )

    expect(error).toBe(failing)
    expect(events.at(-1)?._tag).toBe("RunSuspended")
    expect(await resumeRun({ cluster }, callOptions)).toMatchObject({
      _tag: "Finished",
      outcome: "succeeded",
    })
  })
})

describe("event log locations", () => {
  it("given a directory as the event log, when a run finishes, then a later call with a fresh layer reads it back", async () => {
    const simulation = makeSimulation(scenarios.small, { seed: 4 })
    const directory = mkdtempSync(path.join(tmpdir(), "ecs-ami-deploy-log-"))
    try {
      const result = await upgradeCluster(
        { cluster },
        { ports: simulatedPorts(simulation), eventLog: directory },
      )
      if (result._tag !== "Finished") expect.fail(`the run did not finish: ${result._tag}`)

      const status = await runStatus(
        { cluster },
        { ports: simulatedPorts(simulation), eventLog: `file://${directory}` },
      )
      expect(status).toMatchObject({ _tag: "Run", summary: { runId: result.runId, status: "succeeded" } })
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  })

  it("given an event log location that does not parse, when upgrading, then InvalidOptions names it and nothing is called", async () => {
    const simulation = makeSimulation(scenarios.small, { seed: 4 })

    const error = await upgradeCluster(
      { cluster },
      { ports: simulatedPorts(simulation), eventLog: "dynamodb://x" },
    ).catch((failure: unknown) => failure)

    expect(error).toBeInstanceOf(InvalidOptions)
    expect(error).toMatchObject({
      problems: [{ path: "eventLog", problem: expect.stringContaining("dynamodb://x") }],
    })
    expect(simulation.callLog).toEqual([])
  })
})

describe("bad input through the Promise API", () => {
  it("given an unknown option, when upgrading, then InvalidOptions names it and nothing is called", async () => {
    const { simulation, callOptions } = setUp()
    const options = {
      cluster,
      polcy: { maxSurge: { unit: "instances", value: 1 } },
    } as unknown as Parameters<typeof upgradeCluster>[0]

    const error = await upgradeCluster(options, callOptions).catch((failure: unknown) => failure)

    expect(error).toBeInstanceOf(InvalidOptions)
    expect((error as InvalidOptions).problems).toEqual([
      { path: "polcy", problem: expect.stringContaining("excess") },
    ])
    expect(simulation.callLog).toEqual([])
  })

  it("given a mistyped call option, when upgrading, then InvalidOptions names it and nothing is called (no silent fallback to the default event log)", async () => {
    const { simulation } = setUp()
    const callOptions = { ports: simulatedPorts(simulation), eventlog: "memory" } as unknown as Parameters<
      typeof upgradeCluster
    >[1]

    const error = await upgradeCluster({ cluster }, callOptions).catch((failure: unknown) => failure)

    expect(error).toBeInstanceOf(InvalidOptions)
    expect(error).toMatchObject({
      operation: "upgradeCluster (call options)",
      problems: [{ path: "eventlog" }],
    })
    expect(simulation.callLog).toEqual([])
  })

  it("given a policy validatePolicy refuses, when upgrading, then InvalidPolicy names the field and nothing is called", async () => {
    const { simulation, callOptions } = setUp()

    const error = await upgradeCluster(
      { cluster, policy: { maxDraining: { unit: "instances", value: 0 } } },
      callOptions,
    ).catch((failure: unknown) => failure)

    expect(error).toBeInstanceOf(InvalidPolicy)
    expect((error as InvalidPolicy).problems.map((problem) => problem.field)).toEqual(["maxDraining"])
    expect(simulation.callLog).toEqual([])
  })

  it("given an AMI source plugin that throws, when upgrading, then PluginFailed names the plugin and nothing is changed", async () => {
    const { simulation, callOptions } = setUp()
    const throwing = {
      name: "broken-source",
      description: "throws instead of failing",
      resolve: () => {
        throw new Error("no image for you")
      },
    }

    const error = await upgradeCluster({ cluster, ami: throwing }, callOptions).catch(
      (failure: unknown) => failure,
    )

    expect(error).toBeInstanceOf(PluginFailed)
    expect(error).toMatchObject({
      plugin: "broken-source",
      operation: "resolve",
      problem: expect.stringContaining("no image for you"),
    })
    expect(mutatingCalls(simulation)).toEqual([])
    expect(await runStatus({ cluster }, callOptions)).toEqual({ _tag: "NoRuns", clusterName: cluster })
  })

  it("given a launch-spec strategy plugin whose handles throws, when upgrading, then PluginFailed names it and nothing is changed", async () => {
    const { simulation, callOptions } = setUp()
    const throwing: LaunchSpecStrategy = {
      ...launchTemplateStrategy(),
      name: "broken-strategy",
      handles: () => {
        throw new TypeError("cannot read the spec")
      },
    }

    const error = await upgradeCluster({ cluster, launchSpecStrategies: [throwing] }, callOptions).catch(
      (failure: unknown) => failure,
    )

    expect(error).toBeInstanceOf(PluginFailed)
    expect(error).toMatchObject({
      plugin: "broken-strategy",
      operation: "handles",
      problem: "threw TypeError: cannot read the spec",
    })
    expect(mutatingCalls(simulation)).toEqual([])
  })

  it("given a launch-spec strategy plugin whose resolveImageId returns a bare AMI id (the old contract), when upgrading, then PluginFailed says what it should return and nothing is changed", async () => {
    const { simulation, callOptions } = setUp()
    const oldContract = {
      ...launchTemplateStrategy(),
      name: "old-contract",
      resolveImageId: () => Effect.succeed("ami-0123456789abcdef0"),
    } as unknown as LaunchSpecStrategy

    const error = await upgradeCluster({ cluster, launchSpecStrategies: [oldContract] }, callOptions).catch(
      (failure: unknown) => failure,
    )

    expect(error).toBeInstanceOf(PluginFailed)
    expect(error).toMatchObject({
      plugin: "old-contract",
      operation: "resolveImageId",
      problem: "returned a string instead of { imageId, ssmParameter? }",
    })
    expect(mutatingCalls(simulation)).toEqual([])
  })
})
