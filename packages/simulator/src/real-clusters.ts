/**
 * Scenarios shaped like the clusters operators really run, each a known way a rollout tool goes
 * wrong: ECS capacity providers with managed scaling and managed instance draining (the defaults of
 * a capacity provider created today), a scale-out already in progress, another actor changing
 * desired capacity mid-run, a 3,600 s target group deregistration delay, instances outside any
 * Auto Scaling group, an instance with EC2 termination protection, a launch template that reads its
 * image from the operator's own SSM parameter, a zone without capacity, and a single task whose every
 * move is an outage. Each is the standard-20 or small cluster with one shape added, so a difference in
 * the outcome is that shape's doing. `simulate --scenario <name>` runs them like the others.
 */
import type { Scenario } from "./scenario.ts"

type Base = Scenario

/** The base scenario with its first group patched. */
const withFirstGroup = (base: Base, patch: Partial<Scenario["groups"][number]>): Scenario["groups"] =>
  base.groups.map((group, index) => (index === 0 ? { ...group, ...patch } : group))

/** Every group of the base behind a capacity provider with these managed features. */
const withCapacityProviders = (
  base: Base,
  managed: { readonly managedScaling: boolean; readonly managedTerminationProtection: boolean },
): Scenario["clusters"] =>
  base.clusters.map((cluster) => ({
    ...cluster,
    capacityProviders: base.groups.map((group) => ({
      name: `${group.name}-cp`,
      asgName: group.name,
      ...managed,
      managedDraining: true,
    })),
  }))

/**
 * `base` with every group behind a capacity provider with ECS managed instance draining and nothing
 * else managed (no managed scaling, no managed termination protection): what an instance refresh
 * needs to drain before it terminates. The benchmark races instance refresh on it.
 */
export const withManagedDraining = (base: Base): Scenario => ({
  ...base,
  description: `${base.description} Every group behind a capacity provider with managed instance draining.`,
  clusters: withCapacityProviders(base, { managedScaling: false, managedTerminationProtection: false }),
})

/** The real-cluster scenarios, derived from `standard` (20 instances, 3 AZs) and `small` (4 instances). */
export const realClusterScenarios = (standard: Base, small: Base) =>
  ({
    "managed-draining": {
      ...standard,
      name: "managed-draining",
      description:
        "standard-20 behind a capacity provider as created today: managed scaling, managed termination protection and managed instance draining (a terminate lifecycle hook ECS completes once the instance is drained).",
      clusters: withCapacityProviders(standard, { managedScaling: true, managedTerminationProtection: true }),
    },
    "scale-out-in-progress": {
      ...standard,
      name: "scale-out-in-progress",
      description:
        "standard-20 with 17 of its 20 instances running: a scale-out is under way when the run starts (3 instances Pending on the old image).",
      groups: withFirstGroup(standard, { initialInstances: 17 }),
    },
    "actor-mid-run": {
      ...standard,
      name: "actor-mid-run",
      description:
        "standard-20 where a person raises desired capacity to 34 three minutes into the run and a scheduled action raises it to 38 five minutes in: the run must adopt each change, not overwrite it. (A scale-in by another actor terminates instances of Auto Scaling's choosing undrained unless the group has managed draining: no rollout tool can undo that.)",
      faults: {
        desiredCapacityChanges: [
          { atMs: 180_000, groupName: standard.groups[0]?.name ?? "", desiredCapacity: 34, by: "person" },
          {
            atMs: 300_000,
            groupName: standard.groups[0]?.name ?? "",
            desiredCapacity: 38,
            by: "scheduled-action",
          },
        ],
      },
    },
    "long-deregistration": {
      ...small,
      name: "long-deregistration",
      description:
        "small with every load-balanced service behind a target group with the longest deregistration delay (3,600 s): a drain takes an hour and is healthy all along.",
      services: small.services.map((service) =>
        service.loadBalanced ? { ...service, deregistrationDelayMs: 3_600_000 } : service,
      ),
    },
    "unmanaged-instance": {
      ...small,
      name: "unmanaged-instance",
      description:
        "small plus one instance launched by hand into the cluster (no Auto Scaling group): the run cannot replace it and must say so.",
      clusters: small.clusters.map((cluster) => ({
        ...cluster,
        unmanagedInstances: [{ availabilityZone: "us-east-1a", instanceType: "m5.large" }],
      })),
    },
    "ssm-template": {
      ...small,
      name: "ssm-template",
      description:
        "small whose launch template takes its image from the operator's SSM parameter /platform/golden-ami (ImageId resolve:ssm:/platform/golden-ami), which names the old image.",
      ssmParameters: [
        ...small.ssmParameters,
        { name: "/platform/golden-ami", value: small.launchTemplates[0]?.versions[0]?.imageId ?? "" },
      ],
      launchTemplates: small.launchTemplates.map((template) => ({
        ...template,
        versions: template.versions.map((version) => ({
          ...version,
          imageId: "resolve:ssm:/platform/golden-ami",
        })),
      })),
    },
    "zone-without-capacity": {
      ...standard,
      name: "zone-without-capacity",
      description:
        "standard-20 where us-east-1c has no capacity for new instances (InsufficientInstanceCapacity): Auto Scaling launches every replacement into the other zones, and a balancing launch cannot land where it is meant to.",
      faults: { ...standard.faults, launchFailures: [{ availabilityZone: "us-east-1c" }] },
    },
    "single-task-outage": {
      ...small,
      name: "single-task-outage",
      description:
        "small plus a service that runs one task at minimumHealthyPercent 0 / maximumPercent 100 (ECS stops it before it starts its replacement: each move is an outage; plan refuses it unless --unsafe-services proceed). ECS may place the replacement on any ACTIVE instance with room, old instances that drain later included.",
      services: [
        ...small.services,
        {
          clusterName: small.clusters[0]?.name ?? "",
          name: "solo",
          schedulingStrategy: "REPLICA",
          desiredCount: 1,
          minimumHealthyPercent: 0,
          maximumPercent: 100,
          cpu: 256,
          memory: 512,
          loadBalanced: false,
        },
      ],
    },
    "termination-protected": {
      ...small,
      name: "termination-protected",
      description:
        "small with one instance under EC2 termination protection (DisableApiTermination): Auto Scaling terminates it, EC2 TerminateInstances (detach mode) refuses it.",
      groups: withFirstGroup(small, { initialTerminationProtected: 1 }),
    },
  }) satisfies Readonly<Record<string, Scenario>>
