/**
 * The library speaks the CLI's language where it can: amounts as `"50%"` or `"2"`, a refusal of a CLI
 * word (`drainTimeout`) that points to the real field, an AMI source given as data (`AmiSourceSpec`),
 * the same default AMI source as the CLI and the Lambda, and the CLI's readable event lines.
 */
import { describe, expect, it } from "vitest"
import {
  amiSourceFromSpec,
  defaultAmiSourceSpec,
  eventLineFormatter,
  InvalidOptions,
  memoryEventLog,
  planUpgrade,
  type RunEvent,
  upgradeCluster,
} from "../src/index.ts"
import { makeSimulation, type Scenario, scenarios, simulatedPorts } from "../src/simulator.ts"

const cluster = "small-cluster"
const callOptionsFor = (scenario: Scenario = scenarios.small) => {
  const simulation = makeSimulation(scenario, { seed: 3 })
  return { simulation, callOptions: { ports: simulatedPorts(simulation), eventLog: memoryEventLog() } }
}

/** The small scenario with AWS's recommended-image parameter pointing at an older image than the newest the name filter finds. */
const parameterBehind: Scenario = {
  ...scenarios.small,
  ssmParameters: scenarios.small.ssmParameters.map((parameter) =>
    parameter.name === "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
      ? { ...parameter, value: "ami-0a1b2c3d4e5f60001" }
      : parameter,
  ),
}

describe("policy amounts and names as the CLI writes them", () => {
  it('takes maxSurge "1" and maxDraining "50%" as { unit, value }: the same plan', async () => {
    const asText = await planUpgrade(
      { cluster, policy: { maxSurge: "1", maxDraining: "50%" } },
      callOptionsFor().callOptions,
    )
    const asAmounts = await planUpgrade(
      {
        cluster,
        policy: { maxSurge: { unit: "instances", value: 1 }, maxDraining: { unit: "percent", value: 50 } },
      },
      callOptionsFor().callOptions,
    )
    expect(asText).toEqual(asAmounts)
  })

  it("refuses an amount it cannot read with the shapes it takes, and a CLI word with the field it means; nothing is called", async () => {
    const { simulation, callOptions } = callOptionsFor()
    const error = await planUpgrade(
      // Plain JavaScript callers get no compiler check: both mistakes reach the options' decoder.
      { cluster, policy: { maxSurge: "lots", drainTimeout: 1_800_000 } } as unknown as Parameters<
        typeof planUpgrade
      >[0],
      callOptions,
    ).catch((failure: unknown) => failure)
    expect(error).toBeInstanceOf(InvalidOptions)
    const problems = (error as InvalidOptions).problems
    expect(problems).toContainEqual({
      path: "policy.maxSurge",
      problem: expect.stringContaining('give "50%" (of the group), "2" (instances) or { unit'),
    })
    expect(problems).toContainEqual({
      path: "policy.drainTimeout",
      problem: expect.stringContaining("did you mean policy.timeouts.drainWaveMs (milliseconds)?"),
    })
    expect(simulation.callLog).toEqual([])
  })
})

describe("the AMI source", () => {
  it("defaults to the one spec the CLI and the Lambda use — the Go tool's image filter — not AWS's recommended-image parameter", async () => {
    const newestByName = parameterBehind.images
      .filter((image) => image.name.startsWith("al2023-ami-ecs-hvm-") && image.architecture === "x86_64")
      .sort((a, b) => b.creationDate.localeCompare(a.creationDate))[0]
    const byDefault = await planUpgrade({ cluster }, callOptionsFor(parameterBehind).callOptions)
    const bySpec = await planUpgrade(
      { cluster, ami: defaultAmiSourceSpec },
      callOptionsFor(parameterBehind).callOptions,
    )
    expect(defaultAmiSourceSpec).toEqual({
      _tag: "image-filter",
      namePattern: "al2023-ami-ecs-hvm-*-x86_64",
      owners: ["amazon"],
    })
    expect(byDefault.targetImage.imageId).toBe(newestByName?.imageId)
    expect(bySpec.targetImage).toEqual(byDefault.targetImage)
  })

  it("takes a spec as data, or the plugin amiSourceFromSpec makes of it: the same image", async () => {
    const spec = {
      _tag: "ssm-parameter",
      parameterName: "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
    } as const
    const asData = await planUpgrade({ cluster, ami: spec }, callOptionsFor(parameterBehind).callOptions)
    const asPlugin = await planUpgrade(
      { cluster, ami: amiSourceFromSpec(spec) },
      callOptionsFor(parameterBehind).callOptions,
    )
    expect(asData.targetImage.imageId).toBe("ami-0a1b2c3d4e5f60001")
    expect(asPlugin.targetImage).toEqual(asData.targetImage)
  })
})

describe("eventLineFormatter", () => {
  it("gives each event of a run the CLI's line: elapsed clock, the command and why; successes only when asked", async () => {
    const events: Array<RunEvent> = []
    const { callOptions } = callOptionsFor()
    await upgradeCluster({ cluster }, { ...callOptions, onEvent: (event) => events.push(event) })
    const live = eventLineFormatter()
    const liveLines = events.map((event) => live(event))
    const started = events[0]
    expect(started?._tag).toBe("RunStarted")
    expect(liveLines[0]).toMatch(
      new RegExp(`^\\[\\+0s\\] run ${started?.runId} started on ${cluster}: 4 old instance\\(s\\) → ami-`),
    )
    events.forEach((event, index) => {
      if (event._tag === "CommandSucceeded") expect(liveLines[index]).toBeUndefined()
      if (event._tag === "CommandIssued")
        expect(liveLines[index]).toMatch(new RegExp(`^\\[\\+\\S+\\] ${event.command._tag}: `))
    })
    const history = eventLineFormatter({ successes: "shown" })
    const issued = new Map(
      events.flatMap((event) =>
        event._tag === "CommandIssued" ? [[event.command.id, event.command._tag] as const] : [],
      ),
    )
    events.forEach((event) => {
      const text = history(event)
      if (event._tag === "CommandSucceeded")
        expect(text).toMatch(new RegExp(`done: ${issued.get(event.commandId)}$`))
    })
    expect(liveLines.at(-1)).toMatch(/run finished succeeded/)
  })
})
