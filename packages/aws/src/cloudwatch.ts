/**
 * The `CloudWatch` port on the AWS SDK: the state of the alarms a rollout policy names. One
 * DescribeAlarms request covers up to 100 names (a policy names at most 10), metric and composite
 * alarms alike; the answer is decoded with the domain schema, so a malformed one fails here.
 */
import { type CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch"
import { AlarmState } from "@ecs-ami-deploy/domain"
import { CloudWatch } from "@ecs-ami-deploy/ports"
import { Effect, Layer } from "effect"
import { decodeAll, epochMillis, inBatches, paginate, request } from "./call.ts"
import { type AwsConfig, makeCloudWatchClient } from "./config.ts"
import { mapCloudWatchError } from "./errors.ts"

/** Every IAM action this module's calls need, one per SDK command it sends. */
export const cloudWatchActions = ["cloudwatch:DescribeAlarms"] as const

/** DescribeAlarms takes at most 100 alarm names (and returns at most 100 records a page). */
export const cloudWatchLimits = { alarmNamesPerRequest: 100 } as const

interface SdkAlarm {
  readonly AlarmName?: string | undefined
  readonly AlarmArn?: string | undefined
  readonly StateValue?: string | undefined
  readonly StateReason?: string | undefined
  readonly StateUpdatedTimestamp?: Date | undefined
}

const alarmView = (alarm: SdkAlarm) => ({
  alarmName: alarm.AlarmName,
  alarmArn: alarm.AlarmArn,
  state: alarm.StateValue,
  stateReason: alarm.StateReason ?? "",
  stateUpdatedAt: epochMillis(alarm.StateUpdatedTimestamp) ?? 0,
})

/** The `CloudWatch` port over the given client. */
export const makeCloudWatch = (client: CloudWatchClient): CloudWatch["Service"] =>
  CloudWatch.of({
    describeAlarms: (alarmNames) =>
      inBatches([...new Set(alarmNames)], cloudWatchLimits.alarmNamesPerRequest, (names) =>
        paginate(
          (token) =>
            request("cloudwatch:DescribeAlarms", mapCloudWatchError, (abortSignal) =>
              client.send(
                new DescribeAlarmsCommand({
                  AlarmNames: [...names],
                  AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
                  MaxRecords: cloudWatchLimits.alarmNamesPerRequest,
                  ...(token === undefined ? {} : { NextToken: token }),
                }),
                { abortSignal },
              ),
            ),
          (page) => page.NextToken,
          (page): ReadonlyArray<SdkAlarm> => [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])],
        ).pipe(
          Effect.flatMap((alarms) =>
            decodeAll(AlarmState, "cloudwatch:DescribeAlarms")(alarms.map(alarmView)),
          ),
        ),
      ),
  })

/** The `CloudWatch` port on a client built from the default chain and `config`. */
export const CloudWatchLive = (config: AwsConfig = {}): Layer.Layer<CloudWatch> =>
  Layer.sync(CloudWatch, () => makeCloudWatch(makeCloudWatchClient(config)))
