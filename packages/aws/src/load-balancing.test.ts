import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2"
import { it } from "@effect/vitest"
import { Effect } from "effect"
import { mockClient } from "aws-sdk-client-mock"
import { beforeEach, describe, expect } from "vitest"
import { sdkError } from "../test/sdk-error.ts"
import { makeLoadBalancing } from "./load-balancing.ts"

const elbMock = mockClient(ElasticLoadBalancingV2Client)
const loadBalancing = makeLoadBalancing(new ElasticLoadBalancingV2Client({ region: "eu-west-1" }))
const arnOf = (name: string) =>
  `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/0123456789abcdef`

beforeEach(() => {
  elbMock.reset()
})

describe("describeTargetHealth", () => {
  it.effect("sends one request per distinct target group and returns each group's targets", () =>
    Effect.gen(function* () {
      elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: arnOf("web") }).resolves({
        TargetHealthDescriptions: [
          { Target: { Id: "i-1", Port: 32768 }, TargetHealth: { State: "healthy" } },
          {
            Target: { Id: "i-2", Port: 32770 },
            TargetHealth: { State: "unhealthy", Reason: "Target.FailedHealthChecks", Description: "503" },
          },
        ],
      })
      elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: arnOf("api") }).resolves({})
      const groups = yield* loadBalancing.describeTargetHealth([arnOf("web"), arnOf("api"), arnOf("web")])
      expect(groups).toEqual([
        {
          targetGroupArn: arnOf("web"),
          targets: [
            { targetId: "i-1", port: 32768, state: "healthy" },
            { targetId: "i-2", port: 32770, state: "unhealthy", reason: "Target.FailedHealthChecks" },
          ],
        },
        { targetGroupArn: arnOf("api"), targets: [] },
      ])
      expect(
        elbMock.commandCalls(DescribeTargetHealthCommand).map((call) => call.args[0].input.TargetGroupArn),
      ).toEqual([arnOf("web"), arnOf("api")])
    }),
  )

  it.effect("leaves out a target group deleted since the services were read", () =>
    Effect.gen(function* () {
      elbMock
        .on(DescribeTargetHealthCommand, { TargetGroupArn: arnOf("gone") })
        .rejects(sdkError("elasticloadbalancing", "TargetGroupNotFoundException"))
      elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: arnOf("web") }).resolves({
        TargetHealthDescriptions: [{ Target: { Id: "i-1", Port: 80 }, TargetHealth: { State: "draining" } }],
      })
      const groups = yield* loadBalancing.describeTargetHealth([arnOf("gone"), arnOf("web")])
      expect(groups.map((group) => group.targetGroupArn)).toEqual([arnOf("web")])
    }),
  )

  it.effect("fails with access-denied, naming the action, when the role may not describe target health", () =>
    Effect.gen(function* () {
      elbMock.on(DescribeTargetHealthCommand).rejects(sdkError("elasticloadbalancing", "AccessDenied"))
      const error = yield* Effect.flip(loadBalancing.describeTargetHealth([arnOf("web")]))
      expect([error.kind, error.operation]).toEqual([
        "access-denied",
        "elasticloadbalancing:DescribeTargetHealth",
      ])
    }),
  )

  it.effect("fails as malformed when a target comes back without a state", () =>
    Effect.gen(function* () {
      elbMock
        .on(DescribeTargetHealthCommand)
        .resolves({ TargetHealthDescriptions: [{ Target: { Id: "i-1" }, TargetHealth: {} }] })
      const error = yield* Effect.flip(loadBalancing.describeTargetHealth([arnOf("web")]))
      expect(error.code).toBe("MalformedResponse")
    }),
  )
})

describe("deregistrationDelays", () => {
  it.effect(
    "sends one DescribeTargetGroupAttributes per distinct target group, reads the delay in seconds as milliseconds, and leaves out a deleted group",
    () =>
      Effect.gen(function* () {
        elbMock.on(DescribeTargetGroupAttributesCommand, { TargetGroupArn: arnOf("web") }).resolves({
          Attributes: [
            { Key: "stickiness.enabled", Value: "false" },
            { Key: "deregistration_delay.timeout_seconds", Value: "45" },
          ],
        })
        elbMock
          .on(DescribeTargetGroupAttributesCommand, { TargetGroupArn: arnOf("gone") })
          .rejects(sdkError("elasticloadbalancing", "TargetGroupNotFoundException"))
        const delays = yield* loadBalancing.deregistrationDelays([arnOf("web"), arnOf("gone"), arnOf("web")])
        expect(delays).toEqual([{ targetGroupArn: arnOf("web"), deregistrationDelayMs: 45_000 }])
        expect(
          elbMock
            .commandCalls(DescribeTargetGroupAttributesCommand)
            .map((call) => call.args[0].input.TargetGroupArn),
        ).toEqual([arnOf("web"), arnOf("gone")])
      }),
  )
})
