/**
 * Simulated CloudWatch alarms, so the run's alarm gate is tested end to end. A scenario names its
 * alarms and when each is in ALARM: from a simulated time (until another), while a named service has
 * fewer healthy tasks than its floor, or once an instance on a given image has been running a given
 * time. Each trigger alone raises the alarm; with none holding it is OK. The state is evaluated when
 * DescribeAlarms asks (CloudWatch evaluates a metric once a period: the simulator has no metrics, so
 * its alarms change the moment their condition does). DescribeAlarms leaves out names that do not
 * exist, and counts one AWS request per 100 names, as the AWS adapter sends them.
 */
import { type AlarmState, type AwsCallError } from "@ecs-ami-deploy/domain"
import { CloudWatch } from "@ecs-ami-deploy/ports"
import { Schema, type Effect } from "effect"
import type { Scenario } from "./scenario.ts"
import type { World } from "./world.ts"
import { isHealthy, serviceTasks } from "./world/ecs-scheduler.ts"

const NonNegative = Schema.Number.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))

/** One condition under which an alarm is in ALARM. */
export const AlarmTrigger = Schema.Union([
  /** From `atMs` after the scenario start, until `untilMs` (absent: for good). */
  Schema.Struct({ atMs: NonNegative, untilMs: Schema.optionalKey(NonNegative) }),
  /** While the named replica service has fewer healthy tasks than ⌈desired × minimumHealthyPercent / 100⌉. */
  Schema.Struct({ serviceBelowFloor: Schema.String }),
  /** While an instance on `imageId` has been running at least `forMs` (a new image that goes bad after a while). */
  Schema.Struct({ instanceOnImage: Schema.Struct({ imageId: Schema.String, forMs: NonNegative }) }),
])
export type AlarmTrigger = typeof AlarmTrigger.Type

/** A CloudWatch alarm of the simulated account. */
export const ScenarioAlarm = Schema.Struct({
  name: Schema.String,
  /** When it is in ALARM; absent or empty: always OK. */
  triggers: Schema.optionalKey(Schema.Array(AlarmTrigger)),
})
export type ScenarioAlarm = typeof ScenarioAlarm.Type

/** Alarm triggers naming a service the scenario does not have. */
export const alarmScenarioProblems = (scenario: Scenario): ReadonlyArray<string> => {
  const services = new Set(scenario.services.map((service) => service.name))
  return (scenario.alarms ?? []).flatMap((alarm) =>
    (alarm.triggers ?? []).flatMap((trigger) =>
      "serviceBelowFloor" in trigger && !services.has(trigger.serviceBelowFloor)
        ? [`alarm ${alarm.name} watches unknown service ${trigger.serviceBelowFloor}`]
        : [],
    ),
  )
}

/** The trigger holding now, described as CloudWatch would put it in the alarm's state reason. */
const holdingTrigger = (world: World, alarm: ScenarioAlarm): string | undefined => {
  const elapsed = world.now - world.startTime
  for (const trigger of alarm.triggers ?? []) {
    if ("atMs" in trigger) {
      if (elapsed >= trigger.atMs && (trigger.untilMs === undefined || elapsed < trigger.untilMs))
        return `raised by the scenario at +${trigger.atMs / 1000} s`
    } else if ("serviceBelowFloor" in trigger) {
      const service = [...world.services.values()].find(
        (candidate) => candidate.serviceName === trigger.serviceBelowFloor,
      )
      if (service === undefined || service.schedulingStrategy !== "REPLICA") continue
      const floor = Math.ceil((service.desiredCount * service.minimumHealthyPercent) / 100)
      const healthy = serviceTasks(world, service).filter(isHealthy).length
      if (healthy < floor)
        return `Threshold Crossed: service ${service.serviceName} has ${healthy} healthy task(s), below its floor of ${floor}`
    } else {
      const { imageId, forMs } = trigger.instanceOnImage
      const instance = [...world.instances.values()].find(
        (candidate) =>
          candidate.imageId === imageId &&
          candidate.state === "running" &&
          world.now - candidate.launchTime >= forMs,
      )
      if (instance !== undefined)
        return `Threshold Crossed: ${instance.instanceId} on ${imageId} has run ${Math.round((world.now - instance.launchTime) / 1000)} s`
    }
  }
  return undefined
}

/** How the simulated ports run and log one call (sim-ports.ts `call`). */
export type SimulatedCall = <A>(
  operation: string,
  mutating: boolean,
  input: unknown,
  run: () => A,
  requestsFor?: (result: A) => Readonly<Record<string, number>>,
) => Effect.Effect<A, AwsCallError>

/** DescribeAlarms takes up to 100 names a request. */
const NAMES_PER_REQUEST = 100

/** The CloudWatch port over the world's scenario alarms. */
export const makeSimulatedCloudWatch = (
  world: World,
  scenarioAlarms: ReadonlyArray<ScenarioAlarm>,
  call: SimulatedCall,
): CloudWatch["Service"] => {
  const alarms = new Map(scenarioAlarms.map((alarm) => [alarm.name, alarm]))
  /** Each alarm's last state and since when, so a state change is dated as CloudWatch dates it. */
  const lastSeen = new Map<string, { readonly state: AlarmState["state"]; readonly since: number }>()
  const stateOf = (alarm: ScenarioAlarm): AlarmState => {
    const reason = holdingTrigger(world, alarm)
    const state = reason === undefined ? "OK" : "ALARM"
    const previous = lastSeen.get(alarm.name)
    const since = previous?.state === state ? previous.since : world.now
    lastSeen.set(alarm.name, { state, since })
    return {
      alarmName: alarm.name,
      alarmArn: `arn:aws:cloudwatch:${world.region}:${world.accountId}:alarm:${alarm.name}`,
      state,
      stateReason: reason ?? "Threshold Crossed: no datapoint breaching the threshold",
      stateUpdatedAt: since,
    }
  }
  return CloudWatch.of({
    describeAlarms: (alarmNames) =>
      call(
        "cloudwatch:DescribeAlarms",
        false,
        { alarmNames },
        () => [...new Set(alarmNames)].flatMap((name) => alarms.get(name) ?? []).map(stateOf),
        () => ({
          "cloudwatch:DescribeAlarms": Math.max(1, Math.ceil(new Set(alarmNames).size / NAMES_PER_REQUEST)),
        }),
      ),
  })
}

/**
 * Built-in scenarios for the gates: `new-image-alarm` is the small cluster with two CloudWatch alarms,
 * `HighErrors` — in ALARM once an instance on the new image has run 2 minutes (a new image that goes
 * bad under load) — and `Latency`, always OK.
 */
export const alarmScenarios = (small: Scenario, newImageId: string) => ({
  "new-image-alarm": {
    ...small,
    name: "new-image-alarm",
    description:
      "The small cluster with alarms HighErrors (in ALARM once an instance on the new image has run 2 min) and Latency (always OK).",
    alarms: [
      { name: "HighErrors", triggers: [{ instanceOnImage: { imageId: newImageId, forMs: 120_000 } }] },
      { name: "Latency" },
    ],
  } satisfies Scenario,
})
