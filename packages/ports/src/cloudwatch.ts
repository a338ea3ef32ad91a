/**
 * The CloudWatch port: the state of the alarms a rollout policy names, which the run's alarm gate
 * reads at every observation. Alarms are asked for by name, all in one call; an alarm that does not
 * exist is absent from the answer (as DescribeAlarms leaves it out), which the planner reports.
 */
import { Context, type Effect } from "effect"
import type { AlarmState, AwsCallError } from "@ecs-ami-deploy/domain"

export class CloudWatch extends Context.Service<
  CloudWatch,
  {
    /** The named alarms' states (DescribeAlarms, up to 100 names a request); unknown names are left out. */
    readonly describeAlarms: (
      alarmNames: ReadonlyArray<string>,
    ) => Effect.Effect<ReadonlyArray<AlarmState>, AwsCallError>
  }
>()("@ecs-ami-deploy/ports/CloudWatch") {}
