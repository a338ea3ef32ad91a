/**
 * The plan view: what a run would do, its warnings and its refusals, as data and as text.
 */
import { type ClusterSnapshot } from "@ecs-ami-deploy/domain"
import { describe, expect, it } from "vitest"
import { decide, imageFamily, initialState, planRollout, renderPlanText } from "../src/index.ts"
import { ASSUMED_TIMINGS, estimateGroup } from "../src/plan-estimate.ts"
import { buildCluster, image, newImage, policy } from "./fixtures.ts"

const deepFreeze = <T>(value: T): T => {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}

describe("planRollout", () => {
  it("given two groups and an instance outside them, then it lists groups, outdated instances and waves, and reports the outsider", () => {
    const snapshot = buildCluster({
      groups: [
        { name: "a", old: 4 },
        { name: "b", old: 1, fresh: 1 },
      ],
      services: [{ name: "web", tasks: 5 }],
      outside: 1,
    })
    const plan = planRollout(deepFreeze(snapshot), policy(), 7)
    expect(plan.verdict).toBe("ready")
    expect(plan.plannedAt).toBe(7)
    expect(
      plan.groups.map((g) => [g.asgName, g.outdatedInstanceIds.length, g.waveSize, g.launchSpecOutdated]),
    ).toEqual([
      ["a", 4, 2, true],
      ["b", 1, 1, true],
    ])
    expect(plan.outdatedInstances.map((o) => o.instanceId)).toEqual([
      "i-a-o0",
      "i-a-o1",
      "i-a-o2",
      "i-a-o3",
      "i-b-o0",
    ])
    expect(plan.waves.map((w) => [w.asgName, w.wave, w.instanceIds])).toEqual([
      ["a", 1, ["i-a-o0", "i-a-o1"]],
      ["a", 2, ["i-a-o2", "i-a-o3"]],
      ["b", 1, ["i-b-o0"]],
    ])
    // Five web tasks round-robin over five old instances: one displaced per instance.
    expect(plan.waves.map((w) => w.displacedServices)).toEqual([
      [{ serviceName: "web", tasks: 2 }],
      [{ serviceName: "web", tasks: 2 }],
      [{ serviceName: "web", tasks: 1 }],
    ])
    expect(plan.instancesOutsideGroups).toEqual(["i-outside-0"])
    expect(plan.warnings.join("\n")).toContain("i-outside-0")
  })

  it("given a service of 4 tasks at min 100% / max 120%, then the fix names the smallest maximumPercent (125) or minimumHealthyPercent (75) that lets a drain move a task", () => {
    const snapshot = buildCluster({
      groups: [{ name: "a", old: 2 }],
      services: [{ name: "tight", tasks: 4, min: 100, max: 120 }],
    })
    const [problem] = planRollout(snapshot, policy(), 0).problems
    expect(problem?.problem).toContain(
      "service tight (min 100%, max 120%, 4 tasks) can neither stop nor start a task",
    )
    expect(problem?.fix).toContain("raise tight's maximumPercent to at least 125")
    expect(problem?.fix).toContain("lower its minimumHealthyPercent to 75 or less")
    expect(problem?.fix).toContain("--unsafe-services proceed")
  })

  it("given a service of one task at minimum 0%, then the plan refuses it by default and only warns when the policy proceeds", () => {
    const snapshot = buildCluster({
      groups: [{ name: "a", old: 2 }],
      services: [{ name: "solo", tasks: 1, min: 0, max: 100 }],
    })
    const refused = planRollout(snapshot, policy(), 0)
    expect(refused.verdict).toBe("refused")
    expect(refused.problems.map((p) => p.problem).join()).toContain("solo")
    expect(refused.problems[0]?.fix).toContain("--unsafe-services proceed")
    const proceeding = planRollout(snapshot, policy({ unsafeServices: "proceed" }), 0)
    expect(proceeding.verdict).toBe("ready")
    expect(proceeding.warnings.join("\n")).toContain("solo")
    expect(proceeding.warnings.join("\n")).toContain("single task")
  })

  it("given a service at minimum 0% with tasks on two instances, then surge waves keep one running and the plan says so instead of refusing; detach mode and tasks on one instance are still refused", () => {
    const spread = buildCluster({
      groups: [{ name: "a", old: 2 }],
      services: [{ name: "jobs", tasks: 2, min: 0, max: 100 }],
    })
    const surge = planRollout(spread, policy(), 0)
    expect(surge.verdict).toBe("ready")
    expect(surge.warnings.join("\n")).toContain("each wave keeps one of its tasks running")
    const detach = planRollout(spread, policy({ capacityMode: "detach" }), 0)
    expect(detach.verdict).toBe("refused")
    expect(detach.problems.map((p) => p.problem).join()).toContain("jobs")
    const together = buildCluster({
      groups: [{ name: "a", old: 1 }],
      services: [{ name: "jobs", tasks: 2, min: 0, max: 100 }],
    })
    expect(planRollout(together, policy(), 0).verdict).toBe("refused")
  })

  it("given a service at minimum 100% and maximum 100%, then the plan names it as one a drain cannot move", () => {
    const snapshot = buildCluster({
      groups: [{ name: "a", old: 2 }],
      services: [{ name: "stuck", tasks: 2, min: 100, max: 100 }],
    })
    const decision = decide(initialState, snapshot, policy(), 0)
    expect(
      decision._tag === "Refuse" && decision.problems.map((p) => `${p.problem} ${p.fix}`).join(),
    ).toContain("stuck")
  })

  it("given an arm64 target for x86_64 instances, then the plan refuses and says which image to choose", () => {
    const snapshot: ClusterSnapshot = {
      ...buildCluster({ groups: [{ name: "a", old: 1 }] }),
      targetImage: { ...newImage, architecture: "arm64" },
    }
    const plan = planRollout(snapshot, policy(), 0)
    expect(plan.verdict).toBe("refused")
    expect(plan.problems[0]?.fix).toContain("x86_64")
  })

  it("given a group managed by a capacity provider, scale-in protected and Standby instances, then each is a warning", () => {
    const base = buildCluster({
      groups: [
        {
          name: "a",
          old: 3,
          capacityProvider: {
            name: "cp-a",
            managedScaling: true,
            managedTerminationProtection: true,
            managedDraining: false,
          },
        },
      ],
    })
    const snapshot: ClusterSnapshot = {
      ...base,
      groups: base.groups.map((g) => ({
        ...g,
        instances: g.instances.map((m, k) => ({
          ...m,
          protectedFromScaleIn: k === 0,
          lifecycleState: k === 1 ? ("Standby" as const) : m.lifecycleState,
        })),
      })),
    }
    const plan = planRollout(snapshot, policy(), 0)
    const warnings = plan.warnings.join("\n")
    expect(warnings).toContain("ECS managed scaling of capacity provider cp-a")
    expect(plan.groups[0]?.suspendedDuringRun).toEqual(["AZRebalance", "AlarmNotification"])
    expect(warnings).toContain("i-a-o0 of a is scale-in protected")
    expect(warnings).toContain("i-a-o1 of a is in Standby and stays")
    expect(plan.groups[0]?.skippedInstances).toEqual([
      { instanceId: "i-a-o1", reason: "Standby (policy standbyInstances=skip)" },
    ])
  })

  it("given Standby instances to replace in detach mode, then the plan refuses and suggests surge mode", () => {
    const base = buildCluster({ groups: [{ name: "a", old: 2 }] })
    const snapshot: ClusterSnapshot = {
      ...base,
      groups: base.groups.map((g) => ({
        ...g,
        instances: g.instances.map((m, k) => ({
          ...m,
          lifecycleState: k === 0 ? ("Standby" as const) : m.lifecycleState,
        })),
      })),
    }
    const plan = planRollout(snapshot, policy({ capacityMode: "detach", standbyInstances: "replace" }), 0)
    expect(plan.problems.map((p) => p.fix)).toEqual([
      'use --capacity-mode surge, or --standby-instances skip (library: capacityMode: "surge" or standbyInstances: "skip")',
    ])
    expect(planRollout(snapshot, policy({ standbyInstances: "replace" }), 0).verdict).toBe("ready")
  })

  it("given forceReplacement, then instances already on the target image are replaced too", () => {
    const snapshot = buildCluster({ groups: [{ name: "a", old: 0, fresh: 2 }] })
    expect(planRollout(snapshot, policy(), 0).outdatedInstances).toEqual([])
    expect(
      planRollout(snapshot, policy({ forceReplacement: true }), 0).outdatedInstances.map((o) => o.instanceId),
    ).toEqual(["i-a-n0", "i-a-n1"])
  })

  it("given a standalone task on an old instance, then its wave counts it and a warning names the policy", () => {
    const plan = planRollout(
      buildCluster({ groups: [{ name: "a", old: 2 }], standalone: ["i-a-o1"] }),
      policy(),
      0,
    )
    expect(plan.waves.map((w) => w.standaloneTasks)).toEqual([0, 1])
    expect(plan.warnings.join("\n")).toContain("standaloneTasks=wait")
  })
})

describe("imageFamily", () => {
  it.each([
    ["al2023-ami-ecs-hvm-2023.0.20240101-kernel-6.1-x86_64", "al2023"],
    ["amzn2-ami-ecs-hvm-2.0.20240101-x86_64-ebs", "al2"],
    ["bottlerocket-aws-ecs-2-x86_64-v1.20.0", "bottlerocket"],
    ["my-golden-image-42", "other"],
  ])("%s is %s", (name, family) => {
    expect(imageFamily(name)).toBe(family)
  })
})

describe("renderPlanText", () => {
  it("shows the verdict, target, groups, waves, warnings and each refusal with its fix", () => {
    const snapshot = {
      ...buildCluster({ groups: [{ name: "a", old: 2 }], services: [{ name: "solo", tasks: 1, min: 0 }] }),
      targetImage: image("ami-new", newImage.name),
    }
    const text = renderPlanText(planRollout(snapshot, policy(), 0))
    expect(text).toContain("Cluster ci: refused")
    expect(text).toContain("Target image ami-new")
    expect(text).toContain("Group a: desired 2")
    // The single task's instance drains last (single-task-moves.ts).
    expect(text).toContain("wave 1 of a: i-a-o1")
    expect(text).toContain("wave 2 of a: i-a-o0 — moves solo×1")
    expect(text).toMatch(/Refused:\n {2}- service solo.*\n {4}fix: /)
  })
})

describe("plan: capped limits, instances added and estimated duration", () => {
  const snapshot = buildCluster({ groups: [{ name: "a", old: 4 }], services: [{ name: "web", tasks: 4 }] })

  it("given --max-surge 100% under --max-draining 50%, then the plan warns that draining caps the surge, and not once both allow the same", () => {
    const capped = planRollout(snapshot, policy({ maxSurge: { unit: "percent", value: 100 } }), 0)
    expect(capped.warnings.filter((w) => w.includes("is capped by --max-draining 50%"))).toHaveLength(1)
    expect(capped.groups[0]?.waveSize).toBe(2)
    const both = planRollout(
      snapshot,
      policy({ maxSurge: { unit: "percent", value: 100 }, maxDraining: { unit: "percent", value: 100 } }),
      0,
    )
    expect(both.warnings.filter((w) => w.includes("is capped by"))).toEqual([])
    expect(both.groups[0]?.waveSize).toBe(4)
    const drainingCapped = planRollout(snapshot, policy({ maxDraining: { unit: "percent", value: 100 } }), 0)
    expect(
      drainingCapped.warnings.filter((w) => w.includes("--max-draining 100% (4 instance(s)) is capped by")),
    ).toHaveLength(1)
  })

  it("given a group, then the plan shows per wave and in total the instances added, and an estimate that grows with the waves", () => {
    const twoWaves = planRollout(snapshot, policy(), 0).groups[0]?.estimate
    const oneWave = planRollout(
      snapshot,
      policy({ maxSurge: { unit: "percent", value: 100 }, maxDraining: { unit: "percent", value: 100 } }),
      0,
    ).groups[0]?.estimate
    expect(twoWaves).toMatchObject({ waves: 2, instancesAddedPerWave: 2, instancesAddedInTotal: 4 })
    expect(oneWave).toMatchObject({ waves: 1, instancesAddedPerWave: 4, instancesAddedInTotal: 4 })
    expect(twoWaves?.estimatedDurationMs).toBe(2 * (oneWave?.estimatedDurationMs ?? 0))
    expect(renderPlanText(planRollout(snapshot, policy(), 0))).toContain(
      "adds 2 instance(s) per wave, 4 in total; 2 wave(s), estimated",
    )
  })
})

describe("estimateGroup", () => {
  it("given a wave moving a load-balanced service, then it lasts the assumed deregistration delay longer than one that does not", () => {
    const balanced = estimateGroup(2, 2, [[{ loadBalanced: true }, { loadBalanced: false }]])
    const plain = estimateGroup(2, 2, [[{ loadBalanced: false }]])
    expect(balanced.estimatedDurationMs - plain.estimatedDurationMs).toBe(
      ASSUMED_TIMINGS.deregistrationDelayMs,
    )
    expect(estimateGroup(0, 2, [])).toMatchObject({ waves: 0, estimatedDurationMs: 0 })
  })

  it("given a wave that keeps one task of a service at minimum 0 % running, then it lasts one replacement longer, and the plan of such a cluster says so", () => {
    const kept = estimateGroup(2, 2, [[{ loadBalanced: true }]], [true])
    const plain = estimateGroup(2, 2, [[{ loadBalanced: true }]])
    expect(kept.estimatedDurationMs - plain.estimatedDurationMs).toBe(ASSUMED_TIMINGS.replacementHealthyMs)
    const spread = buildCluster({
      groups: [{ name: "a", old: 2 }],
      services: [{ name: "jobs", tasks: 2, min: 0, max: 100 }],
    })
    const oneWave = planRollout(
      spread,
      policy({ maxSurge: { unit: "percent", value: 100 }, maxDraining: { unit: "percent", value: 100 } }),
      0,
    )
    const halves = planRollout(spread, policy(), 0)
    expect(oneWave.groups[0]?.estimate.estimatedDurationMs).toBe(
      estimateGroup(2, 2, [[{ loadBalanced: true }]], [true]).estimatedDurationMs,
    )
    // Waves of one instance each leave the other task running: nothing is kept out.
    expect(halves.groups[0]?.estimate.estimatedDurationMs).toBe(
      estimateGroup(2, 1, [[{ loadBalanced: true }], [{ loadBalanced: true }]]).estimatedDurationMs,
    )
  })
})
