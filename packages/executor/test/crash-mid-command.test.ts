/**
 * A crash inside a command, between two of its calls: the launch template's new version is created
 * but the group is not yet pointed at it. The resumed run re-observes, the planner re-issues the
 * command, and the idempotency key (same run, same command id) makes EC2 return the version created
 * the first time instead of a second one.
 */
import { describe, expect, it } from "vitest"
import { Effect, Exit, Layer } from "effect"
import { defaultPolicy } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { Ec2 } from "@ecs-ami-deploy/ports"
import { newImageId, scenarios } from "@ecs-ami-deploy/simulator"
import { runRollout } from "../src/index.ts"
import { endState, isKilled, Killed, makeWorldOf, newImageTemplateVersions, testSettings } from "./harness.ts"

/** The small cluster with its group pinned to launch template version 1 (so a new version must be pointed at explicitly). */
const pinnedSmall = {
  ...scenarios.small,
  groups: scenarios.small.groups.map((group) =>
    group.launchSpec._tag === "LaunchTemplate"
      ? {
          ...group,
          launchSpec: { ...group.launchSpec, template: { ...group.launchSpec.template, version: "1" } },
        }
      : group,
  ),
}

/** EC2 that dies right after it created a launch template version: the process crashes inside the command. */
const dyingAfterNewVersion = Layer.effect(
  Ec2,
  Ec2.useSync((ec2) =>
    Ec2.of({
      ...ec2,
      createLaunchTemplateVersion: (input) =>
        ec2.createLaunchTemplateVersion(input).pipe(Effect.andThen(Effect.die(new Killed()))),
    }),
  ),
)

describe("a crash inside a command", () => {
  it("given a crash after a new template version was created, when a fresh executor resumes, then no second version is created and the rollout completes", async () => {
    const world = makeWorldOf(pinnedSmall)
    const storage = emptyMemoryStorage()
    const rollout = (holder: string) =>
      runRollout({ clusterName: world.clusterName, policy: defaultPolicy, holder, settings: testSettings })

    const crashed = await world.run(
      rollout("first").pipe(Effect.provide(dyingAfterNewVersion)),
      makeMemoryEventLog(storage),
    )
    expect(isKilled(crashed)).toBe(true)
    const afterCrash = await newImageTemplateVersions(world)
    expect(Exit.isSuccess(afterCrash) ? Object.values(afterCrash.value) : afterCrash).toEqual([1])

    world.simulation.advance(testSettings.leaseMs)
    const resumed = await world.run(rollout("second"), makeMemoryEventLog(storage))
    expect(Exit.isSuccess(resumed) ? resumed.value : resumed).toMatchObject({
      _tag: "Finished",
      outcome: "succeeded",
    })

    const versions = await newImageTemplateVersions(world)
    expect(Exit.isSuccess(versions) ? Object.values(versions.value) : versions).toEqual([1])
    expect(endState(world).liveImages).toEqual([newImageId])
    const creations = world.simulation.callLog.filter(
      (call) => call.operation === "ec2:CreateLaunchTemplateVersion",
    )
    expect(creations.length).toBe(2)
  })
})
