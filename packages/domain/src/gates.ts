/**
 * Gates and checkpoints, as data. A gate is a signal that stops a run between its steps: a CloudWatch
 * alarm the policy names (Auto Scaling instance refresh's alarm-based rollback), or the health of a
 * service the run moves. A checkpoint is a share of the run's old instances replaced, where the run
 * pauses — for a delay, or until someone says `continue`. This module holds the schemas the CloudWatch
 * port returns and the event log records, and the checks on the alarm references a policy names.
 */
import { Schema } from "effect"
import type { AlarmState } from "./snapshot.ts"

/** Auto Scaling instance refresh takes up to 10 alarms; so does a policy. */
export const MAX_ALARMS = 10

/** The gate that stopped a run: which alarm or service, and what it said. */
export const GateFailure = Schema.Struct({
  kind: Schema.Literals(["alarm", "service"]),
  /** The alarm's name (as the policy gave it) or the service's name. */
  name: Schema.String,
  detail: Schema.String,
})
export type GateFailure = typeof GateFailure.Type

/** What a run does when a gate fails: roll back (restore the cluster as found), or halt where it is. */
export const GateAction = Schema.Literals(["rollback", "halt"])
export type GateAction = typeof GateAction.Type

/** `alarm HighErrors: in ALARM since … (Threshold Crossed: …)` */
export const describeGateFailure = (gate: GateFailure): string => `${gate.kind} ${gate.name}: ${gate.detail}`

const alarmArnPattern = /^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:(.+)$/

/** The alarm name a policy reference stands for: the name itself, or the last part of an alarm ARN. */
export const alarmNameOf = (reference: string): string => alarmArnPattern.exec(reference)?.[1] ?? reference

/**
 * What is wrong with a policy's alarm references, one message each: more than MAX_ALARMS, an ARN that
 * is not a CloudWatch alarm's, a name CloudWatch cannot hold (1–255 characters, no control character),
 * a reference given twice.
 */
export const alarmReferenceProblems = (references: ReadonlyArray<string>): ReadonlyArray<string> => {
  const problems: Array<string> = []
  if (references.length > MAX_ALARMS)
    problems.push(
      `${references.length} alarms given, at most ${MAX_ALARMS} are allowed (as for instance refresh)`,
    )
  const seen = new Set<string>()
  for (const reference of references) {
    const name = alarmNameOf(reference)
    if (reference.startsWith("arn:") && !alarmArnPattern.test(reference))
      problems.push(
        `${JSON.stringify(reference)} is not a CloudWatch alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>)`,
      )
    // eslint-disable-next-line no-control-regex -- control characters are exactly what CloudWatch refuses
    else if (name.length === 0 || name.length > 255 || /[\u0000-\u001f\u007f]/.test(name))
      problems.push(
        `${JSON.stringify(reference)} is not a CloudWatch alarm name (1 to 255 characters, no control character)`,
      )
    if (seen.has(name)) problems.push(`alarm ${name} is named twice`)
    seen.add(name)
  }
  return problems
}

/**
 * The alarms of `references` that are in ALARM, or that DescribeAlarms did not return (`states`: its
 * answer for them). An ARN matches only the alarm of that ARN; a name, the alarm of that name.
 */
export const alarmGateFailures = (
  references: ReadonlyArray<string>,
  states: ReadonlyArray<AlarmState>,
): ReadonlyArray<GateFailure> =>
  references.flatMap((reference): ReadonlyArray<GateFailure> => {
    const name = alarmNameOf(reference)
    const alarm = states.find(
      (candidate) =>
        candidate.alarmName === name && (!reference.startsWith("arn:") || candidate.alarmArn === reference),
    )
    if (alarm === undefined)
      return [
        {
          kind: "alarm",
          name: reference,
          detail: "not found in this account and Region (DescribeAlarms does not return it)",
        },
      ]
    if (alarm.state !== "ALARM") return []
    return [
      {
        kind: "alarm",
        name: reference,
        detail: `in ALARM since ${new Date(alarm.stateUpdatedAt).toISOString()}${alarm.stateReason === "" ? "" : ` (${alarm.stateReason})`}`,
      },
    ]
  })
