/**
 * A small in-memory stand-in for the EC2, Auto Scaling and SSM ports, enough for the strategies' unit
 * tests: launch templates with versions (ClientToken idempotency as in EC2), launch configurations,
 * groups, SSM parameters and images, plus per-operation failure injection and a log of mutating calls.
 * Calls the strategies never make die, so a test notices if that changes.
 */
import { Effect, Layer } from "effect"
import {
  AwsCallError,
  type AwsErrorKind,
  type AutoScalingGroupDescription,
  type Image,
} from "@ecs-ami-deploy/domain"
import {
  AutoScaling,
  Ec2,
  type LaunchConfiguration,
  type LaunchTemplateVersion,
  Ssm,
} from "@ecs-ami-deploy/ports"

export interface StubTemplate {
  readonly id: string
  readonly name: string
  defaultVersion: number
  readonly versions: Map<number, { imageId: string; description?: string; token?: string }>
}

export interface StubWorld {
  readonly templates: Map<string, StubTemplate>
  readonly configurations: Map<string, LaunchConfiguration>
  readonly groups: Map<string, AutoScalingGroupDescription>
  readonly parameters: Map<string, string>
  readonly images: Array<Image>
  /** Operation name → the error its next calls fail with. */
  readonly failures: Map<string, AwsCallError>
  /** Mutating calls in order, e.g. `createLaunchTemplateVersion lt-1 from 3`. */
  readonly calls: Array<string>
}

export const emptyWorld = (): StubWorld => ({
  templates: new Map(),
  configurations: new Map(),
  groups: new Map(),
  parameters: new Map(),
  images: [],
  failures: new Map(),
  calls: [],
})

export const awsError = (operation: string, kind: AwsErrorKind, code: string = kind): AwsCallError =>
  new AwsCallError({ operation, kind, code, message: `${code} (stub)` })

const latestOf = (template: StubTemplate): number => Math.max(...template.versions.keys())

/** The stub's ports over `world`, which tests arrange beforehand and inspect afterwards. */
export const stubPorts = (world: StubWorld) => {
  const call = <A>(operation: string, body: () => A | AwsCallError): Effect.Effect<A, AwsCallError> =>
    Effect.suspend(() => {
      const injected = world.failures.get(operation)
      if (injected !== undefined) return Effect.fail(injected)
      const result = body()
      return result instanceof AwsCallError ? Effect.fail(result) : Effect.succeed(result)
    })
  const notUsed = (operation: string) => () => Effect.die(`the strategies do not call ${operation}`)
  const template = (operation: string, id: string) =>
    world.templates.get(id) ?? awsError(operation, "not-found")
  const versionView = (t: StubTemplate, versionNumber: number): LaunchTemplateVersion => {
    const version = t.versions.get(versionNumber)
    return {
      launchTemplateId: t.id,
      versionNumber,
      imageId: version?.imageId ?? "",
      createdAt: versionNumber,
      isDefault: t.defaultVersion === versionNumber,
      ...(version?.description === undefined ? {} : { description: version.description }),
    }
  }

  const ec2 = Ec2.of({
    describeInstances: notUsed("describeInstances"),
    createTags: notUsed("createTags"),
    terminateInstances: notUsed("terminateInstances"),
    terminationProtectedIds: notUsed("terminationProtectedIds"),
    describeImages: (query) =>
      call("describeImages", () =>
        query._tag === "ByIds"
          ? world.images.filter((image) => query.imageIds.includes(image.imageId))
          : world.images.filter((image) => {
              const pattern = new RegExp(
                `^${query.namePattern
                  .split("*")
                  .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
                  .join(".*")}$`,
              )
              const owned = query.owners.includes(image.ownerId)
              const tagged = Object.entries(query.tags ?? {}).every(
                ([key, value]) => image.tags[key] === value,
              )
              return (
                pattern.test(image.name) &&
                owned &&
                tagged &&
                (query.architecture === undefined || image.architecture === query.architecture) &&
                (query.includeDeprecated || image.deprecationTime === undefined)
              )
            }),
      ),
    describeLaunchTemplate: (ref) =>
      call("describeLaunchTemplate", () => {
        const found = [...world.templates.values()].find((t) => t.id === ref.id || t.name === ref.name)
        return found === undefined
          ? awsError("describeLaunchTemplate", "not-found")
          : {
              launchTemplateId: found.id,
              launchTemplateName: found.name,
              defaultVersionNumber: found.defaultVersion,
              latestVersionNumber: latestOf(found),
            }
      }),
    describeLaunchTemplateVersions: (id, versions) =>
      call("describeLaunchTemplateVersions", () => {
        const t = template("describeLaunchTemplateVersions", id)
        if (t instanceof AwsCallError) return t
        const numbers =
          versions === undefined
            ? [...t.versions.keys()]
            : versions.map((v) =>
                v === "$Latest" ? latestOf(t) : v === "$Default" ? t.defaultVersion : Number(v),
              )
        return numbers.filter((n) => t.versions.has(n)).map((n) => versionView(t, n))
      }),
    createLaunchTemplateVersion: (input) =>
      call("createLaunchTemplateVersion", () => {
        const t = template("createLaunchTemplateVersion", input.launchTemplateId)
        if (t instanceof AwsCallError) return t
        const earlier = [...t.versions.entries()].find(
          ([, version]) => version.token === input.idempotencyKey,
        )
        if (earlier !== undefined) return versionView(t, earlier[0])
        if (!t.versions.has(Number(input.sourceVersion)))
          return awsError("createLaunchTemplateVersion", "invalid-parameter")
        const versionNumber = latestOf(t) + 1
        t.versions.set(versionNumber, {
          imageId: input.imageId,
          description: input.description,
          token: input.idempotencyKey,
        })
        world.calls.push(
          `createLaunchTemplateVersion ${t.id} from ${input.sourceVersion} image ${input.imageId}`,
        )
        return versionView(t, versionNumber)
      }),
    setDefaultLaunchTemplateVersion: (id, versionNumber) =>
      call("setDefaultLaunchTemplateVersion", () => {
        const t = template("setDefaultLaunchTemplateVersion", id)
        if (t instanceof AwsCallError) return t
        t.defaultVersion = versionNumber
        world.calls.push(`setDefaultLaunchTemplateVersion ${id} ${versionNumber}`)
        return undefined
      }),
    deleteLaunchTemplateVersions: (id, versionNumbers) =>
      call("deleteLaunchTemplateVersions", () => {
        const t = template("deleteLaunchTemplateVersions", id)
        if (t instanceof AwsCallError) return t
        for (const n of versionNumbers) t.versions.delete(n)
        world.calls.push(`deleteLaunchTemplateVersions ${id} ${versionNumbers.join(",")}`)
        return undefined
      }),
  })

  const autoScaling = AutoScaling.of({
    describeGroups: (names) =>
      call("describeGroups", () =>
        [...world.groups.values()].filter((group) => names.length === 0 || names.includes(group.name)),
      ),
    updateGroup: (input) =>
      call("updateGroup", () => {
        const group = world.groups.get(input.asgName)
        if (group === undefined) return awsError("updateGroup", "not-found")
        if (input.launchSpec !== undefined)
          world.groups.set(group.name, { ...group, launchSpec: input.launchSpec })
        world.calls.push(`updateGroup ${input.asgName}`)
        return undefined
      }),
    detachInstances: notUsed("detachInstances"),
    attachInstances: notUsed("attachInstances"),
    terminateInstanceInGroup: notUsed("terminateInstanceInGroup"),
    suspendProcesses: notUsed("suspendProcesses"),
    resumeProcesses: notUsed("resumeProcesses"),
    setInstanceProtection: notUsed("setInstanceProtection"),
    describeScalingActivities: notUsed("describeScalingActivities"),
    describeLaunchConfigurations: (names) =>
      call("describeLaunchConfigurations", () =>
        [...world.configurations.values()].filter(
          (configuration) => names === undefined || names.includes(configuration.name),
        ),
      ),
    copyLaunchConfiguration: (input) =>
      call("copyLaunchConfiguration", () => {
        const source = world.configurations.get(input.sourceName)
        if (source === undefined) return awsError("copyLaunchConfiguration", "not-found")
        if (world.configurations.has(input.name))
          return awsError("copyLaunchConfiguration", "conflict", "AlreadyExists")
        const copy = {
          ...source,
          name: input.name,
          imageId: input.imageId,
          createdAt: source.createdAt + world.configurations.size,
        }
        world.configurations.set(input.name, copy)
        world.calls.push(`copyLaunchConfiguration ${input.sourceName} to ${input.name}`)
        return copy
      }),
    deleteLaunchConfiguration: (name) =>
      call("deleteLaunchConfiguration", () => {
        world.configurations.delete(name)
        world.calls.push(`deleteLaunchConfiguration ${name}`)
      }),
  })

  const ssm = Ssm.of({
    getParameter: (name) =>
      call("getParameter", () => {
        const value = world.parameters.get(name)
        return value === undefined
          ? awsError("getParameter", "not-found", "ParameterNotFound")
          : { name, value, version: 1, lastModified: 0 }
      }),
  })

  return Layer.mergeAll(
    Layer.succeed(Ec2, ec2),
    Layer.succeed(AutoScaling, autoScaling),
    Layer.succeed(Ssm, ssm),
  )
}

/** A group of two instances on `launchSpec` (the strategies read only its name and spec). */
export const groupWith = (
  name: string,
  launchSpec: AutoScalingGroupDescription["launchSpec"],
): AutoScalingGroupDescription => ({
  name,
  minSize: 1,
  maxSize: 4,
  desiredCapacity: 2,
  availabilityZones: ["eu-west-1a"],
  suspendedProcesses: [],
  launchSpec,
  instances: [],
  tags: {},
})

/** An available Amazon image; override what the test is about. */
export const image = (fields: Partial<Image> & Pick<Image, "imageId">): Image => ({
  name: `al2023-ami-ecs-hvm-2026.0.${fields.imageId}-kernel-6.1-x86_64`,
  ownerId: "amazon",
  creationDate: 0,
  architecture: "x86_64",
  state: "available",
  tags: {},
  ...fields,
})

/** A template the test arranged; a missing one is a broken test, not a finding. */
export const templateIn = (world: StubWorld, id: string): StubTemplate => {
  const found = world.templates.get(id)
  if (found === undefined) throw new Error(`test arranged no template ${id}`)
  return found
}

/** A group the test arranged, as it is now. */
export const groupIn = (world: StubWorld, name: string): AutoScalingGroupDescription => {
  const found = world.groups.get(name)
  if (found === undefined) throw new Error(`test arranged no group ${name}`)
  return found
}
