import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { defaultPolicy } from "@ecs-ami-deploy/domain"
import { defaultAmiSourceSpec } from "@ecs-ami-deploy/strategies"
import {
  type ConfigInvalid,
  decodeSettings,
  defaultDeadlineBufferMs,
  deploymentVariables,
  loadConfig,
  settingNames,
} from "./config.ts"

const minimal = { CLUSTERS: "prod, staging", EVENT_LOG_TABLE: "runs", AWS_LAMBDA_FUNCTION_NAME: "ami-deploy" }

/** The problems of a refused configuration or settings; a test fails if they were accepted. */
const problemsIn = (result: Result.Result<unknown, ConfigInvalid>) => {
  if (Result.isSuccess(result)) throw new Error("expected the configuration to be refused")
  return result.failure.problems
}
const problemsOf = (env: Record<string, string>) => problemsIn(loadConfig(env))

describe("loadConfig", () => {
  it("given only the required variables, when loaded, then every knob keeps its default", () => {
    const config = Result.getOrThrow(loadConfig(minimal))
    expect(config).toEqual({
      clusters: ["prod", "staging"],
      policy: defaultPolicy,
      // The one default the CLI and the library use too.
      amiSource: defaultAmiSourceSpec,
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
        TARGET_HEALTH_GATE: "false",
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
      targetHealthGate: false,
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
      "NOTIFICATION_TOPIC_ARN",
      "MAX_SURGE",
      "STANDALONE_TASKS",
      "FORCE_REPLACEMENT",
      "AMI_SOURCE",
    ])
    expect(problems[1]?.problem).toContain('"half"')
  })

  it("given knobs that parse but cannot work together, when loaded, then the policy's own check is reported against the variable to change", () => {
    const problems = problemsOf({ ...minimal, MAX_DRAINING: "0", RUN_TIMEOUT_MINUTES: "10" })
    expect(problems).toEqual([
      { variable: "MAX_DRAINING", problem: expect.stringContaining("never replace an instance") },
      { variable: "RUN_TIMEOUT_MINUTES", problem: expect.stringContaining("shorter than one of its phases") },
    ])
  })

  it("given the Lambda runtime's own variables besides the configuration, when loaded, then they are ignored", () => {
    // The variables the Lambda runtime sets, reserved and not (AWS Lambda Developer Guide, "Defined runtime environment variables").
    const runtime = Object.fromEntries(
      [
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "AWS_XRAY_CONTEXT_MISSING",
        "AWS_XRAY_DAEMON_ADDRESS",
        "LANG",
        "PATH",
        "LD_LIBRARY_PATH",
        "NODE_PATH",
        "TZ",
      ].map((name) => [name, "x"]),
    )
    const config = Result.getOrThrow(loadConfig({ ...runtime, ...minimal, MAX_SURGE: "3" }))
    expect(config.policy.maxSurge).toEqual({ unit: "instances", value: 3 })
  })

  it("given a variable a letter or two from a setting's name, when loaded, then it is refused as a misspelt setting", () => {
    const problems = problemsOf({ ...minimal, MAX_SURGES: "2", max_draining: "1" })
    expect(problems.map((p) => p.variable)).toEqual(["MAX_SURGES", "max_draining"])
    expect(problems[0]?.problem).toMatch(/^is not a setting: did you mean MAX_SURGE\?/)
    expect(problems[1]?.problem).toMatch(/^is not a setting: did you mean MAX_DRAINING\?/)
  })

  it("given a cluster list of only separators, when loaded, then it is refused", () => {
    expect(problemsOf({ ...minimal, CLUSTERS: " , ," }).map((p) => p.variable)).toEqual(["CLUSTERS"])
  })
})

const settingsProblemsOf = (settings: Record<string, string>) => problemsIn(decodeSettings(settings))

describe("decodeSettings", () => {
  it("given settings, when decoded, then they are what the cold start makes of the same variables", () => {
    const settings = { MAX_SURGE: "2", CAPACITY_MODE: "detach", AMI_SOURCE: "pinned:ami-0123456789abcdef0" }
    const {
      clusters: _c,
      tableName: _t,
      functionName: _f,
      ...fromColdStart
    } = Result.getOrThrow(loadConfig({ ...minimal, ...settings }))
    expect(Result.getOrThrow(decodeSettings(settings))).toEqual(fromColdStart)
  })

  it("given a malformed amount and an unknown capacity mode, when decoded, then each names its key, the value found and the expected shape", () => {
    expect(settingsProblemsOf({ MAX_SURGE: "abc", CAPACITY_MODE: "fast" })).toEqual([
      {
        variable: "CAPACITY_MODE",
        problem: 'expected one of surge, detach, got "fast"',
      },
      {
        variable: "MAX_SURGE",
        problem: 'expected a number of instances (e.g. 2) or a percentage (e.g. 50%), got "abc"',
      },
    ])
  })

  it("given a misspelt key, when decoded, then it is refused with the setting it was probably meant to be", () => {
    const [problem, ...others] = settingsProblemsOf({ MAX_SURGES: "2" })
    expect(others).toEqual([])
    expect(problem?.variable).toBe("MAX_SURGES")
    expect(problem?.problem).toMatch(/^is not a setting: did you mean MAX_SURGE\? The settings are /)
    for (const name of settingNames) expect(problem?.problem).toContain(name)
  })

  it("given a key the deployment sets itself, when decoded, then it is refused with where its value comes from", () => {
    const problems = settingsProblemsOf({ CLUSTERS: "prod", EVENT_LOG_TABLE: "runs" })
    expect(problems).toEqual([
      {
        variable: "CLUSTERS",
        problem: `is not a setting: the deployment sets it to ${deploymentVariables["CLUSTERS"]}`,
      },
      {
        variable: "EVENT_LOG_TABLE",
        problem: `is not a setting: the deployment sets it to ${deploymentVariables["EVENT_LOG_TABLE"]}`,
      },
    ])
  })

  it("given the setting names, then they are the cold start's optional variables, without the deployment's own", () => {
    expect(settingNames).toContain("MAX_SURGE")
    expect(settingNames).toContain("AMI_SOURCE")
    expect(settingNames).toContain("MAX_CONTINUATIONS")
    for (const name of Object.keys(deploymentVariables)) expect(settingNames).not.toContain(name)
    // Every setting name is read by the cold start: a malformed value of each is refused by loadConfig.
    // "?" is a valid alarm name: ALARMS is malformed with more alarms than a policy may name.
    const malformed = (name: string) =>
      name === "ALARMS" ? Array.from({ length: 11 }, (_, i) => `alarm-${i}`).join(",") : "?"
    for (const name of settingNames)
      expect(problemsOf({ ...minimal, [name]: malformed(name) }).map((p) => p.variable)).toEqual([name])
  })
})
