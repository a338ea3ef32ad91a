/**
 * The engine on clusters shaped like real ones (packages/simulator/src/real-clusters.ts, plus the
 * managed-scaling built-in): each run is driven to its end, the simulated world is left to settle for
 * 30 minutes, and then what the run said is checked against what the world is — every old instance
 * replaced or named as left, no service-second below its floor, the outcome agreeing with the fleet,
 * and every group setting (desired, min, max, suspended processes, launch spec) as the run promised.
 */
import { describe, expect, it } from "vitest"
import { Effect, Exit } from "effect"
import { planRollout } from "@ecs-ami-deploy/planner"
import { Ec2 } from "@ecs-ami-deploy/ports"
import { defaultPolicy, type RolloutPolicy } from "@ecs-ami-deploy/domain"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import {
  groupSettingsOf,
  newImageId,
  type Scenario,
  scenarios,
  type WorldSnapshot,
} from "@ecs-ami-deploy/simulator"
import { observeCluster, runRollout } from "../src/index.ts"
import { makeWorld, makeWorldOf, testSettings, type World } from "./harness.ts"

const settleMs = 30 * 60_000

const runToEnd = async (scenario: string | World, policy: Partial<RolloutPolicy> = {}) => {
  const world = typeof scenario === "string" ? makeWorld(scenario) : scenario
  const before = world.simulation.snapshotState()
  const exit = await world.run(
    runRollout({
      clusterName: world.clusterName,
      policy: { ...defaultPolicy, unsafeServices: "proceed", ...policy },
      holder: "test",
      settings: testSettings,
    }),
    makeMemoryEventLog(emptyMemoryStorage()),
  )
  world.simulation.advance(settleMs)
  const after = world.simulation.snapshotState()
  if (!Exit.isSuccess(exit)) throw new Error(`the run failed: ${JSON.stringify(exit)}`)
  return { world, before, after, result: exit.value }
}

/** The version of a template the groups launch from: what they name (`$Latest`, `$Default` or a number). */
const followed = (world: World, templateName: string): string => {
  const spec = world.simulation
    .snapshotState()
    .groups.find(
      (group) =>
        group.launchSpec._tag === "LaunchTemplate" &&
        group.launchSpec.template.launchTemplateName === templateName,
    )?.launchSpec
  return spec?._tag === "LaunchTemplate" ? spec.template.version : "$Default"
}

/** The image id the launch template version each group launches from stores (an AMI id or `resolve:ssm:<name>`), by template name. */
const storedTemplateImages = async (world: World) => {
  const read = Effect.gen(function* () {
    const ec2 = yield* Ec2
    return yield* Effect.forEach(world.simulation.snapshotState().launchTemplates, (template) =>
      Effect.gen(function* () {
        const described = yield* ec2.describeLaunchTemplate({ name: template.launchTemplateName })
        const [version] = yield* ec2.describeLaunchTemplateVersions(described.launchTemplateId, [
          followed(world, template.launchTemplateName),
        ])
        return [template.launchTemplateName, version?.imageId] as const
      }),
    )
  })
  const exit = await world.run(read, makeMemoryEventLog(emptyMemoryStorage()))
  if (!Exit.isSuccess(exit)) throw new Error(`reading the templates failed: ${JSON.stringify(exit)}`)
  return Object.fromEntries(exit.value)
}

const liveInstances = (state: WorldSnapshot) =>
  state.instances.filter((i) => i.state === "running" || i.state === "pending")

/** The images the groups' live members run. */
const memberImages = (state: WorldSnapshot): ReadonlySet<string> => {
  const members = new Set(state.groups.flatMap((g) => g.instances.map((m) => m.instanceId)))
  return new Set(
    liveInstances(state)
      .filter((i) => members.has(i.instanceId))
      .map((i) => i.imageId),
  )
}

/** A plan of the world as it is now, under `policy`. */
const planOf = async (world: World, policy: RolloutPolicy) => {
  const observed = await world.run(
    observeCluster(world.clusterName),
    makeMemoryEventLog(emptyMemoryStorage()),
  )
  if (!Exit.isSuccess(observed)) throw new Error(`observing failed: ${JSON.stringify(observed)}`)
  return planRollout(observed.value, policy, observed.value.observedAt)
}

/** How often a service's tasks moved, from the world's task records: every task it started but the first. */
const movesOf = (state: WorldSnapshot, serviceName: string): number =>
  state.tasks.filter((task) => task.group === `service:${serviceName}`).length - 1

/** Spells with no healthy task of a service while it wanted some, from the world's health timeline. */
const outagesOf = (world: World, serviceName: string): number => {
  const timeline =
    world.simulation.metrics().services.find((s) => s.service === `${world.clusterName}/${serviceName}`)
      ?.timeline ?? []
  return timeline.filter(
    (point, i) => point.desired > 0 && point.healthy === 0 && (timeline[i - 1]?.healthy ?? 1) > 0,
  ).length
}

describe("real cluster shapes, 30 minutes after the run", () => {
  it.each(["managed-scaling", "managed-draining", "scale-out-in-progress", "long-deregistration"])(
    "%s: succeeded, every group member on the new image, no service below its floor, group settings restored",
    async (name) => {
      const { world, before, after, result } = await runToEnd(name)
      expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
      expect(memberImages(after)).toEqual(new Set([newImageId]))
      expect(world.simulation.metrics().serviceSecondsBelowFloor).toBe(0)
      const managedScaling =
        scenarios[name]?.clusters[0]?.capacityProviders?.some((p) => p.managedScaling) === true
      const settingsAfter = groupSettingsOf(after).groups
      for (const [group, settings] of Object.entries(groupSettingsOf(before).groups)) {
        const now = settingsAfter[group]
        expect(now && { ...now, desiredCapacity: 0 }).toEqual({ ...settings, desiredCapacity: 0 })
        // Managed scaling is back on after the run and may have resized the group since; otherwise as found.
        if (!managedScaling) expect(now?.desiredCapacity).toBe(settings.desiredCapacity)
      }
      expect(after.groups.every((g) => !g.suspendedProcesses.includes("AlarmNotification"))).toBe(true)
    },
  )

  it("actor-mid-run: neither change is overwritten, the run succeeds, and the group keeps the last one", async () => {
    const world = makeWorld("actor-mid-run")
    const startedAt = world.simulation.now()
    const { result, after } = await runToEnd(world)
    expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    // Once a person set 34 (at 3 min) and a scheduled action 38 (at 5 min), the run never sets less.
    const actorsSetAt = (offsetMs: number) => (offsetMs >= 300_000 ? 38 : offsetMs >= 180_000 ? 34 : 0)
    const setBelowActors = world.simulation.callLog.flatMap((call) => {
      const desired = (call.input as { desiredCapacity?: number }).desiredCapacity
      return call.operation === "autoscaling:UpdateAutoScalingGroup" &&
        desired !== undefined &&
        desired < actorsSetAt(call.at - startedAt)
        ? [{ atMs: call.at - startedAt, desired }]
        : []
    })
    expect(setBelowActors).toEqual([])
    // Nor does it decrement below them: once 38 is adopted, its terminations leave desired capacity alone
    // and Auto Scaling replaces what they remove.
    const decrementedAfterActors = world.simulation.callLog.filter(
      (call) =>
        call.operation === "autoscaling:TerminateInstanceInAutoScalingGroup" &&
        call.at - startedAt >= 300_000 &&
        (call.input as { decrementDesiredCapacity?: boolean }).decrementDesiredCapacity === true,
    )
    expect(decrementedAfterActors).toEqual([])
    // The scheduled action's 38 came last; the run kept it as the group's capacity.
    expect(after.groups[0]?.desiredCapacity).toBe(38)
    // The person's scale-in (Auto Scaling reacts 10 s after 3 min) terminates instances of its own choosing,
    // undrained (the group has no managed draining): a service may drop below its floor then, and only then.
    const spellStarts = world.simulation.metrics().services.flatMap((service) =>
      service.timeline.flatMap((point, i) => {
        const below = (p: typeof point | undefined) => p !== undefined && p.desired > 0 && p.healthy < p.floor
        return below(point) && !below(service.timeline[i - 1]) ? [point.at - startedAt] : []
      }),
    )
    expect(spellStarts.filter((at) => at !== 190_000)).toEqual([])
    expect(memberImages(after)).toEqual(new Set([newImageId]))
  })

  it("unmanaged-instance: the group is replaced and the outcome names the instance no run can replace", async () => {
    const { result, after } = await runToEnd("unmanaged-instance")
    const members = new Set(after.groups.flatMap((g) => g.instances.map((m) => m.instanceId)))
    const outside = liveInstances(after).filter((i) => !members.has(i.instanceId))
    expect(outside).toHaveLength(1)
    expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    expect(result._tag === "Finished" ? result.reason : "").toContain(
      `outside any Auto Scaling group (no run can replace them; replace them by hand): ${outside[0]?.instanceId}`,
    )
  })

  it("termination-protected, detach mode: refused before any mutating call, naming the protected instance and the fix", async () => {
    const { world, result, before, after } = await runToEnd("termination-protected", {
      capacityMode: "detach",
    })
    const protectedId = world.simulation
      .snapshotState()
      .instances.find((i) => i.terminationProtected)?.instanceId
    expect(protectedId).toBeDefined()
    expect(result).toMatchObject({ _tag: "Refused" })
    expect(JSON.stringify(result)).toContain(`EC2 termination protection (${protectedId})`)
    expect(JSON.stringify(result)).toContain("--capacity-mode surge")
    expect(world.simulation.callLog.filter((call) => call.mutating)).toEqual([])
    // Asked once per old member, through the attribute DescribeInstances does not report.
    const asked = world.simulation.callLog.filter(
      (call) => call.operation === "ec2:DescribeInstanceAttribute",
    )
    expect(asked).toHaveLength(before.instances.length)
    expect(memberImages(after)).toEqual(memberImages(before))
  })

  it("termination-protected, surge mode: Auto Scaling terminates the protected instance like the others, without asking EC2", async () => {
    const { world, result, after } = await runToEnd("termination-protected")
    expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    expect(memberImages(after)).toEqual(new Set([newImageId]))
    expect(world.simulation.callLog.some((call) => call.operation === "ec2:DescribeInstanceAttribute")).toBe(
      false,
    )
    expect(world.simulation.metrics().serviceSecondsBelowFloor).toBe(0)
  })

  it("ssm-template: plan says the template stops following the operator's parameter; the run does exactly that and succeeds", async () => {
    const world = makeWorld("ssm-template")
    const observed = await world.run(
      observeCluster(world.clusterName),
      makeMemoryEventLog(emptyMemoryStorage()),
    )
    if (!Exit.isSuccess(observed)) throw new Error(`observing failed: ${JSON.stringify(observed)}`)
    const plan = planRollout(observed.value, defaultPolicy, observed.value.observedAt)
    expect(plan.warnings.join("\n")).toContain(
      `takes its image from SSM parameter /platform/golden-ami (resolve:ssm:/platform/golden-ami)`,
    )
    expect(plan.warnings.join("\n")).toContain(`the run writes ${newImageId} into it as a literal AMI id`)

    const { world: after, result } = await runToEnd("ssm-template")
    expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    expect(Object.values(await storedTemplateImages(after))).toEqual([newImageId])
  })

  it("ssm-template with the parameter pointed at the new image first: no warning, the template keeps its reference, every instance is replaced", async () => {
    const base = scenarios["ssm-template"] as Scenario
    const world = makeWorldOf({
      ...base,
      faults: {
        ...base.faults,
        ssmParameterChanges: [{ atMs: 1_000, name: "/platform/golden-ami", value: newImageId }],
      },
    })
    world.simulation.advance(2_000)
    const observed = await world.run(
      observeCluster(world.clusterName),
      makeMemoryEventLog(emptyMemoryStorage()),
    )
    if (!Exit.isSuccess(observed)) throw new Error(`observing failed: ${JSON.stringify(observed)}`)
    expect(
      planRollout(observed.value, defaultPolicy, observed.value.observedAt).warnings.join("\n"),
    ).not.toContain("SSM parameter /platform/golden-ami")

    const { result, after } = await runToEnd(world)
    expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    expect(memberImages(after)).toEqual(new Set([newImageId]))
    expect(Object.values(await storedTemplateImages(world))).toEqual(["resolve:ssm:/platform/golden-ami"])
  })

  it("ssm-template rolled back (the new image's agents never register): the template follows the operator's parameter again, as plan promised", async () => {
    const base = scenarios["ssm-template"] as Scenario
    const world = makeWorldOf({
      ...base,
      faults: { ...base.faults, agentNeverRegisters: { imageIds: [newImageId] } },
    })
    const { result, before, after } = await runToEnd(world)
    expect(result).toMatchObject({ _tag: "Finished", outcome: "rolled-back" })
    expect(memberImages(after)).toEqual(memberImages(before))
    expect(Object.values(await storedTemplateImages(world))).toEqual(["resolve:ssm:/platform/golden-ami"])
  })

  it("a standalone task that never ends on a later wave's instance, policy wait: the drain times out after earlier waves were replaced, the rollback halts, and the outcome names the mixed fleet", async () => {
    const world = makeWorld("daemon-and-standalone")
    const neverEnding = world.simulation
      .snapshotState()
      .tasks.find((task) => task.serviceName === undefined && task.group === "family:consumer")
    const { result, after } = await runToEnd(world, {
      standaloneTasks: "wait",
      maxSurge: { unit: "instances", value: 1 },
      maxDraining: { unit: "instances", value: 1 },
    })
    const heldInstance = world.simulation
      .snapshotState()
      .containerInstances.find(
        (container) => container.containerInstanceArn === neverEnding?.containerInstanceArn,
      )?.ec2InstanceId
    expect(heldInstance).toBeDefined()
    const members = new Set(after.groups.flatMap((g) => g.instances.map((m) => m.instanceId)))
    const onNewImage = liveInstances(after)
      .filter((i) => members.has(i.instanceId) && i.imageId === newImageId)
      .map((i) => i.instanceId)
    // Earlier waves were replaced before the held one: the rollback stops with them on the new image.
    expect(onNewImage.length).toBeGreaterThan(0)
    expect(result).toMatchObject({ _tag: "Finished", outcome: "halted" })
    const reason = result._tag === "Finished" ? result.reason : ""
    for (const instanceId of onNewImage) expect(reason).toContain(instanceId)
    expect(reason).toContain(heldInstance ?? "")
    expect(world.simulation.metrics().serviceSecondsBelowFloor).toBe(0)
  })

  it("zone-without-capacity: balancing stops after the first launch that lands elsewhere; the run succeeds with a warning to act on the AZRebalance it leaves suspended", async () => {
    const { world, result, after } = await runToEnd("zone-without-capacity")
    const start = groupSettingsOf(world.simulation.snapshotState()).groups["standard-asg"]
    const balancingLaunches = world.simulation.callLog.filter(
      (call) =>
        call.operation === "autoscaling:UpdateAutoScalingGroup" &&
        (call.input as { desiredCapacity?: number }).desiredCapacity === (start?.desiredCapacity ?? 0) + 1,
    )
    expect(balancingLaunches).toHaveLength(1)
    expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    const reason = result._tag === "Finished" ? result.reason : ""
    expect(reason).toContain("WARNING, act on it: AZRebalance stays suspended on standard-asg")
    expect(reason).toContain("Auto Scaling could not launch into us-east-1c")
    expect(reason).toContain(
      "aws autoscaling resume-processes --auto-scaling-group-name standard-asg --scaling-processes AZRebalance",
    )
    expect(after.groups[0]?.suspendedProcesses).toContain("AZRebalance")
    expect(memberImages(after)).toEqual(new Set([newImageId]))
    expect(world.simulation.metrics().serviceSecondsBelowFloor).toBe(0)
  })

  it("a single-task service at min 100 / max 100 with unsafeServices proceed: the planner's predicted stall is acted on (its task is stopped at once so ECS starts it on new capacity), not waited out to the drain timeout", async () => {
    const base = scenarios.small as Scenario
    const [first, ...rest] = base.services
    if (first === undefined) throw new Error("small has no service")
    const pinned = { ...first, desiredCount: 1, minimumHealthyPercent: 100, maximumPercent: 100 }
    const world = makeWorldOf({ ...base, services: [pinned, ...rest] })
    const observed = await world.run(
      observeCluster(world.clusterName),
      makeMemoryEventLog(emptyMemoryStorage()),
    )
    if (!Exit.isSuccess(observed)) throw new Error(`observing failed: ${JSON.stringify(observed)}`)
    const policy = { ...defaultPolicy, unsafeServices: "proceed" as const }
    expect(planRollout(observed.value, policy, observed.value.observedAt).warnings.join("\n")).toContain(
      `the run stops its task(s) on each wave it drains, so ECS starts them on new capacity (a brief outage of ${pinned.name})`,
    )

    const { result, before, after } = await runToEnd(world)
    expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
    expect(memberImages(after)).toEqual(new Set([newImageId]))
    const stops = world.simulation.callLog.filter((call) => call.operation === "ecs:StopTask")
    expect(stops.length).toBeGreaterThan(0)
    // Well inside one drain timeout (30 min), where waiting the stall out would have ended in a rollback.
    expect(after.now - settleMs - before.now).toBeLessThan(defaultPolicy.timeouts.drainWaveMs)
    const service = after.services.find((candidate) => candidate.serviceName === pinned.name)
    expect(service?.healthyCount).toBe(1)
  })

  it("single-task-outage, over 12 seeds (where ECS placed the tasks): the min 0 / max 100 single task moves once with one outage, as the plan promises, and every single-task service the plan promises one move moves once", async () => {
    const policy = { ...defaultPolicy, unsafeServices: "proceed" as const }
    for (let seed = 1; seed <= 12; seed++) {
      const world = makeWorld("single-task-outage", { seed })
      const promises = (await planOf(world, policy)).warnings.filter((w) => w.includes("runs a single task"))
      expect(promises.find((w) => w.startsWith("service solo "))).toContain("it moves once")
      const { result, after } = await runToEnd(world)
      expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
      // ECS keeps a stopped task's record for an hour: longer than the run and its settling.
      expect({ seed, moves: movesOf(after, "solo"), outages: outagesOf(world, "solo") }).toEqual({
        seed,
        moves: 1,
        outages: 1,
      })
      for (const promise of promises.filter((w) => w.includes("it moves once")))
        expect({ seed, promise, moves: movesOf(after, promise.split(" ")[1] ?? "") }).toEqual({
          seed,
          promise,
          moves: 1,
        })
      expect(world.simulation.metrics().serviceSecondsBelowFloor).toBe(0)
    }
  })
})
