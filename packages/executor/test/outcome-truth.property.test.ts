/**
 * Property: whatever the cluster looks like — members still launching at the start, Standby and
 * scale-in protected members, capacity providers with managed scaling and managed draining, another
 * actor changing desired capacity mid-run — the outcome a run reports agrees with the fleet the
 * simulated world shows when it finishes: the reason lists every group member with the image it
 * runs, and "succeeded" only ever comes with every member on the target image (or one the policy
 * named as skipped) and every service at or above its healthy floor.
 *
 * CI runs from a fixed seed; `INVARIANT_SEED=random` explores, and `INVARIANT_SEED=<seed>
 * INVARIANT_PATH=<path>` (printed by fast-check) replays one case.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Exit } from "effect"
import { type RolloutPolicy } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { newImageId, type Scenario, type WorldSnapshot } from "@ecs-ami-deploy/simulator"
import { runRollout } from "../src/index.ts"
import { clusterSpec, propertyReplay, rolloutPolicy, scenarioOf } from "./generated-clusters.ts"
import { makeWorldOf, testSettings } from "./harness.ts"

interface Shape {
  readonly launching: number
  readonly standby: number
  readonly protectedCount: number
  readonly managedScaling: boolean
  readonly managedDraining: boolean
  readonly actor?: { readonly atMs: number; readonly delta: number }
}

const shape: fc.Arbitrary<Shape> = fc.record(
  {
    launching: fc.integer({ min: 0, max: 1 }),
    standby: fc.integer({ min: 0, max: 1 }),
    protectedCount: fc.integer({ min: 0, max: 1 }),
    managedScaling: fc.boolean(),
    managedDraining: fc.boolean(),
    actor: fc.record({
      atMs: fc.integer({ min: 30_000, max: 900_000 }),
      delta: fc.integer({ min: -1, max: 2 }),
    }),
  },
  { requiredKeys: ["launching", "standby", "protectedCount", "managedScaling", "managedDraining"] },
)

/** The generated cluster with the real-world shapes applied to its first group. */
const shaped = (scenario: Scenario, s: Shape): Scenario => {
  const first = scenario.groups[0]
  if (first === undefined) return scenario
  return {
    ...scenario,
    groups: scenario.groups.map((group, index) =>
      index === 0
        ? {
            ...group,
            initialInstances: Math.max(1, group.desiredCapacity - s.launching),
            initialStandby: s.standby,
            initialProtected: s.protectedCount,
            maxSize: group.maxSize + s.standby,
          }
        : group,
    ),
    clusters: scenario.clusters.map((cluster) => ({
      ...cluster,
      capacityProviders: [
        {
          name: `${first.name}-cp`,
          asgName: first.name,
          managedScaling: s.managedScaling,
          managedTerminationProtection: s.managedScaling,
          managedDraining: s.managedDraining,
        },
      ],
    })),
    ...(s.actor === undefined
      ? {}
      : {
          faults: {
            desiredCapacityChanges: [
              {
                atMs: s.actor.atMs,
                groupName: first.name,
                desiredCapacity: Math.max(first.minSize, first.desiredCapacity + s.actor.delta),
                by: "person",
              },
            ],
          },
        }),
  }
}

const leaving = (state: string) => state.startsWith("Terminating") || state.startsWith("Detach")

/** Each group's members as EC2 and Auto Scaling show them: id, image, lifecycle state, protection. */
const membersOf = (state: WorldSnapshot) =>
  state.groups.map((group) => ({
    name: group.name,
    members: group.instances
      .filter((m) => !leaving(m.lifecycleState))
      .flatMap((m) => {
        const instance = state.instances.find((i) => i.instanceId === m.instanceId)
        if (instance === undefined || instance.state === "shutting-down" || instance.state === "terminated")
          return []
        return [{ ...m, imageId: instance.imageId }]
      }),
  }))

describe("the outcome agrees with the fleet, on clusters shaped like real ones", () => {
  it("given a generated cluster with Pending, Standby and protected members, capacity providers and another actor, when rolled out, then the reported fleet is the observed fleet and succeeded means all replaced and every service at its floor", async () => {
    const seen: Array<string> = []
    await fc.assert(
      fc.asyncProperty(
        clusterSpec,
        shape,
        rolloutPolicy,
        fc.integer({ min: 1, max: 1_000_000 }),
        async (spec, s, policy, seed) => {
          const scenario = shaped(scenarioOf(spec), s)
          const world = makeWorldOf(scenario, { seed })
          const runPolicy: RolloutPolicy = { ...policy, unsafeServices: "proceed" }
          const eventLog = makeMemoryEventLog(emptyMemoryStorage())
          const exit = await world.run(
            runRollout({
              clusterName: world.clusterName,
              policy: runPolicy,
              holder: "prop",
              settings: testSettings,
            }),
            eventLog,
          )
          if (!Exit.isSuccess(exit)) {
            seen.push(`error: ${JSON.stringify(exit.cause).slice(0, 200)}`)
            return
          }
          const result = exit.value
          seen.push(result._tag === "Finished" ? result.outcome : result._tag)
          if (result._tag !== "Finished") return
          const end = world.simulation.snapshotState()
          const loaded = await world.run(eventLog.load(result.runId), eventLog)
          const started = (Exit.isSuccess(loaded) ? loaded.value : []).find((e) => e._tag === "RunStarted")
          // Services already below their floor when the run started are not the run's to restore.
          const belowAtStart = new Set(
            started?._tag === "RunStarted" ? (started.servicesBelowFloorAtStart ?? []) : [],
          )
          for (const group of membersOf(end))
            for (const member of group.members) {
              // Every member the world shows is in the reason, under the image it runs.
              expect(result.reason).toContain(member.instanceId)
              const listed = new RegExp(`on ${member.imageId} \\([^)]*${member.instanceId}`)
              expect(result.reason).toMatch(listed)
            }
          if (result.outcome === "succeeded") {
            for (const group of membersOf(end))
              for (const member of group.members) {
                const skipped =
                  (runPolicy.standbyInstances === "skip" && member.lifecycleState === "Standby") ||
                  (runPolicy.protectedInstances === "skip" && member.protectedFromScaleIn) ||
                  runPolicy.standaloneTasks === "skip-instance"
                if (!skipped) expect(member.imageId).toBe(newImageId)
              }
            for (const service of end.services)
              if (
                service.schedulingStrategy === "REPLICA" &&
                service.status === "ACTIVE" &&
                !belowAtStart.has(service.serviceName)
              )
                expect(service.runningCount).toBeGreaterThanOrEqual(
                  Math.ceil((service.desiredCount * service.minimumHealthyPercent) / 100),
                )
          }
        },
      ),
      { numRuns: Number(process.env["INVARIANT_RUNS"] ?? 20), ...propertyReplay },
    )
    // Most generated runs reach an outcome (a refusal proves nothing about outcomes).
    expect(seen.filter((tag) => !tag.startsWith("error") && tag !== "Refused").length).toBeGreaterThan(
      seen.length / 2,
    )
  })
})
