import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import { decodeRunEvent, encodeRunEvent, EVENT_SCHEMA_VERSION } from "./events.ts"
import { alarmNameOf, alarmReferenceProblems } from "./gates.ts"
import { defaultPolicy, validatePolicy } from "./policy.ts"

const problemsOf = (policy: Parameters<typeof validatePolicy>[0]) => {
  const result = validatePolicy(policy)
  return Result.isFailure(result) ? result.failure.problems.map((p) => `${p.field}: ${p.problem}`) : []
}

describe("alarm references", () => {
  it("given a name or an alarm ARN, then the alarm name is the name or the ARN's last part", () => {
    expect(alarmNameOf("HighErrors")).toBe("HighErrors")
    expect(alarmNameOf("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:svc:5xx")).toBe("svc:5xx")
  })

  it("given 11 alarms, an SNS ARN, a control character and a duplicate, then each is a problem", () => {
    expect(alarmReferenceProblems(Array.from({ length: 11 }, (_, i) => `a${i}`))).toEqual([
      "11 alarms given, at most 10 are allowed (as for instance refresh)",
    ])
    expect(alarmReferenceProblems(["arn:aws:sns:eu-west-1:123456789012:topic"])[0]).toContain(
      "is not a CloudWatch alarm ARN",
    )
    expect(alarmReferenceProblems(["bad\nname"])[0]).toContain("is not a CloudWatch alarm name")
    expect(
      alarmReferenceProblems(["HighErrors", "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:HighErrors"]),
    ).toEqual(["alarm HighErrors is named twice"])
  })
})

describe("policy gates and checkpoints", () => {
  it("given alarms, checkpoints and a delay that fit, then the policy is valid", () => {
    expect(
      problemsOf({
        ...defaultPolicy,
        alarms: ["A", "B"],
        checkpoints: [25, 50, 100],
        checkpointDelayMs: 60_000,
      }),
    ).toEqual([])
  })

  it("given checkpoints out of order or out of range, or a delay without checkpoints, then each is named", () => {
    expect(problemsOf({ ...defaultPolicy, checkpoints: [50, 25] })[0]).toContain("checkpoints: 50, 25 is not")
    expect(problemsOf({ ...defaultPolicy, checkpoints: [0] })[0]).toContain("checkpoints:")
    expect(problemsOf({ ...defaultPolicy, checkpoints: [101] })[0]).toContain("checkpoints:")
    expect(problemsOf({ ...defaultPolicy, checkpointDelayMs: 1 })[0]).toContain("checkpointDelayMs:")
    expect(problemsOf({ ...defaultPolicy, alarms: ["arn:aws:s3:::bucket"] })[0]).toContain("alarms:")
  })
})

describe("gate and checkpoint events", () => {
  it("given the new events, when encoded and decoded, then they come back the same", async () => {
    const envelope = { schemaVersion: EVENT_SCHEMA_VERSION, runId: "r", seq: 3, at: 1_000 } as const
    const events = [
      {
        ...envelope,
        _tag: "GateFailed",
        gate: { kind: "alarm", name: "A", detail: "in ALARM" },
        action: "rollback",
      },
      { ...envelope, _tag: "CheckpointReached", percent: 25, replaced: 1, of: 4, resumesAt: 5_000 },
      { ...envelope, _tag: "CheckpointContinued", percent: 25, by: "alice" },
    ] as const
    for (const event of events)
      expect(await Effect.runPromise(decodeRunEvent(encodeRunEvent(event), "test"))).toEqual(event)
  })
})
