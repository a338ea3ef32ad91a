/**
 * Tiny fakes of the ports for unit tests: each answers only the calls a test gives it and records
 * every call made; any other call dies naming the method, so a test notices an unexpected call.
 */
import { Effect, Layer } from "effect"
import {
  AwsCallError,
  type AutoScalingGroupDescription,
  type Ec2Instance,
  type Image,
} from "@ecs-ami-deploy/domain"
import { AutoScaling, CloudWatch, Ec2, Ecs, LoadBalancing, Ssm } from "@ecs-ami-deploy/ports"

export interface CallLog {
  readonly calls: Array<{ readonly method: string; readonly args: ReadonlyArray<unknown> }>
}

/** A service whose given methods are recorded and whose other methods die when called. */
const partial = <S extends object>(name: string, log: CallLog, given: Partial<S>): S =>
  new Proxy(given, {
    get: (target, method) => {
      const implementation = (target as Record<string | symbol, unknown>)[method]
      // Recorded when the call runs, not when its effect is built: as with AWS, nothing happens until then.
      return (...args: ReadonlyArray<unknown>) =>
        Effect.suspend(() => {
          log.calls.push({ method: `${name}.${String(method)}`, args })
          return typeof implementation === "function"
            ? ((implementation as (...a: ReadonlyArray<unknown>) => unknown)(
                ...args,
              ) as Effect.Effect<unknown>)
            : Effect.die(`${name}.${String(method)} was not expected in this test`)
        })
    },
  }) as S

export const fakePorts = (
  log: CallLog,
  services: {
    readonly ec2?: Partial<Ec2["Service"]>
    readonly autoScaling?: Partial<AutoScaling["Service"]>
    readonly ecs?: Partial<Ecs["Service"]>
    readonly cloudWatch?: Partial<CloudWatch["Service"]>
    readonly loadBalancing?: Partial<LoadBalancing["Service"]>
  },
) =>
  Layer.mergeAll(
    Layer.succeed(Ec2, partial<Ec2["Service"]>("ec2", log, services.ec2 ?? {})),
    Layer.succeed(
      AutoScaling,
      partial<AutoScaling["Service"]>("autoScaling", log, services.autoScaling ?? {}),
    ),
    Layer.succeed(Ecs, partial<Ecs["Service"]>("ecs", log, services.ecs ?? {})),
    Layer.succeed(Ssm, partial<Ssm["Service"]>("ssm", log, {})),
    Layer.succeed(CloudWatch, partial<CloudWatch["Service"]>("cloudWatch", log, services.cloudWatch ?? {})),
    Layer.succeed(
      LoadBalancing,
      partial<LoadBalancing["Service"]>("loadBalancing", log, services.loadBalancing ?? {}),
    ),
  )

export const callsTo = (log: CallLog, method: string) => log.calls.filter((call) => call.method === method)

export const throttled = (operation: string) =>
  new AwsCallError({ operation, kind: "throttled", code: "Throttling", message: "Rate exceeded" })

export const image = (imageId: string, creationDate: number): Image => ({
  imageId,
  name: `al2023-ami-ecs-hvm-${imageId}-x86_64`,
  ownerId: "amazon",
  creationDate,
  architecture: "x86_64",
  state: "available",
  tags: {},
})

export const ec2Instance = (instanceId: string, overrides: Partial<Ec2Instance> = {}): Ec2Instance => ({
  instanceId,
  imageId: "ami-old",
  instanceType: "m6i.large",
  architecture: "x86_64",
  availabilityZone: "eu-west-1a",
  state: "running",
  launchTime: 0,
  lifecycle: "on-demand",
  terminationProtected: false,
  tags: {},
  ...overrides,
})

export const group = (
  name: string,
  overrides: Partial<AutoScalingGroupDescription> = {},
): AutoScalingGroupDescription => ({
  name,
  minSize: 1,
  maxSize: 4,
  desiredCapacity: 2,
  availabilityZones: ["eu-west-1a"],
  suspendedProcesses: [],
  launchSpec: {
    _tag: "LaunchTemplate",
    template: { launchTemplateId: "lt-1", launchTemplateName: "web", version: "$Latest" },
  },
  instances: [],
  tags: {},
  ...overrides,
})

export const member = (
  instanceId: string,
  lifecycleState: AutoScalingGroupDescription["instances"][number]["lifecycleState"],
) => ({
  instanceId,
  availabilityZone: "eu-west-1a",
  lifecycleState,
  healthStatus: "Healthy" as const,
  protectedFromScaleIn: false,
  instanceType: "m6i.large",
})
