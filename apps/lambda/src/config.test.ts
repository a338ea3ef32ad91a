import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { defaultPolicy } from "@ecs-ami-deploy/domain"
import { defaultAmiSource, defaultDeadlineBufferMs, loadConfig } from "./config.ts"

const minimal = { CLUSTERS: "prod, staging", EVENT_LOG_TABLE: "runs", AWS_LAMBDA_FUNCTION_NAME: "ami-deploy" }

const problemsOf = (env: Record<string, string>) => {
  const result = loadConfig(env)
  if (Result.isSuccess(result)) throw new Error("expected the configuration to be refused")
  return result.failure.problems
}

describe("loadConfig", () => {
  it("given only the required variables, when loaded, then every knob keeps its default", () => {
    const config = Result.getOrThrow(loadConfig(minimal))
    expect(config).toEqual({
      clusters: ["prod", "staging"],
      policy: defaultPolicy,
      amiSource: defaultAmiSource,
      tableName: "runs",
      deadlineBufferMs: defaultDeadlineBufferMs,
      maxContinuations: 100,
      functionName: "ami-deploy",
    })
  })

  it("given policy knobs, when loaded, then they are converted to the policy's units", () => {
    const config = Result.getOrThrow(
      loadConfig({
        ...minimal,
        MAX_SURGE: "2",
        MAX_DRAINING: "25%",
        BAKE_TIME_SECONDS: "60",
        DRAIN_WAVE_TIMEOUT_MINUTES: "45",
        FORCE_REPLACEMENT: "true",
        CAPACITY_MODE: "detach",
        AMI_SOURCE: "ssm-parameter:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
        NOTIFICATION_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:ami-rollouts",
        DEADLINE_BUFFER_SECONDS: "45",
      }),
    )
    expect(config.policy).toEqual({
      ...defaultPolicy,
      maxSurge: { unit: "instances", value: 2 },
      maxDraining: { unit: "percent", value: 25 },
      bakeTimeMs: 60_000,
      timeouts: { ...defaultPolicy.timeouts, drainWaveMs: 45 * 60_000 },
      forceReplacement: true,
      capacityMode: "detach",
    })
    expect(config.amiSource).toEqual({
      _tag: "ssm-parameter",
      parameterName: "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
    })
    expect(config.notificationTopicArn).toBe("arn:aws:sns:eu-west-1:123456789012:ami-rollouts")
    expect(config.deadlineBufferMs).toBe(45_000)
  })

  it("given an image filter with owners, when loaded, then the owners are kept", () => {
    const config = Result.getOrThrow(
      loadConfig({ ...minimal, AMI_SOURCE: "image-filter:my-ecs-*@123456789012,amazon" }),
    )
    expect(config.amiSource).toEqual({
      _tag: "image-filter",
      namePattern: "my-ecs-*",
      owners: ["123456789012", "amazon"],
    })
  })

  it("given nothing, when loaded, then each required variable is named", () => {
    expect(problemsOf({}).map((p) => p.variable)).toEqual([
      "CLUSTERS",
      "EVENT_LOG_TABLE",
      "AWS_LAMBDA_FUNCTION_NAME",
    ])
  })

  it("given several malformed knobs, when loaded, then all of them are reported with the value found", () => {
    const problems = problemsOf({
      ...minimal,
      MAX_SURGE: "half",
      FORCE_REPLACEMENT: "yes",
      STANDALONE_TASKS: "kill",
      AMI_SOURCE: "pinned:latest",
      NOTIFICATION_TOPIC_ARN: "ami-rollouts",
    })
    expect(problems.map((p) => p.variable)).toEqual([
      "MAX_SURGE",
      "STANDALONE_TASKS",
      "FORCE_REPLACEMENT",
      "NOTIFICATION_TOPIC_ARN",
      "AMI_SOURCE",
    ])
    expect(problems[0]?.problem).toContain('"half"')
  })

  it("given knobs that parse but cannot work together, when loaded, then the policy's own check is reported", () => {
    const problems = problemsOf({ ...minimal, MAX_DRAINING: "0" })
    expect(problems).toEqual([
      { variable: "policy maxDraining", problem: expect.stringContaining("never replace an instance") },
    ])
  })

  it("given a cluster list of only separators, when loaded, then it is refused", () => {
    expect(problemsOf({ ...minimal, CLUSTERS: " , ," }).map((p) => p.variable)).toEqual(["CLUSTERS"])
  })
})
