/**
 * Simulated CloudWatch alarms (alarms.ts): raised at a time, while a service is below its floor, or
 * once an instance on an image has run a while; DescribeAlarms leaves unknown names out and counts
 * one AWS request per 100 names.
 */
import { CloudWatch } from "@ecs-ami-deploy/ports"
import { describe, expect, it } from "vitest"
import { InvalidScenario, makeSimulation, oldImageId, scenarios, type Scenario } from "../src/index.ts"

const withAlarms = (alarms: NonNullable<Scenario["alarms"]>): Scenario => ({ ...scenarios.small, alarms })

const statesOf = (sim: ReturnType<typeof makeSimulation>, names: ReadonlyArray<string>) =>
  sim.run(CloudWatch.use((cloudWatch) => cloudWatch.describeAlarms(names)))

describe("simulated alarms", () => {
  it("given an alarm raised from +60 s to +120 s, then it is OK, then ALARM dated +60 s, then OK again", async () => {
    const sim = makeSimulation(
      withAlarms([{ name: "Window", triggers: [{ atMs: 60_000, untilMs: 120_000 }] }]),
    )
    const start = sim.now()
    expect((await statesOf(sim, ["Window"])).map((alarm) => alarm.state)).toEqual(["OK"])
    sim.advance(60_000)
    const raised = await statesOf(sim, ["Window"])
    expect(raised).toMatchObject([
      {
        alarmName: "Window",
        alarmArn: `arn:aws:cloudwatch:${sim.region}:${sim.accountId}:alarm:Window`,
        state: "ALARM",
        stateUpdatedAt: start + 60_000,
      },
    ])
    sim.advance(60_000)
    expect((await statesOf(sim, ["Window"])).map((alarm) => alarm.state)).toEqual(["OK"])
  })

  it("given an alarm on a service below its floor, when its desired count doubles, then it is in ALARM until the new tasks are healthy", async () => {
    const sim = makeSimulation(withAlarms([{ name: "WebFloor", triggers: [{ serviceBelowFloor: "web" }] }]))
    expect((await statesOf(sim, ["WebFloor"]))[0]?.state).toBe("OK")
    sim.setServiceDesiredCount("small-cluster", "web", 4)
    const raised = (await statesOf(sim, ["WebFloor"]))[0]
    expect(raised?.state).toBe("ALARM")
    expect(raised?.stateReason).toContain("service web has 2 healthy task(s), below its floor of 4")
    sim.advance(10 * 60_000)
    expect((await statesOf(sim, ["WebFloor"]))[0]?.state).toBe("OK")
  })

  it("given an alarm on instances of an image running a while, then it fires the moment the first has", async () => {
    const probe = makeSimulation(scenarios.small)
    const earliest = Math.min(...probe.snapshotState().instances.map((instance) => instance.launchTime))
    // The oldest instance reaches the threshold 10 minutes after the scenario starts.
    const forMs = probe.now() - earliest + 600_000
    const sim = makeSimulation(
      withAlarms([{ name: "OldImage", triggers: [{ instanceOnImage: { imageId: oldImageId, forMs } }] }]),
    )
    sim.advance(600_000 - 1)
    expect((await statesOf(sim, ["OldImage"]))[0]?.state).toBe("OK")
    sim.advance(1)
    expect((await statesOf(sim, ["OldImage"]))[0]?.state).toBe("ALARM")
  })

  it("given unknown names among 150, then they are left out and the call counts 2 AWS requests, not mutating", async () => {
    const sim = makeSimulation(withAlarms([{ name: "Known" }]))
    const names = ["Known", ...Array.from({ length: 149 }, (_, i) => `unknown-${i}`)]
    expect((await statesOf(sim, names)).map((alarm) => alarm.alarmName)).toEqual(["Known"])
    expect(sim.callLog).toMatchObject([
      {
        operation: "cloudwatch:DescribeAlarms",
        mutating: false,
        awsRequests: { "cloudwatch:DescribeAlarms": 2 },
      },
    ])
  })

  it("given an alarm watching a service the scenario lacks, then the scenario is refused naming it", () => {
    expect(() =>
      makeSimulation(withAlarms([{ name: "X", triggers: [{ serviceBelowFloor: "nope" }] }])),
    ).toThrow(InvalidScenario)
  })
})
