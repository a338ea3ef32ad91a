/**
 * Fixed facts the model needs about EC2 instance types and the ECS agent: what a container
 * instance registers (CPU units = 1024 per vCPU; memory = what the ECS-optimized AMI reports after
 * the agent's and OS's share) and the host ports the agent reserves.
 */
export interface InstanceTypeSpec {
  readonly cpu: number
  readonly memory: number
  readonly architecture: "x86_64" | "arm64"
}

/** Registered resources as the ECS-optimized AL2023 AMI reports them (rounded observations). */
export const instanceTypes: Readonly<Record<string, InstanceTypeSpec>> = {
  "t3.medium": { cpu: 2048, memory: 3828, architecture: "x86_64" },
  "t3.large": { cpu: 2048, memory: 7860, architecture: "x86_64" },
  "m5.large": { cpu: 2048, memory: 7680, architecture: "x86_64" },
  "m5.xlarge": { cpu: 4096, memory: 15576, architecture: "x86_64" },
  "m6i.large": { cpu: 2048, memory: 7680, architecture: "x86_64" },
  "c5.large": { cpu: 2048, memory: 3704, architecture: "x86_64" },
  "c5.xlarge": { cpu: 4096, memory: 7502, architecture: "x86_64" },
  "r5.large": { cpu: 2048, memory: 15788, architecture: "x86_64" },
  "m6g.large": { cpu: 2048, memory: 7680, architecture: "arm64" },
}

/** Used for a type missing from the table, so a scenario with an exotic type still runs. */
export const fallbackInstanceType: InstanceTypeSpec = { cpu: 2048, memory: 3828, architecture: "x86_64" }

export const instanceTypeSpec = (instanceType: string): InstanceTypeSpec =>
  instanceTypes[instanceType] ?? fallbackInstanceType

/** Host ports the ECS agent reserves on every container instance (SSH, Docker, agent introspection). */
export const agentReservedPorts: ReadonlyArray<number> = [22, 2375, 2376, 51678, 51679]

/** The account and Region of a scenario that names none. */
export const defaultAccountId = "123456789012"
export const defaultRegion = "us-east-1"
/** The account that owns the Amazon ECS-optimized AMIs (alias `amazon`). */
export const amazonOwnerId = "591542846629"
