/**
 * The last look before a drain. The planner drains an old wave only onto new capacity it saw proven
 * (invariant 3), but the observation behind that decision is a moment old when the drain is issued —
 * seconds under throttling, since its reads are retried — and a Spot interruption or a failed instance
 * can take that capacity in between. Just before recording a drain, the executor asks EC2 and ECS again
 * about the instances the drain relies on (one DescribeInstances and one DescribeContainerInstances
 * request per hundred) and issues nothing when fewer than the planner needed are still running and
 * ACTIVE with a connected agent: the next observation sees the loss, and the planner waits for its
 * replacement. What is left is the time of these two requests, not an observation's.
 */
import { Effect } from "effect"
import type { DrainInstances } from "@ecs-ami-deploy/domain"
import { Ec2, Ecs } from "@ecs-ami-deploy/ports"
import { retryTransient } from "./retry.ts"

/** Why the drain must wait (the lost instances named), or `undefined` when its new capacity still stands. */
export const newCapacityLost = (command: typeof DrainInstances.Type, budgetEnd: number) =>
  Effect.gen(function* () {
    const relied = command.provenCapacity
    if (relied === undefined || relied.required === 0) return undefined
    const retry = retryTransient(budgetEnd)
    const [instances, containers] = yield* Effect.all([
      retry((yield* Ec2).describeInstances(relied.instances.map((instance) => instance.instanceId))),
      retry(
        (yield* Ecs).containerInstances(
          command.clusterName,
          relied.instances.map((instance) => instance.containerInstanceArn),
        ),
      ),
    ])
    const running = new Set(
      instances.filter((instance) => instance.state === "running").map((instance) => instance.instanceId),
    )
    const serving = new Set(
      containers
        .filter((container) => container.status === "ACTIVE" && container.agentConnected)
        .map((container) => container.containerInstanceArn),
    )
    const lost = relied.instances.filter(
      (instance) => !running.has(instance.instanceId) || !serving.has(instance.containerInstanceArn),
    )
    if (relied.instances.length - lost.length >= relied.required) return undefined
    return `wave ${command.wave} of ${relied.asgName} is not drained yet: new instance(s) ${lost.map((instance) => instance.instanceId).join(", ")} stopped serving since the drain was decided, leaving ${relied.instances.length - lost.length} of the ${relied.required} it needs; it waits for their replacement`
  })
