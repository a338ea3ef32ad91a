/**
 * The shapes real clusters have and the built-in scenarios did not: managed instance draining (a
 * terminate lifecycle hook ECS completes), lifecycle hooks nobody completes, managed scaling held by
 * a suspended AlarmNotification, other actors by kind, Spot notices, per-target-group deregistration
 * delays, hand-launched instances, a scale-out in progress, and ECS/EC2 listing rules.
 */
import { AutoScaling, Ec2, Ecs } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { makeSimulation, scenarios, type Scenario } from "../src/index.ts"

const small = scenarios.small
const managed = scenarios["managed-scaling"]
const asgName = "small-asg"
const cluster = "small-cluster"

const withGroup = (scenario: Scenario, patch: Partial<Scenario["groups"][number]>): Scenario => ({
  ...scenario,
  groups: scenario.groups.map((group, index) => (index === 0 ? { ...group, ...patch } : group)),
})

const withManagedDraining = (scenario: Scenario): Scenario => ({
  ...scenario,
  clusters: scenario.clusters.map((c) => ({
    ...c,
    capacityProviders: scenario.groups.map((group) => ({
      name: `${group.name}-cp`,
      asgName: group.name,
      managedScaling: false,
      managedTerminationProtection: false,
      managedDraining: true,
    })),
  })),
})

const lifecycleOf = (sim: ReturnType<typeof makeSimulation>, instanceId: string) =>
  sim
    .snapshotState()
    .groups.flatMap((g) => g.instances)
    .find((m) => m.instanceId === instanceId)?.lifecycleState

const instanceState = (sim: ReturnType<typeof makeSimulation>, instanceId: string) =>
  sim.snapshotState().instances.find((i) => i.instanceId === instanceId)?.state

describe("managed instance draining", () => {
  it("holds a terminated member in Terminating:Wait while ECS drains it, and shuts it down once only daemon tasks are left", async () => {
    const sim = makeSimulation(withManagedDraining(small))
    const victim = sim
      .snapshotState()
      .instances.find((i) =>
        sim
          .snapshotState()
          .tasks.some(
            (t) =>
              t.lastStatus === "RUNNING" &&
              t.containerInstanceArn !== undefined &&
              sim
                .snapshotState()
                .containerInstances.find((c) => c.containerInstanceArn === t.containerInstanceArn)
                ?.ec2InstanceId === i.instanceId,
          ),
      )!
    await sim.run(AutoScaling.use((a) => a.terminateInstanceInGroup(victim.instanceId, false)))
    expect(lifecycleOf(sim, victim.instanceId)).toBe("Terminating:Wait")
    sim.advance(1_000)
    const container = sim
      .snapshotState()
      .containerInstances.find((c) => c.ec2InstanceId === victim.instanceId)
    expect(container?.status).toBe("DRAINING")
    expect(instanceState(sim, victim.instanceId)).toBe("running")
    sim.advance(3_600_000)
    expect(instanceState(sim, victim.instanceId)).toBe("terminated")
    // The tasks it ran were replaced elsewhere before it went: no service lost a task for good.
    expect(sim.snapshotState().services.every((s) => s.healthyCount >= s.desiredCount)).toBe(true)
  })

  it("without managed draining, Auto Scaling shuts the member down at once", async () => {
    const sim = makeSimulation(small)
    const victim = sim.snapshotState().instances[0]!
    await sim.run(AutoScaling.use((a) => a.terminateInstanceInGroup(victim.instanceId, false)))
    expect(lifecycleOf(sim, victim.instanceId)).toBe("Terminating")
    expect(instanceState(sim, victim.instanceId)).toBe("shutting-down")
  })

  it("a terminate hook nobody completes holds the instance for its heartbeat timeout", async () => {
    const sim = makeSimulation(
      withGroup(small, {
        lifecycleHooks: [
          {
            name: "audit",
            transition: "autoscaling:EC2_INSTANCE_TERMINATING",
            heartbeatTimeoutSeconds: 600,
            defaultResult: "CONTINUE",
          },
        ],
      }),
    )
    const victim = sim.snapshotState().instances[0]!
    await sim.run(AutoScaling.use((a) => a.terminateInstanceInGroup(victim.instanceId, false)))
    sim.advance(599_000)
    expect([lifecycleOf(sim, victim.instanceId), instanceState(sim, victim.instanceId)]).toEqual([
      "Terminating:Wait",
      "running",
    ])
    sim.advance(2_000)
    expect(instanceState(sim, victim.instanceId)).toBe("shutting-down")
  })

  it("a launch hook holds new instances in Pending:Wait, counted toward capacity", async () => {
    const sim = makeSimulation(
      withGroup(small, {
        lifecycleHooks: [
          {
            name: "bootstrap",
            transition: "autoscaling:EC2_INSTANCE_LAUNCHING",
            heartbeatTimeoutSeconds: 300,
            defaultResult: "CONTINUE",
          },
        ],
      }),
    )
    await sim.run(AutoScaling.use((a) => a.updateGroup({ asgName, desiredCapacity: 5 })))
    sim.advance(120_000)
    const fresh = sim.snapshotState().groups[0]!.instances.filter((m) => m.lifecycleState !== "InService")
    expect(fresh.map((m) => m.lifecycleState)).toEqual(["Pending:Wait"])
    sim.advance(300_000)
    expect(sim.snapshotState().groups[0]!.instances.every((m) => m.lifecycleState === "InService")).toBe(true)
    expect(sim.snapshotState().groups[0]!.instances).toHaveLength(5)
  })
})

describe("other actors", () => {
  it("managed scaling does not change desired capacity while AlarmNotification is suspended", async () => {
    const group = managed.groups[0]!
    const sim = makeSimulation(managed)
    await sim.run(
      Effect.all([
        AutoScaling.use((a) => a.suspendProcesses(group.name, ["AlarmNotification"])),
        AutoScaling.use((a) =>
          a.updateGroup({ asgName: group.name, desiredCapacity: group.desiredCapacity + 2 }),
        ),
      ]),
    )
    sim.advance(30 * 60_000)
    expect(sim.snapshotState().groups[0]!.desiredCapacity).toBe(group.desiredCapacity + 2)
    await sim.run(AutoScaling.use((a) => a.resumeProcesses(group.name, ["AlarmNotification"])))
    sim.advance(10 * 60_000)
    expect(sim.snapshotState().groups[0]!.desiredCapacity).toBeLessThan(group.desiredCapacity + 2)
  })

  it("a scaling policy and a scheduled action are held by their suspended process; a person is not", async () => {
    const sim = makeSimulation(
      withGroup(small, { suspendedProcesses: ["AlarmNotification", "ScheduledActions"] }),
      {
        faults: {
          desiredCapacityChanges: [
            { atMs: 60_000, groupName: asgName, desiredCapacity: 6, by: "scaling-policy" },
            { atMs: 120_000, groupName: asgName, desiredCapacity: 7, by: "scheduled-action" },
            { atMs: 180_000, groupName: asgName, desiredCapacity: 5, by: "person" },
          ],
        },
      },
    )
    sim.advance(150_000)
    expect(sim.snapshotState().groups[0]!.desiredCapacity).toBe(4)
    sim.advance(60_000)
    expect(sim.snapshotState().groups[0]!.desiredCapacity).toBe(5)
  })

  it("a Spot interruption notice drains the instance, then EC2 reclaims it two minutes later", async () => {
    const sim = makeSimulation(small, {
      faults: { instanceLosses: [{ atMs: 60_000, groupName: asgName, noticeMs: 120_000 }] },
    })
    const victim = sim.snapshotState().instances[0]!
    sim.advance(61_000)
    expect(
      sim.snapshotState().containerInstances.find((c) => c.ec2InstanceId === victim.instanceId)?.status,
    ).toBe("DRAINING")
    expect(instanceState(sim, victim.instanceId)).toBe("running")
    sim.advance(120_000)
    expect(instanceState(sim, victim.instanceId)).toBe("shutting-down")
  })
})

describe("cluster shapes", () => {
  it("a scale-out in progress: fewer instances than desired at the start, the group launches the rest", () => {
    const sim = makeSimulation(withGroup(small, { initialInstances: 2 }))
    const members = sim.snapshotState().groups[0]!.instances
    expect(members.map((m) => m.lifecycleState).sort()).toEqual([
      "InService",
      "InService",
      "Pending",
      "Pending",
    ])
  })

  it("hand-launched instances join the cluster and no group", () => {
    const sim = makeSimulation({
      ...small,
      clusters: small.clusters.map((c) => ({
        ...c,
        unmanagedInstances: [{ availabilityZone: "us-east-1a", instanceType: "m5.large" }],
      })),
    })
    const state = sim.snapshotState()
    const members = new Set(state.groups.flatMap((g) => g.instances.map((m) => m.instanceId)))
    const outside = state.instances.filter((i) => !members.has(i.instanceId))
    expect(outside).toHaveLength(1)
    expect(outside[0]!.tags["aws:autoscaling:groupName"]).toBeUndefined()
    expect(state.containerInstances.map((c) => c.ec2InstanceId)).toContain(outside[0]!.instanceId)
  })

  it("termination-protected instances refuse EC2 TerminateInstances", async () => {
    const sim = makeSimulation(withGroup(small, { initialTerminationProtected: 1 }))
    const [first, second] = sim.snapshotState().instances
    const refusal = await sim.run(Effect.flip(Ec2.use((ec2) => ec2.terminateInstances([first!.instanceId]))))
    expect(refusal).toMatchObject({ code: "OperationNotPermitted" })
    expect(second!.terminationProtected).toBe(false)
  })

  it("each service's tasks stay DEACTIVATING for its own target group's deregistration delay", async () => {
    const scenario: Scenario = {
      ...small,
      services: small.services.map((s) =>
        s.name === "web" ? { ...s, deregistrationDelayMs: 3_600_000 } : s,
      ),
    }
    const sim = makeSimulation(scenario)
    const hosts = sim
      .snapshotState()
      .tasks.filter((t) => t.serviceName !== undefined && t.containerInstanceArn !== undefined)
      .map((t) => t.containerInstanceArn!)
    await sim.run(
      Ecs.use((ecs) => ecs.updateContainerInstancesState(cluster, [...new Set(hosts)], "DRAINING")),
    )
    sim.advance(1_200_000)
    const stillDeactivating = sim
      .snapshotState()
      .tasks.filter((t) => t.lastStatus === "DEACTIVATING")
      .map((t) => t.serviceName)
    expect(stillDeactivating.length).toBeGreaterThan(0)
    expect(stillDeactivating.every((name) => name === "web")).toBe(true)
  })

  it("ListContainerInstances leaves out deregistered (INACTIVE) instances; CreateTags refuses aws: keys", async () => {
    const sim = makeSimulation(small)
    const first = sim.snapshotState().containerInstances[0]!
    sim.forceDeregisterContainerInstance(cluster, first.containerInstanceArn)
    const listed = await sim.run(Ecs.use((ecs) => ecs.containerInstances(cluster)))
    expect(listed.map((c) => c.containerInstanceArn)).not.toContain(first.containerInstanceArn)
    const refusal = await sim.run(
      Effect.flip(Ec2.use((ec2) => ec2.createTags([first.ec2InstanceId], { "aws:owner": "me" }))),
    )
    expect(refusal).toMatchObject({ code: "InvalidParameterValue" })
  })
})
