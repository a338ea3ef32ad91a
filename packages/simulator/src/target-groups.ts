/**
 * Simulated Elastic Load Balancing v2 target groups, so the run's target health gate is tested end to
 * end. Every load-balanced service has one target group (its ARN is derived from the service, so it
 * never draws from the world's random stream); its targets are the service's tasks as ECS registers
 * them: a RUNNING task is a target (`initial` until its first health check passes, then `healthy`), a
 * task being stopped is `draining` for the deregistration delay, and a task past that has left the
 * group. The fault `unhealthyTargetsOnImages` makes targets on the named images fail the target
 * group's health check from `afterMs` after their task started (once they passed a first check), while
 * ECS keeps the task RUNNING (see the fault). Each target group's deregistration delay is its service's.
 * DescribeTargetHealth and DescribeTargetGroupAttributes count one AWS request per target group, as the
 * AWS adapter sends them.
 */
import type { TargetGroupDeregistrationDelay, TargetGroupHealth, TargetHealth } from "@ecs-ami-deploy/domain"
import { LoadBalancing } from "@ecs-ami-deploy/ports"
import type { SimulatedCall } from "./alarms.ts"
import type { Scenario } from "./scenario.ts"
import type { ServiceRecord, TaskRecord } from "./records.ts"
import type { World } from "./world.ts"
import { serviceTasks } from "./world/ecs-scheduler.ts"
import { instanceOfTask } from "./world/tasks.ts"

/** The port ECS registers a task's target on: its host port, else the first of the ephemeral range. */
const EPHEMERAL_PORT = 32768

/** A stable 16-hex-digit id for a name (FNV-1a), the shape of a target group ARN's last part. */
const hexIdOf = (name: string): string => {
  let hash = 0xcbf29ce484222325n
  for (const char of name)
    hash = BigInt.asUintN(64, (hash ^ BigInt(char.codePointAt(0) ?? 0)) * 0x100000001b3n)
  return hash.toString(16).padStart(16, "0")
}

/** The ARN of a load-balanced service's target group (a target group name holds at most 32 characters). */
export const targetGroupArnOf = (world: World, service: ServiceRecord): string =>
  `arn:aws:elasticloadbalancing:${world.region}:${world.accountId}:targetgroup/${service.serviceName.slice(0, 32)}/${hexIdOf(service.key)}`

/** A task's target as the load balancer sees it now, or undefined when it is not (or no longer) registered. */
const targetOf = (world: World, task: TaskRecord): TargetHealth | undefined => {
  const instance = instanceOfTask(world, task)
  if (instance === undefined) return undefined
  const identity = { targetId: instance.instanceId, port: task.hostPorts[0] ?? EPHEMERAL_PORT }
  if (task.lastStatus === "DEACTIVATING")
    return { ...identity, state: "draining", reason: "Target.DeregistrationInProgress" }
  if (task.lastStatus !== "RUNNING") return undefined
  if (task.desiredStatus !== "RUNNING")
    return { ...identity, state: "draining", reason: "Target.DeregistrationInProgress" }
  if (task.health === "UNKNOWN")
    return { ...identity, state: "initial", reason: "Elb.RegistrationInProgress" }
  const fault = world.faults.unhealthyTargetsOnImages
  const failing =
    task.health === "UNHEALTHY" ||
    (fault !== undefined &&
      fault.imageIds.includes(instance.imageId) &&
      world.now - (task.startedAt ?? world.now) >= fault.afterMs)
  return failing
    ? { ...identity, state: "unhealthy", reason: "Target.FailedHealthChecks" }
    : { ...identity, state: "healthy" }
}

/** The world's load-balanced services by the ARN of their target group. */
const servicesByTargetGroup = (world: World): ReadonlyMap<string, ServiceRecord> =>
  new Map(
    [...world.services.values()]
      .filter((service) => service.loadBalanced)
      .map((service) => [targetGroupArnOf(world, service), service]),
  )

/** The LoadBalancing port over the world's load-balanced services. */
export const makeSimulatedLoadBalancing = (world: World, call: SimulatedCall): LoadBalancing["Service"] =>
  LoadBalancing.of({
    describeTargetHealth: (targetGroupArns) =>
      call(
        "elasticloadbalancing:DescribeTargetHealth",
        false,
        { targetGroupArns },
        () => {
          const byArn = servicesByTargetGroup(world)
          return [...new Set(targetGroupArns)].flatMap((targetGroupArn): ReadonlyArray<TargetGroupHealth> => {
            const service = byArn.get(targetGroupArn)
            if (service === undefined) return []
            const targets = serviceTasks(world, service).flatMap((task) => targetOf(world, task) ?? [])
            return [{ targetGroupArn, targets }]
          })
        },
        () => ({ "elasticloadbalancing:DescribeTargetHealth": new Set(targetGroupArns).size }),
      ),
    deregistrationDelays: (targetGroupArns) =>
      call(
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        false,
        { targetGroupArns },
        () => {
          const byArn = servicesByTargetGroup(world)
          return [...new Set(targetGroupArns)].flatMap(
            (targetGroupArn): ReadonlyArray<TargetGroupDeregistrationDelay> => {
              const service = byArn.get(targetGroupArn)
              return service === undefined
                ? []
                : [{ targetGroupArn, deregistrationDelayMs: service.deregistrationDelayMs }]
            },
          )
        },
        () => ({ "elasticloadbalancing:DescribeTargetGroupAttributes": new Set(targetGroupArns).size }),
      ),
  })

/**
 * The built-in scenario for the target health gate: `new-image-unhealthy-targets` is the small cluster
 * where the targets of tasks on the new image pass their first health check, then fail from 60 s after
 * the task started, while ECS keeps the tasks RUNNING.
 */
export const targetHealthScenarios = (small: Scenario, newImageId: string) => ({
  "new-image-unhealthy-targets": {
    ...small,
    name: "new-image-unhealthy-targets",
    description:
      "The small cluster where targets of tasks on the new image pass their first load balancer health check, then fail from 60 s after the task started (ECS keeps the tasks RUNNING).",
    faults: { unhealthyTargetsOnImages: { imageIds: [newImageId], afterMs: 60_000 } },
  } satisfies Scenario,
})
