/**
 * Command execution: turns one planner command into calls on the ports and the launch-spec strategy
 * plugins. Each call is retried on its own when AWS throttles or fails transiently, so a partly done
 * batch is never repeated from its start. Commands that remove capacity check the group's current
 * membership first and skip instances already on their way out, so re-issuing one after a crash
 * cannot terminate or detach anything twice; an attach likewise skips instances already back in the group.
 */
import { Effect } from "effect"
import {
  isDetachable,
  isInstanceGone,
  isLeavingGroup,
  type AwsCallError,
  type Command,
  type LaunchSpec,
  type Retryability,
} from "@ecs-ami-deploy/domain"
import { AutoScaling, Ec2, Ecs } from "@ecs-ami-deploy/ports"
import type { LaunchSpecError, Plugins, PluginServices } from "@ecs-ami-deploy/strategies"
import { idempotencyKey } from "./idempotency.ts"
import type { LeaseLost } from "./lease.ts"
import { retryTransient } from "./retry.ts"
import { withRetryingPorts } from "./retrying-ports.ts"
import { describeGroup, strategyFor } from "./strategy.ts"

/** What a command reports for its CommandSucceeded event. */
export interface CommandResult {
  readonly launchSpecBefore?: LaunchSpec
  readonly launchSpecAfter?: LaunchSpec
}

export interface ExecutionContext {
  readonly runId: string
  /** Epoch ms on the Clock after which no retry starts (the command's time budget). */
  readonly budgetEnd: number
  /** Run before every attempt of every AWS call: keeps the lease, or fails when it is lost (lease.ts). */
  readonly holdLease: Effect.Effect<void, LeaseLost>
}

export type CommandError = AwsCallError | LaunchSpecError | LeaseLost
export type CommandServices = PluginServices | Ecs | Plugins

const done: CommandResult = {}

/** Runs one command; its failure is the last error of the call that could not be completed. */
export const executeCommand = (
  command: Command,
  context: ExecutionContext,
): Effect.Effect<CommandResult, CommandError, CommandServices> =>
  Effect.gen(function* () {
    const ec2 = yield* Ec2
    const autoScaling = yield* AutoScaling
    const ecs = yield* Ecs
    // Every attempt of every call first holds the lease: an executor that lost it makes no further call.
    const retry = <A, E extends Retryability, R>(call: Effect.Effect<A, E, R>) =>
      retryTransient(context.budgetEnd)(Effect.andThen(context.holdLease, call))
    // A plugin operation makes several calls: each is retried on its own, the operation as a whole only
    // when a call still fails with budget left.
    const retryEachCall = withRetryingPorts<LeaseLost>(retry)

    switch (command._tag) {
      case "TagInstances":
        if (command.instanceIds.length > 0) yield* retry(ec2.createTags(command.instanceIds, command.tags))
        return done
      case "SuspendProcesses":
        yield* retry(autoScaling.suspendProcesses(command.asgName, command.processes))
        return done
      case "ResumeProcesses":
        yield* retry(autoScaling.resumeProcesses(command.asgName, command.processes))
        return done
      case "UpdateLaunchSpec": {
        const group = yield* retry(describeGroup(command.asgName))
        const strategy = yield* strategyFor(command.asgName, group.launchSpec)
        const { before, after } = yield* retry(
          retryEachCall(
            strategy.apply({
              group,
              imageId: command.imageId,
              idempotencyKey: idempotencyKey(context.runId, command.id),
            }),
          ),
        )
        return { launchSpecBefore: before, launchSpecAfter: after }
      }
      case "RestoreLaunchSpec": {
        const group = yield* retry(describeGroup(command.asgName))
        const strategy = yield* strategyFor(command.asgName, command.launchSpec)
        yield* retry(retryEachCall(strategy.restore({ group, launchSpec: command.launchSpec })))
        return { launchSpecBefore: group.launchSpec, launchSpecAfter: command.launchSpec }
      }
      case "SetCapacity":
        yield* retry(
          autoScaling.updateGroup({
            asgName: command.asgName,
            desiredCapacity: command.desiredCapacity,
            minSize: command.minSize,
            maxSize: command.maxSize,
          }),
        )
        return done
      case "DetachInstances": {
        const [group, described] = yield* Effect.all([
          retry(describeGroup(command.asgName)),
          retry(ec2.describeInstances(command.instanceIds)),
        ])
        // An instance EC2 reports as going (a Spot interruption since the decision) serves nothing: its
        // detach would count as capacity moved aside while it is lost; Auto Scaling replaces it anyway.
        const running = new Set(
          described.filter((instance) => instance.state === "running").map((instance) => instance.instanceId),
        )
        const requested = new Set(command.instanceIds)
        const detachable = group.instances
          .filter(
            (instance) =>
              requested.has(instance.instanceId) &&
              running.has(instance.instanceId) &&
              isDetachable(instance.lifecycleState),
          )
          .map((instance) => instance.instanceId)
        if (detachable.length > 0)
          yield* retry(
            autoScaling.detachInstances(command.asgName, detachable, command.decrementDesiredCapacity),
          )
        return done
      }
      case "AttachInstances": {
        // Only instances still running and not already members: a re-issued attach never fails on
        // instances an earlier attempt attached, nor on one that has since gone.
        const [group, described] = yield* Effect.all([
          retry(describeGroup(command.asgName)),
          retry(ec2.describeInstances(command.instanceIds)),
        ])
        const members = new Set(
          group.instances
            .filter((instance) => instance.lifecycleState !== "Detached")
            .map((instance) => instance.instanceId),
        )
        const running = new Set(
          described.filter((instance) => instance.state === "running").map((instance) => instance.instanceId),
        )
        const attachable = command.instanceIds.filter(
          (instanceId) => running.has(instanceId) && !members.has(instanceId),
        )
        if (attachable.length > 0) yield* retry(autoScaling.attachInstances(command.asgName, attachable))
        return done
      }
      case "DrainInstances":
        if (command.containerInstanceArns.length > 0)
          yield* retry(
            ecs.updateContainerInstancesState(command.clusterName, command.containerInstanceArns, "DRAINING"),
          )
        return done
      case "ActivateInstances":
        if (command.containerInstanceArns.length > 0)
          yield* retry(
            ecs.updateContainerInstancesState(command.clusterName, command.containerInstanceArns, "ACTIVE"),
          )
        return done
      case "StopTasks":
        yield* Effect.forEach(
          command.taskArns,
          (taskArn) => retry(ecs.stopTask(command.clusterName, taskArn, command.reason)),
          {
            discard: true,
          },
        )
        return done
      case "TerminateInstances": {
        const [groups, described] = yield* Effect.all([
          retry(autoScaling.describeGroups([command.asgName])),
          retry(ec2.describeInstances(command.instanceIds)),
        ])
        const members = new Map(
          (groups.find((group) => group.name === command.asgName)?.instances ?? []).map((instance) => [
            instance.instanceId,
            instance.lifecycleState,
          ]),
        )
        // Instances EC2 no longer reports, or reports as terminating, are already gone: never terminate twice.
        const alive = new Set(
          described
            .filter((instance) => !isInstanceGone(instance.state))
            .map((instance) => instance.instanceId),
        )
        const targets = command.instanceIds.filter((instanceId) => alive.has(instanceId))
        const inGroup = targets.filter((instanceId) => {
          const state = members.get(instanceId)
          return state !== undefined && !isLeavingGroup(state)
        })
        const detached = targets.filter(
          (instanceId) => !members.has(instanceId) || members.get(instanceId) === "Detached",
        )
        // Members are terminated through Auto Scaling, one request each, never detached and terminated
        // by EC2 in a batch: only Auto Scaling runs the group's terminate lifecycle hooks (ECS managed
        // draining's, and the operators' own), and EC2 refuses an instance with DisableApiTermination —
        // which DescribeInstances does not report — failing the whole batch after the detach had taken
        // every instance out of the group. Instances already out of the group go through EC2.
        yield* Effect.forEach(
          inGroup,
          (instanceId) =>
            retry(autoScaling.terminateInstanceInGroup(instanceId, command.decrementDesiredCapacity)),
          { discard: true },
        )
        if (detached.length > 0) yield* retry(ec2.terminateInstances(detached))
        return done
      }
      case "CleanupLaunchSpecs": {
        const group = yield* retry(describeGroup(command.asgName))
        const strategy = yield* strategyFor(command.asgName, group.launchSpec)
        yield* retry(retryEachCall(strategy.cleanup({ group, keep: command.keep })))
        return done
      }
    }
  })
