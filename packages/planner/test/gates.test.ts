/**
 * Given/when/then tests of the gates and checkpoints (gates.ts) on the tiny model: the service gate
 * against the start baseline, the alarm gate's refusal at the start, checkpoints, and old logs.
 */
import { type ClusterSnapshot, type Decision, defaultPolicy, type Service } from "@ecs-ami-deploy/domain"
import { describe, expect, it } from "vitest"
import { awaitingContinue, decide, initialState } from "../src/index.ts"
import { buildCluster, policy } from "./fixtures.ts"
import { carryOut, decideNow, is, newWorld, runUntil, type World } from "./model.ts"

const cluster = () =>
  buildCluster({
    groups: [{ name: "a", old: 4 }],
    services: [
      { name: "web", tasks: 4 },
      { name: "jobs", tasks: 2 },
    ],
  })

const withService = (snapshot: ClusterSnapshot, name: string, change: (s: Service) => Service) => ({
  ...snapshot,
  services: snapshot.services.map((s) => (s.serviceName === name ? change(s) : s)),
})

/** The service with one PRIMARY deployment in `rolloutState`, reporting `failed` failed tasks. */
const deployment =
  (failed: number, rolloutState: "COMPLETED" | "FAILED" = "COMPLETED") =>
  (service: Service): Service => ({
    ...service,
    deployments: [
      {
        id: `ecs-svc/${service.serviceName}`,
        status: "PRIMARY",
        rolloutState,
        desiredCount: service.desiredCount,
        runningCount: service.runningCount,
        pendingCount: 0,
        failedTasks: failed,
      },
    ],
  })
const failedTasks = (count: number) => deployment(count)

/** The run just after its first wave's new capacity was asked for. */
const launching = (world: World) =>
  runUntil(world, (d) => d._tag === "Act" && d.commands.some((c) => c._tag === "SetCapacity")).world

const isGateFail = (d: Decision) => d._tag === "Gate" && d.step._tag === "Fail"

describe("service gate", () => {
  it("given a service the run moves whose failed tasks grow by 3, when deciding, then the gate fails naming it, and the run rolls back", () => {
    const world = launching(newWorld(withService(cluster(), "web", failedTasks(1)), policy()))
    const failing = { ...world, snapshot: withService(world.snapshot, "web", failedTasks(4)) }
    const decision = decideNow(failing)
    expect(decision).toMatchObject({
      _tag: "Gate",
      step: { _tag: "Fail", gate: { kind: "service", name: "web" }, action: "rollback" },
    })
    expect(decision._tag === "Gate" ? decision.step.reason : "").toContain("ECS failedTasks 1 → 4")
    const after = carryOut(failing, decision)
    expect(decideNow(after)).toMatchObject({
      _tag: "RollBack",
      reason: expect.stringContaining("service web"),
    })
  })

  it("given failed tasks that were there at the start and do not grow, when deciding, then the run goes on", () => {
    const world = launching(newWorld(withService(cluster(), "web", failedTasks(7)), policy()))
    expect(isGateFail(decideNow(world))).toBe(false)
  })

  it("given a deployment ECS marks FAILED during the run, when deciding, then the gate fails naming the deployment; halt finishes failed", () => {
    const world = launching(
      newWorld(withService(cluster(), "jobs", deployment(0)), policy({ onGateFailure: "halt" })),
    )
    const failed = withService(world.snapshot, "jobs", deployment(0, "FAILED"))
    const decision = decideNow({ ...world, snapshot: failed })
    expect(decision).toMatchObject({ _tag: "Gate", step: { gate: { name: "jobs" }, action: "halt" } })
    const after = carryOut({ ...world, snapshot: failed }, decision)
    const halted = decideNow(after)
    expect(halted).toMatchObject({ _tag: "Finish", outcome: "failed" })
    expect(halted._tag === "Finish" ? halted.reason : "").toContain("onGateFailure=halt")
  })

  it("given a run recorded before the service gate (no baseline), when failed tasks grow, then no gate trips", () => {
    const world = launching(newWorld(cluster(), policy()))
    const state = world.state
    if (state._tag !== "Running") throw new Error("expected a running run")
    const { serviceHealthAtStart: _, ...oldFacts } = state.run
    const old = { ...world, state: { ...state, run: oldFacts } }
    expect(
      isGateFail(decideNow({ ...old, snapshot: withService(world.snapshot, "web", failedTasks(9)) })),
    ).toBe(false)
  })
})

describe("target health gate", () => {
  const webTargetGroup =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-tg/0123456789abcdef"
  /** The run just after its first launch, web behind `web-tg` whose targets are in `states`. */
  const withTargets = (
    states: ReadonlyArray<"healthy" | "unhealthy" | "initial" | "draining">,
    overrides: Parameters<typeof policy>[0] = {},
  ): World => {
    const world = launching(newWorld(cluster(), policy(overrides)))
    const snapshot = withService(world.snapshot, "web", (s) => ({ ...s, targetGroupArns: [webTargetGroup] }))
    return {
      ...world,
      snapshot: {
        ...snapshot,
        targetHealth: [
          {
            targetGroupArn: webTargetGroup,
            targets: states.map((state, index) => ({
              targetId: `i-${index}`,
              port: 80,
              state,
              ...(state === "unhealthy" ? { reason: "Target.FailedHealthChecks" } : {}),
            })),
          },
        ],
      },
    }
  }

  it("given a moved service with targets failing and fewer healthy than its floor, when deciding, then the gate fails naming the service, the target group and the counts", () => {
    const decision = decideNow(withTargets(["healthy", "unhealthy", "unhealthy", "unhealthy"]))
    expect(decision).toMatchObject({
      _tag: "Gate",
      step: { _tag: "Fail", gate: { kind: "service", name: "web" }, action: "rollback" },
    })
    expect(decision._tag === "Gate" && decision.step._tag === "Fail" ? decision.step.gate.detail : "").toBe(
      `target group web-tg has 1 healthy target(s) of 4 registered, below the service's floor of 4; 3 fail their health checks (Target.FailedHealthChecks) — ${webTargetGroup}`,
    )
  })

  it.each([
    ["targets only starting or leaving (a drain)", ["healthy", "initial", "draining", "draining"], true],
    ["every target healthy", ["healthy", "healthy", "healthy", "healthy"], true],
    ["the gate turned off", ["unhealthy", "unhealthy", "unhealthy", "unhealthy"], false],
  ] as const)("given %s, when deciding, then the run goes on", (_, states, targetHealthGate) => {
    expect(isGateFail(decideNow(withTargets(states, { targetHealthGate })))).toBe(false)
  })

  it("given a run recorded before the gate (no targetHealthGate: off), when targets fail, then no gate trips", () => {
    const world = withTargets(["unhealthy", "unhealthy", "unhealthy", "unhealthy"])
    const state = world.state
    if (state._tag !== "Running") throw new Error("expected a running run")
    const { targetHealthGate: _, ...recorded } = state.run.policy
    const old = { ...world, state: { ...state, run: { ...state.run, policy: recorded } } }
    expect(isGateFail(decideNow(old))).toBe(false)
  })
})

describe("alarm gate at the start", () => {
  const alarm = (state: "OK" | "ALARM") => ({
    alarmName: "HighErrors",
    alarmArn: "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:HighErrors",
    state,
    stateReason: "Threshold Crossed",
    stateUpdatedAt: 0,
  })

  it.each([
    ["in ALARM", [alarm("ALARM")], "in ALARM since"],
    ["missing", [], "not found"],
  ])(
    "given a named alarm %s, when a run would start, then decide refuses naming it",
    (_, alarms, problem) => {
      const decision = decide(initialState, { ...cluster(), alarms }, policy({ alarms: ["HighErrors"] }), 0)
      expect(decision._tag).toBe("Refuse")
      expect(decision._tag === "Refuse" ? decision.problems[0]?.problem : "").toContain(problem)
    },
  )

  it("given the alarm named by an ARN of another account, when a run would start, then it is not found", () => {
    const decision = decide(
      initialState,
      { ...cluster(), alarms: [alarm("OK")] },
      policy({ alarms: ["arn:aws:cloudwatch:eu-west-1:999999999999:alarm:HighErrors"] }),
      0,
    )
    expect(decision._tag === "Refuse" ? decision.problems[0]?.problem : decision._tag).toContain("not found")
  })

  it("given the alarm OK, when a run would start, then it starts", () => {
    expect(
      decide(initialState, { ...cluster(), alarms: [alarm("OK")] }, policy({ alarms: ["HighErrors"] }), 0)
        ._tag,
    ).toBe("Start")
  })
})

describe("checkpoints", () => {
  it("given checkpoints 25% and 50% and waves of 2 of 4, when a wave would cross 25%, then it stops there: one instance replaced, checkpoint 25% reached and awaits continue", () => {
    const world = newWorld(cluster(), policy({ checkpoints: [25, 50] }))
    const reached = runUntil(world, (d) => d._tag === "Gate")
    const decision = reached.steps.at(-1)?.decision
    expect(decision).toMatchObject({
      _tag: "Gate",
      step: { _tag: "ReachCheckpoint", percent: 25, replaced: 1, of: 4 },
    })
    const after = carryOut(reached.world, decision as Decision)
    expect(decideNow(after)).toMatchObject({ _tag: "Gate", step: { _tag: "AwaitContinue", percent: 25 } })
    expect(awaitingContinue(after.state)).toMatchObject({ percent: 25 })
  })

  it("given the default policy (one wave of the whole group) and a checkpoint at 50%, then the first wave takes half the group and the run pauses with 2 of 4 replaced", () => {
    const world = newWorld(cluster(), { ...defaultPolicy, checkpoints: [50] })
    const reached = runUntil(world, (d) => d._tag === "Gate")
    const drains = reached.steps.flatMap((step) =>
      step.decision._tag === "Act"
        ? step.decision.commands.flatMap((c) => (c._tag === "DrainInstances" ? [c.instanceIds.length] : []))
        : [],
    )
    expect(drains).toEqual([2])
    expect(reached.steps.at(-1)?.decision).toMatchObject({
      _tag: "Gate",
      step: { _tag: "ReachCheckpoint", percent: 50, replaced: 2, of: 4 },
    })
  })

  it("given a run started before waves stopped at checkpoints (decider version 2), then its wave of 2 crosses 25% and the run pauses at 50%", () => {
    const world = newWorld(cluster(), policy({ checkpoints: [25, 50] }))
    const started = runUntil(world, (d) => d._tag === "Act").world
    if (started.state._tag !== "Running") throw new Error("expected an open run")
    const before: World = {
      ...started,
      state: { ...started.state, run: { ...started.state.run, deciderVersion: 2 } },
    }
    const reached = runUntil(before, (d) => d._tag === "Gate")
    expect(reached.steps.at(-1)?.decision).toMatchObject({
      _tag: "Gate",
      step: { _tag: "ReachCheckpoint", percent: 50, replaced: 2, of: 4 },
    })
  })

  it("given a checkpoint with a delay, when it is reached, then the run waits in phase checkpoint until the delay has passed", () => {
    const world = newWorld(cluster(), policy({ checkpoints: [50], checkpointDelayMs: 600_000 }))
    const reached = runUntil(world, is("Gate"))
    const after = carryOut(reached.world, reached.steps.at(-1)?.decision as Decision)
    expect(decideNow(after)).toMatchObject({
      _tag: "Wait",
      phase: "checkpoint",
      deadline: after.now + 600_000,
    })
    expect(decideNow({ ...after, now: after.now + 600_000 })._tag).not.toBe("Wait")
    expect(awaitingContinue(after.state)).toBeUndefined()
  })
})
