/**
 * Commands: what the planner asks the executor to do, as data. Each carries a stable `id` (the same
 * decision always yields the same id, so a resumed run recognises a command it already issued) and a
 * human-readable `reason`. The executor derives every idempotency key from (run id, command id).
 */
import { Schema } from "effect"
import { Count, LaunchSpec, Tags } from "./snapshot.ts"

const base = { id: Schema.String, reason: Schema.String }

/** Marks instances with the run id and their role, so a run whose log is lost can still be finished safely. */
export const TagInstances = Schema.TaggedStruct("TagInstances", {
  ...base,
  instanceIds: Schema.Array(Schema.String),
  tags: Tags,
})
export const SuspendProcesses = Schema.TaggedStruct("SuspendProcesses", {
  ...base,
  asgName: Schema.String,
  processes: Schema.Array(Schema.String),
})
export const ResumeProcesses = Schema.TaggedStruct("ResumeProcesses", {
  ...base,
  asgName: Schema.String,
  processes: Schema.Array(Schema.String),
})
/** Points the group's launch spec at the target image through the matching strategy plugin. */
export const UpdateLaunchSpec = Schema.TaggedStruct("UpdateLaunchSpec", {
  ...base,
  asgName: Schema.String,
  imageId: Schema.String,
})
/** Puts back the launch spec recorded before the run changed it (rollback). */
export const RestoreLaunchSpec = Schema.TaggedStruct("RestoreLaunchSpec", {
  ...base,
  asgName: Schema.String,
  launchSpec: LaunchSpec,
})
/** Sets desired (and, when it must move to allow it, max/min) capacity. */
export const SetCapacity = Schema.TaggedStruct("SetCapacity", {
  ...base,
  asgName: Schema.String,
  desiredCapacity: Count,
  minSize: Count,
  maxSize: Count,
  /**
   * Set when the run adopts a change another actor (a person, a scaling policy, a scheduled action)
   * made to desired capacity mid-run: the change, which the run keeps in the capacity it restores at
   * its end instead of overwriting it.
   */
  adoptsChangeBy: Schema.optionalKey(Schema.Int),
  /**
   * Set on a launch that balances the group's zones: the smallest zones, into one of which Auto Scaling
   * should launch, and the members each had. A later look at their counts tells whether it did.
   */
  intoZones: Schema.optionalKey(Schema.Struct({ zones: Schema.Array(Schema.String), membersBefore: Count })),
})
/** Detaches instances so the group launches replacements (`detach` mode); at most 20 per AWS call, the adapter batches. */
export const DetachInstances = Schema.TaggedStruct("DetachInstances", {
  ...base,
  asgName: Schema.String,
  instanceIds: Schema.Array(Schema.String),
  decrementDesiredCapacity: Schema.Boolean,
})
/**
 * Attaches instances back to a group (rollback of `detach` mode); Auto Scaling raises desired capacity by
 * the number attached and refuses to go above max size. At most 20 per AWS call, the adapter batches.
 */
export const AttachInstances = Schema.TaggedStruct("AttachInstances", {
  ...base,
  asgName: Schema.String,
  instanceIds: Schema.Array(Schema.String),
})
/**
 * The new capacity a drain relies on: the group's new instances proven when it was decided, of which
 * at least `required` must still be running and ACTIVE with a connected agent when it is issued.
 */
export const ProvenCapacity = Schema.Struct({
  asgName: Schema.String,
  required: Count,
  instances: Schema.Array(Schema.Struct({ instanceId: Schema.String, containerInstanceArn: Schema.String })),
})
export type ProvenCapacity = typeof ProvenCapacity.Type

/** Sets container instances to DRAINING: ECS replaces their service tasks within each service's min/max percent. */
export const DrainInstances = Schema.TaggedStruct("DrainInstances", {
  ...base,
  clusterName: Schema.String,
  wave: Count,
  containerInstanceArns: Schema.Array(Schema.String),
  instanceIds: Schema.Array(Schema.String),
  /** Absent in logs recorded before it was kept, and for a drain that needs no new capacity. */
  provenCapacity: Schema.optionalKey(ProvenCapacity),
})
/** Sets drained container instances back to ACTIVE (rollback). */
export const ActivateInstances = Schema.TaggedStruct("ActivateInstances", {
  ...base,
  clusterName: Schema.String,
  containerInstanceArns: Schema.Array(Schema.String),
})
/** Stops standalone tasks the policy allows to be stopped. */
export const StopTasks = Schema.TaggedStruct("StopTasks", {
  ...base,
  clusterName: Schema.String,
  taskArns: Schema.Array(Schema.String),
})
/**
 * Terminates specific instances. Instances still in the group go through
 * TerminateInstanceInAutoScalingGroup (decrementing desired capacity when `decrementDesiredCapacity`);
 * detached ones through EC2 TerminateInstances.
 */
export const TerminateInstances = Schema.TaggedStruct("TerminateInstances", {
  ...base,
  asgName: Schema.String,
  instanceIds: Schema.Array(Schema.String),
  decrementDesiredCapacity: Schema.Boolean,
})
/** Deletes launch template versions / launch configurations beyond the newest `keep`, never one in use. */
export const CleanupLaunchSpecs = Schema.TaggedStruct("CleanupLaunchSpecs", {
  ...base,
  asgName: Schema.String,
  keep: Count,
})

export const Command = Schema.Union([
  TagInstances,
  SuspendProcesses,
  ResumeProcesses,
  UpdateLaunchSpec,
  RestoreLaunchSpec,
  SetCapacity,
  DetachInstances,
  AttachInstances,
  DrainInstances,
  ActivateInstances,
  StopTasks,
  TerminateInstances,
  CleanupLaunchSpecs,
])
export type Command = typeof Command.Type
export type CommandTag = Command["_tag"]

/** Commands that change or remove capacity or workloads: never issued twice for the same id. */
export const isDestructive = (command: Command): boolean =>
  command._tag === "TerminateInstances" ||
  command._tag === "DetachInstances" ||
  command._tag === "DrainInstances" ||
  command._tag === "StopTasks"

/** The tag keys a run writes on instances it touches; the Go tool's keys are recognised too. */
export const RunTagKeys = {
  runId: "ecs-ami-deploy:run-id",
  role: "ecs-ami-deploy:role",
  legacyAsg: "ecs-ami-deploy-asg",
  legacyTerminate: "ecs-ami-deploy-terminate",
} as const
export type InstanceRole = "old" | "new"
