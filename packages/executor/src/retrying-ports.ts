/**
 * The AWS ports a launch-spec plugin uses, with every call retried on its own (`retryTransient`). A
 * plugin operation makes several calls (read the group's template, read its version, create one): a
 * throttled call is then retried by itself, within the command's budget, instead of failing the
 * operation and making the executor repeat it from its first call. Each port has its own wrapper,
 * method by method, so a method added to a port does not compile until it is wrapped here too.
 */
import { Effect } from "effect"
import type { Retryability } from "@ecs-ami-deploy/domain"
import { AutoScaling, Ec2, Ssm } from "@ecs-ami-deploy/ports"
import type { PluginServices } from "@ecs-ami-deploy/strategies"

/** What wraps each call: retries, and may add its own failure `X` (the executor's lease check). */
type EachCall<X> = <A, F extends Retryability, R>(call: Effect.Effect<A, F, R>) => Effect.Effect<A, F | X, R>

/** A port whose every call may also fail with `X`. */
type Wrapped<S, X> = {
  readonly [K in keyof S]: S[K] extends (...args: infer P) => Effect.Effect<infer A, infer F, infer R>
    ? (...args: P) => Effect.Effect<A, F | X, R>
    : never
}

const wrapEc2 = <X>(ec2: Ec2["Service"], each: EachCall<X>): Wrapped<Ec2["Service"], X> => ({
  describeInstances: (instanceIds) => each(ec2.describeInstances(instanceIds)),
  describeImages: (query) => each(ec2.describeImages(query)),
  createTags: (resourceIds, tags) => each(ec2.createTags(resourceIds, tags)),
  terminateInstances: (instanceIds) => each(ec2.terminateInstances(instanceIds)),
  terminationProtectedIds: (instanceIds) => each(ec2.terminationProtectedIds(instanceIds)),
  describeLaunchTemplate: (ref) => each(ec2.describeLaunchTemplate(ref)),
  describeLaunchTemplateVersions: (launchTemplateId, versions) =>
    each(ec2.describeLaunchTemplateVersions(launchTemplateId, versions)),
  createLaunchTemplateVersion: (input) => each(ec2.createLaunchTemplateVersion(input)),
  setDefaultLaunchTemplateVersion: (launchTemplateId, versionNumber) =>
    each(ec2.setDefaultLaunchTemplateVersion(launchTemplateId, versionNumber)),
  deleteLaunchTemplateVersions: (launchTemplateId, versionNumbers) =>
    each(ec2.deleteLaunchTemplateVersions(launchTemplateId, versionNumbers)),
})

const wrapAutoScaling = <X>(
  autoScaling: AutoScaling["Service"],
  each: EachCall<X>,
): Wrapped<AutoScaling["Service"], X> => ({
  describeGroups: (names) => each(autoScaling.describeGroups(names)),
  updateGroup: (input) => each(autoScaling.updateGroup(input)),
  detachInstances: (asgName, instanceIds, decrement) =>
    each(autoScaling.detachInstances(asgName, instanceIds, decrement)),
  attachInstances: (asgName, instanceIds) => each(autoScaling.attachInstances(asgName, instanceIds)),
  terminateInstanceInGroup: (instanceId, decrement) =>
    each(autoScaling.terminateInstanceInGroup(instanceId, decrement)),
  suspendProcesses: (asgName, processes) => each(autoScaling.suspendProcesses(asgName, processes)),
  resumeProcesses: (asgName, processes) => each(autoScaling.resumeProcesses(asgName, processes)),
  describeLaunchConfigurations: (names) => each(autoScaling.describeLaunchConfigurations(names)),
  copyLaunchConfiguration: (input) => each(autoScaling.copyLaunchConfiguration(input)),
  deleteLaunchConfiguration: (name) => each(autoScaling.deleteLaunchConfiguration(name)),
})

const wrapSsm = <X>(ssm: Ssm["Service"], each: EachCall<X>): Wrapped<Ssm["Service"], X> => ({
  getParameter: (name) => each(ssm.getParameter(name)),
})

/**
 * Runs `operation` with each call of the Ec2, AutoScaling and Ssm ports wrapped by `each`; the
 * operation may then also fail with what `each` adds (`X`). A plugin is typed against ports that fail
 * with `AwsCallError` alone, so the wrapped ports are handed to it as such: `X` is the one failure its
 * type does not show, and this function's type adds it.
 */
export const withRetryingPorts =
  <X>(each: EachCall<X>) =>
  <A, F extends Retryability>(
    operation: Effect.Effect<A, F, PluginServices>,
  ): Effect.Effect<A, F | X, PluginServices> =>
    Effect.gen(function* () {
      const ec2 = yield* Ec2
      const autoScaling = yield* AutoScaling
      const ssm = yield* Ssm
      return yield* operation.pipe(
        Effect.provideService(Ec2, wrapEc2(ec2, each) as Ec2["Service"]),
        Effect.provideService(AutoScaling, wrapAutoScaling(autoScaling, each) as AutoScaling["Service"]),
        Effect.provideService(Ssm, wrapSsm(ssm, each) as Ssm["Service"]),
      )
    })
