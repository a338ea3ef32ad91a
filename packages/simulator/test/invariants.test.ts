/**
 * Properties of the model itself, under random sequences of operations (fast-check): placement never
 * overcommits CPU, memory or host ports, distinctInstance holds, no live task sits on an INACTIVE or
 * vanished container instance, and a group's in-service capacity settles at its desired count.
 */
import { AutoScaling, Ec2, Ecs } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { makeSimulation, scenarios, type Simulation, type WorldSnapshot } from "../src/index.ts"

type Action =
  | { readonly _tag: "SetDesired"; readonly desired: number }
  | { readonly _tag: "Drain"; readonly pick: number }
  | { readonly _tag: "Activate"; readonly pick: number }
  | { readonly _tag: "StopTask"; readonly pick: number }
  | { readonly _tag: "TerminateInstance"; readonly pick: number }
  | { readonly _tag: "ForceDeregister"; readonly pick: number }
  | { readonly _tag: "Wait"; readonly seconds: number }

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ _tag: fc.constant("SetDesired" as const), desired: fc.integer({ min: 2, max: 8 }) }),
  fc.record({ _tag: fc.constant("Drain" as const), pick: fc.nat() }),
  fc.record({ _tag: fc.constant("Activate" as const), pick: fc.nat() }),
  fc.record({ _tag: fc.constant("StopTask" as const), pick: fc.nat() }),
  fc.record({ _tag: fc.constant("TerminateInstance" as const), pick: fc.nat() }),
  fc.record({ _tag: fc.constant("ForceDeregister" as const), pick: fc.nat() }),
  fc.record({ _tag: fc.constant("Wait" as const), seconds: fc.integer({ min: 1, max: 900 }) }),
)

const pickFrom = <A>(items: ReadonlyArray<A>, pick: number): A | undefined =>
  items[pick % Math.max(1, items.length)]

/** Applies one action through the ports (refusals are fine: AWS refuses things too). */
const apply = (sim: Simulation, clusterName: string, asgName: string, step: Action) =>
  Effect.gen(function* () {
    const state = sim.snapshotState()
    const live = state.containerInstances.filter((ci) => ci.status !== "INACTIVE")
    switch (step._tag) {
      case "SetDesired":
        return yield* AutoScaling.use((a) => a.updateGroup({ asgName, desiredCapacity: step.desired }))
      case "Drain":
      case "Activate": {
        const target = pickFrom(live, step.pick)
        if (target === undefined) return
        return yield* Ecs.use((e) =>
          e.updateContainerInstancesState(
            clusterName,
            [target.containerInstanceArn],
            step._tag === "Drain" ? "DRAINING" : "ACTIVE",
          ),
        )
      }
      case "StopTask": {
        const target = pickFrom(
          state.tasks.filter((t) => t.lastStatus !== "STOPPED"),
          step.pick,
        )
        if (target === undefined) return
        return yield* Ecs.use((e) => e.stopTask(clusterName, target.taskArn, "property test"))
      }
      case "TerminateInstance": {
        const target = pickFrom(
          state.instances.filter((i) => i.state === "running"),
          step.pick,
        )
        if (target === undefined) return
        return yield* Ec2.use((e) => e.terminateInstances([target.instanceId]))
      }
      case "ForceDeregister": {
        const target = pickFrom(live, step.pick)
        if (target !== undefined)
          sim.forceDeregisterContainerInstance(clusterName, target.containerInstanceArn)
        return
      }
      case "Wait":
        return yield* Effect.sleep(`${step.seconds} seconds`)
    }
  }).pipe(Effect.ignore)

const placementProblems = (state: WorldSnapshot, distinctServices: ReadonlySet<string>): Array<string> => {
  const problems: Array<string> = []
  for (const ci of state.containerInstances) {
    const holding = state.tasks.filter(
      (t) => t.containerInstanceArn === ci.containerInstanceArn && t.lastStatus !== "STOPPED",
    )
    if (ci.status === "INACTIVE" && holding.length > 0)
      problems.push(`${ci.ec2InstanceId}: live tasks on an INACTIVE instance`)
    const cpu = holding.reduce((sum, t) => sum + t.cpu, 0)
    const memory = holding.reduce((sum, t) => sum + t.memory, 0)
    if (cpu > ci.registered.cpu || memory > ci.registered.memory)
      problems.push(`${ci.ec2InstanceId}: overcommitted`)
    const ports = [...ci.registered.ports, ...holding.flatMap((t) => t.hostPorts)]
    if (new Set(ports).size !== ports.length) problems.push(`${ci.ec2InstanceId}: a host port used twice`)
    for (const service of distinctServices) {
      if (holding.filter((t) => t.serviceName === service).length > 1)
        problems.push(`${ci.ec2InstanceId}: two ${service} tasks`)
    }
  }
  const known = new Set(state.containerInstances.map((ci) => ci.containerInstanceArn))
  for (const task of state.tasks) {
    if (
      task.lastStatus !== "STOPPED" &&
      task.containerInstanceArn !== undefined &&
      !known.has(task.containerInstanceArn)
    ) {
      problems.push(`${task.taskArn}: live on a forgotten instance`)
    }
  }
  return problems
}

describe("model invariants under random operations", () => {
  for (const [name, clusterName, asgName] of [
    ["small", "small-cluster", "small-asg"],
    ["tight-capacity", "tight-capacity-cluster", "tight-asg"],
  ] as const) {
    it(`${name}: never overcommits, never keeps tasks on dead instances, and settles at desired capacity`, async () => {
      const scenario = scenarios[name]
      const distinct = new Set(
        scenario.services
          .filter((s) => s.placementConstraints?.some((c) => c.type === "distinctInstance") === true)
          .map((s) => s.name),
      )
      await fc.assert(
        fc.asyncProperty(fc.array(action, { maxLength: 25 }), fc.nat(), async (actions, seed) => {
          const sim = makeSimulation(scenario, { seed })
          for (const step of actions) {
            await sim.run(apply(sim, clusterName, asgName, step))
            expect(placementProblems(sim.snapshotState(), distinct)).toEqual([])
          }
          sim.advance(2 * 3_600_000)
          const group = sim.snapshotState().groups[0]!
          expect(group.instances.filter((i) => i.lifecycleState === "InService")).toHaveLength(
            group.desiredCapacity,
          )
        }),
        { numRuns: 40 },
      )
    })
  }
})
