import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch"
import { it } from "@effect/vitest"
import { Effect } from "effect"
import { mockClient } from "aws-sdk-client-mock"
import { beforeEach, describe, expect } from "vitest"
import { sdkError } from "../test/sdk-error.ts"
import { makeCloudWatch } from "./cloudwatch.ts"

const cloudWatchMock = mockClient(CloudWatchClient)
const cloudWatch = makeCloudWatch(new CloudWatchClient({ region: "eu-west-1" }))
const arnOf = (name: string) => `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`

beforeEach(() => {
  cloudWatchMock.reset()
})

describe("describeAlarms", () => {
  it.effect("asks for metric and composite alarms by name and returns their states", () =>
    Effect.gen(function* () {
      cloudWatchMock.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [
          {
            AlarmName: "HighErrors",
            AlarmArn: arnOf("HighErrors"),
            StateValue: "ALARM",
            StateReason: "Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).",
            StateUpdatedTimestamp: new Date("2026-05-01T10:00:00Z"),
          },
        ],
        CompositeAlarms: [
          {
            AlarmName: "ServiceHealth",
            AlarmArn: arnOf("ServiceHealth"),
            StateValue: "OK",
            StateReason: "",
            StateUpdatedTimestamp: new Date("2026-05-01T09:00:00Z"),
          },
        ],
      })
      const alarms = yield* cloudWatch.describeAlarms(["HighErrors", "ServiceHealth", "Missing"])
      expect(alarms.map((alarm) => [alarm.alarmName, alarm.state, alarm.stateUpdatedAt])).toEqual([
        ["HighErrors", "ALARM", Date.parse("2026-05-01T10:00:00Z")],
        ["ServiceHealth", "OK", Date.parse("2026-05-01T09:00:00Z")],
      ])
      const calls = cloudWatchMock.commandCalls(DescribeAlarmsCommand)
      expect(calls.map((call) => call.args[0].input)).toEqual([
        {
          AlarmNames: ["HighErrors", "ServiceHealth", "Missing"],
          AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
          MaxRecords: 100,
        },
      ])
    }),
  )

  it.effect("sends one request per 100 names, each followed to its last page", () =>
    Effect.gen(function* () {
      cloudWatchMock
        .on(DescribeAlarmsCommand)
        .resolvesOnce({ MetricAlarms: [], NextToken: "page-2" })
        .resolves({ MetricAlarms: [] })
      const names = Array.from({ length: 150 }, (_, i) => `alarm-${i}`)
      yield* cloudWatch.describeAlarms(names)
      const inputs = cloudWatchMock.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input)
      expect(inputs.map((input) => [input.AlarmNames?.length, input.NextToken])).toEqual([
        [100, undefined],
        [100, "page-2"],
        [50, undefined],
      ])
    }),
  )

  it.effect("refuses a response whose state is not one CloudWatch defines, naming the operation", () =>
    Effect.gen(function* () {
      cloudWatchMock
        .on(DescribeAlarmsCommand)
        .resolves({ MetricAlarms: [{ AlarmName: "A", AlarmArn: arnOf("A"), StateValue: "PANIC" as never }] })
      const error = yield* Effect.flip(cloudWatch.describeAlarms(["A"]))
      expect([error.operation, error.code]).toEqual(["cloudwatch:DescribeAlarms", "MalformedResponse"])
    }),
  )

  it.effect("maps throttling to a retryable error", () =>
    Effect.gen(function* () {
      cloudWatchMock.on(DescribeAlarmsCommand).rejects(sdkError("cloudwatch", "Throttling", ""))
      const error = yield* Effect.flip(cloudWatch.describeAlarms(["A"]))
      expect([error.kind, error.retryable]).toEqual(["throttled", true])
    }),
  )
})
