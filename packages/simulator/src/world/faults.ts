/**
 * The faults a scenario (or a test) injects into the world, and the other actors that change it
 * behind a rollout's back: instances lost (at once, or after a Spot interruption notice during which
 * the ECS agent drains them), desired capacity changed by a scaling policy, a scheduled action or a
 * person, launches failing for an image or an Availability Zone, and, at the API, throttling, 5xx
 * errors and latency. Random choices come from the world's seeded generator, so a run is repeatable.
 */
import type { AwsErrorKind } from "@ecs-ami-deploy/domain"
import type { World } from "../world.ts"
import { capacityMembers, groupNamed, setDesiredByAnotherActor } from "./auto-scaling.ts"
import { loseInstance } from "./ec2.ts"
import { containerInstanceOf } from "./container-instances.ts"
import { requestScheduler } from "./ecs-scheduler.ts"
import { schedule } from "./events.ts"

const throttlingCodes: Record<string, string> = {
  ec2: "RequestLimitExceeded",
  autoscaling: "Throttling",
  ecs: "ThrottlingException",
  ssm: "ThrottlingException",
}
const transientCodes: Record<string, string> = {
  ec2: "InternalError",
  autoscaling: "InternalFailure",
  ecs: "ServerException",
  ssm: "InternalServerError",
}

/** An error the API returns instead of running a call. */
export interface ApiFault {
  readonly kind: AwsErrorKind
  readonly code: string
  readonly message: string
}

/** Throttling, then a 5xx, each drawn at its rate for the operations it covers; undefined: the call runs. */
export const apiFaultFor = (world: World, operation: string): ApiFault | undefined => {
  const service = operation.slice(0, operation.indexOf(":"))
  const hits = (fault: { readonly rate: number; readonly operations?: ReadonlyArray<string> } | undefined) =>
    fault !== undefined &&
    (fault.operations === undefined || fault.operations.includes(operation)) &&
    world.rng.chance(fault.rate)
  if (hits(world.faults.throttling))
    return { kind: "throttled", code: throttlingCodes[service] ?? "Throttling", message: "Rate exceeded" }
  if (hits(world.faults.transientErrors))
    return {
      kind: "transient",
      code: transientCodes[service] ?? "InternalFailure",
      message: "We encountered an internal error. Please try again.",
    }
  return undefined
}

/** How long the next API call takes to answer: a draw within the injected latency range (0 when none is). */
export const drawApiLatencyMs = (world: World): number => {
  const latency = world.faults.apiLatency
  return latency === undefined ? 0 : world.rng.int(latency.minMs, latency.maxMs)
}

/** Whether an injected launch failure covers this image in this AZ now. */
export const launchFaultApplies = (world: World, imageId: string, availabilityZone: string): boolean => {
  const offset = world.now - world.startTime
  return (world.faults.launchFailures ?? []).some(
    (fault) =>
      (fault.imageId === undefined || fault.imageId === imageId) &&
      (fault.availabilityZone === undefined || fault.availabilityZone === availabilityZone) &&
      (fault.fromMs === undefined || offset >= fault.fromMs) &&
      (fault.untilMs === undefined || offset < fault.untilMs),
  )
}

/** Puts the scenario's instance losses and other actors' desired-capacity changes on the event queue. */
export const scheduleFaults = (world: World): void => {
  for (const loss of world.faults.instanceLosses ?? []) {
    schedule(world, loss.atMs, "fault: instance lost", () => {
      const id =
        loss.instanceId ??
        (loss.groupName === undefined
          ? undefined
          : capacityMembers(world, groupNamed(world, loss.groupName)).find((i) => i.state === "running")
              ?.instanceId)
      if (id === undefined) return
      if (loss.noticeMs === undefined) {
        loseInstance(world, id)
        return
      }
      // A Spot interruption notice: the ECS agent drains the instance, EC2 reclaims it when the notice ends.
      const instance = world.instances.get(id)
      const container = instance === undefined ? undefined : containerInstanceOf(world, instance)
      if (container?.status === "ACTIVE") {
        container.status = "DRAINING"
        requestScheduler(world, container.clusterName)
      }
      schedule(world, loss.noticeMs, "fault: spot instance reclaimed", () => loseInstance(world, id))
    })
  }
  for (const change of world.faults.desiredCapacityChanges ?? []) {
    const process =
      change.by === "scaling-policy"
        ? "AlarmNotification"
        : change.by === "scheduled-action"
          ? "ScheduledActions"
          : undefined
    schedule(world, change.atMs, "fault: desired capacity changed", () => {
      const group = groupNamed(world, change.groupName)
      if (process !== undefined && group.suspendedProcesses.has(process)) return
      setDesiredByAnotherActor(world, change.groupName, change.desiredCapacity)
    })
  }
  for (const change of world.faults.ssmParameterChanges ?? []) {
    schedule(world, change.atMs, "fault: SSM parameter changed", () => {
      const parameter = world.ssmParameters.get(change.name)
      world.ssmParameters.set(change.name, {
        name: change.name,
        value: change.value,
        version: (parameter?.version ?? 0) + 1,
        lastModified: world.now,
      })
    })
  }
}
