/**
 * New capacity lost between the observation a drain was decided on and the drain itself: the run
 * must not drain onto capacity that is gone (invariant 3). Each case first runs a reference rollout
 * to find the moment, then replays the same seeded world with a new instance lost right after the
 * observation behind the first drain had read EC2.
 */
import { describe, expect, it } from "vitest"
import { Effect, Exit, Layer } from "effect"
import { defaultPolicy, type RolloutPolicy } from "@ecs-ami-deploy/domain"
import { makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { Ecs } from "@ecs-ami-deploy/ports"
import { newImageId, scenarios, type Faults, type WorldSnapshot } from "@ecs-ami-deploy/simulator"
import { runRollout } from "../src/index.ts"
import { makeWorldOf, testSettings } from "./harness.ts"

/** Every call takes 200 ms: an observation spans a few seconds, as on a real cluster. */
const latency: Faults = { apiLatency: { minMs: 200, maxMs: 200 } }

interface DrainWitness {
  readonly at: number
  readonly drained: ReadonlyArray<string>
  readonly before: WorldSnapshot
}

/** Proven new capacity of a group in a snapshot: InService, running the new image, ACTIVE with a connected agent. */
const provenNew = (snapshot: WorldSnapshot, asgName: string, oldIds: ReadonlySet<string>): Array<string> =>
  (snapshot.groups.find((group) => group.name === asgName)?.instances ?? [])
    .filter((member) => member.lifecycleState === "InService" && !oldIds.has(member.instanceId))
    .map((member) => member.instanceId)
    .filter((instanceId) => {
      const instance = snapshot.instances.find((candidate) => candidate.instanceId === instanceId)
      const container = snapshot.containerInstances.find(
        (candidate) => candidate.ec2InstanceId === instanceId && candidate.status === "ACTIVE",
      )
      return (
        instance?.state === "running" && instance.imageId === newImageId && container?.agentConnected === true
      )
    })

const rollOut = async (policy: RolloutPolicy, faults: Faults) => {
  const world = makeWorldOf(scenarios.small, { faults })
  const startedAt = world.simulation.now()
  const oldIds = new Set(world.simulation.snapshotState().instances.map((instance) => instance.instanceId))
  const drains: Array<DrainWitness> = []
  const witnessingDrains = Layer.effect(
    Ecs,
    Effect.gen(function* () {
      const inner = yield* Ecs
      return Ecs.of({
        ...inner,
        updateContainerInstancesState: (cluster, containerInstanceArns, status) =>
          Effect.suspend(() => {
            if (status === "DRAINING") {
              const before = world.simulation.snapshotState()
              drains.push({
                at: world.simulation.now(),
                before,
                drained: before.containerInstances
                  .filter((container) => containerInstanceArns.includes(container.containerInstanceArn))
                  .map((container) => container.ec2InstanceId),
              })
            }
            return inner.updateContainerInstancesState(cluster, containerInstanceArns, status)
          }),
      })
    }),
  )
  const eventLog = makeMemoryEventLog()
  const exit = await world.run(
    runRollout({ clusterName: world.clusterName, policy, holder: "executor-1", settings: testSettings }).pipe(
      Effect.provide(witnessingDrains.pipe(Layer.provide(world.simulation.layer))),
    ),
    eventLog,
  )
  if (Exit.isFailure(exit)) throw new Error(`the rollout failed: ${String(exit.cause)}`)
  const events =
    exit.value._tag === "Finished" ? await world.run(eventLog.load(exit.value.runId), eventLog) : undefined
  return {
    world,
    startedAt,
    oldIds,
    drains,
    result: exit.value,
    events: events !== undefined && Exit.isSuccess(events) ? events.value : [],
  }
}

describe("the last look before a drain", () => {
  for (const capacityMode of ["surge", "detach"] as const) {
    it(`given a new instance lost after the observation that decided the first drain (${capacityMode}), when rolled out, then nothing is drained until the replacement is proven, and the run says why it waited`, async () => {
      const policy: RolloutPolicy = { ...defaultPolicy, capacityMode }
      const asgName = scenarios.small.groups[0]?.name ?? ""
      const reference = await rollOut(policy, latency)
      const firstDrain = reference.drains[0]
      expect(firstDrain).toBeDefined()
      if (firstDrain === undefined) return
      // The observation behind the drain read EC2, then Auto Scaling: lose a new instance during that read.
      const groupRead = reference.world.simulation.callLog.findLast(
        (call) => call.operation === "autoscaling:DescribeAutoScalingGroups" && call.at < firstDrain.at,
      )
      const lost = provenNew(firstDrain.before, asgName, reference.oldIds)[0]
      expect({ groupRead: groupRead !== undefined, lost }).toEqual({
        groupRead: true,
        lost: expect.any(String),
      })
      if (groupRead === undefined || lost === undefined) return

      const run = await rollOut(policy, {
        ...latency,
        instanceLosses: [{ atMs: groupRead.at - reference.startedAt + 1, instanceId: lost }],
      })

      expect(run.result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
      // Invariant 3 at every drain: the group's proven new instances cover every old instance drained so far.
      const drained = new Set<string>()
      for (const drain of run.drains) {
        for (const instanceId of drain.drained) drained.add(instanceId)
        expect({
          at: drain.at - run.startedAt,
          provenNew: provenNew(drain.before, asgName, run.oldIds).length,
        }).toEqual({
          at: drain.at - run.startedAt,
          provenNew: expect.toSatisfy((n: number) => n >= drained.size),
        })
      }
      const warnings = run.events.flatMap((event) =>
        event._tag === "Noted" && event.level === "warning" ? [event.message] : [],
      )
      expect(warnings.filter((message) => message.includes(lost) && message.includes("waits"))).toHaveLength(
        1,
      )
    })
  }
})
