/**
 * Decoding observations: a snapshot that violates the schema fails with a message naming the field.
 */
import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import { decodeClusterSnapshot } from "./snapshot.ts"

const image = {
  imageId: "ami-new",
  name: "al2023-ami-ecs-hvm-2026.1.0-kernel-6.1-x86_64",
  ownerId: "amazon",
  creationDate: 0,
  architecture: "x86_64",
  state: "available",
  tags: {},
}

const containerInstance = {
  containerInstanceArn: "arn:ci/i-1",
  ec2InstanceId: "i-1",
  status: "ACTIVE",
  agentConnected: true,
  registered: { cpu: 2048, memory: 4096, ports: [22] },
  remaining: { cpu: 2048, memory: 4096, ports: [22] },
  runningTasksCount: 0,
  pendingTasksCount: 0,
  availabilityZone: "eu-west-1a",
  attributes: {},
}

const validSnapshot = {
  clusterName: "ci",
  observedAt: 1_000,
  targetImage: image,
  images: [image],
  groups: [],
  instances: [],
  containerInstances: [containerInstance],
  services: [],
  tasks: [],
}

const decode = (input: unknown) => Effect.runSync(Effect.result(decodeClusterSnapshot(input)))

const failureMessage = (input: unknown): string => {
  const result = decode(input)
  if (Result.isSuccess(result)) throw new Error("expected the snapshot to be rejected")
  return result.failure.message
}

describe("decodeClusterSnapshot", () => {
  it("given a well-formed snapshot, then it decodes to the same data", () => {
    const result = decode(validSnapshot)
    expect(Result.isSuccess(result) && result.success).toEqual(validSnapshot)
  })

  it("given a negative task count, then the failure names the field", () => {
    const message = failureMessage({
      ...validSnapshot,
      containerInstances: [{ ...containerInstance, runningTasksCount: -1 }],
    })
    expect(message).toContain("runningTasksCount")
  })

  it("given an unknown container instance status, then the failure names the field and the allowed values", () => {
    const message = failureMessage({
      ...validSnapshot,
      containerInstances: [{ ...containerInstance, status: "SLEEPING" }],
    })
    expect(message).toContain("status")
    expect(message).toContain("ACTIVE")
  })

  it("given a missing field, then the failure names it", () => {
    const { observedAt: _dropped, ...withoutTime } = validSnapshot
    expect(failureMessage(withoutTime)).toContain("observedAt")
  })

  it("given a fractional CPU figure, then the failure names the field", () => {
    const message = failureMessage({
      ...validSnapshot,
      containerInstances: [{ ...containerInstance, remaining: { ...containerInstance.remaining, cpu: 1.5 } }],
    })
    expect(message).toContain("cpu")
  })
})
