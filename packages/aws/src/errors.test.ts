import type { AwsErrorKind } from "@ecs-ami-deploy/domain"
import { describe, expect, it } from "vitest"
import { sdkError } from "../test/sdk-error.ts"
import { ecsFailuresError, mapAutoScalingError, mapEc2Error, mapEcsError, mapSsmError } from "./errors.ts"

const networkError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code })
/** What the default credential chain throws when no provider yields credentials (smithy's CredentialsProviderError). */
const credentialsProviderError = (message: string) =>
  Object.assign(new Error(message), { name: "CredentialsProviderError", tryNextLink: false })

describe("mapEc2Error", () => {
  it.each<[string, unknown, AwsErrorKind]>([
    ["RequestLimitExceeded", sdkError("ec2", "RequestLimitExceeded"), "throttled"],
    ["Throttling", sdkError("ec2", "Throttling"), "throttled"],
    ["an unnamed 503", sdkError("ec2", "Unavailable", "slow down", 503), "transient"],
    ["InternalError", sdkError("ec2", "InternalError", "oops", 500), "transient"],
    ["a reset connection", networkError("ECONNRESET"), "transient"],
    ["InvalidInstanceID.NotFound", sdkError("ec2", "InvalidInstanceID.NotFound"), "not-found"],
    ["InvalidAMIID.NotFound", sdkError("ec2", "InvalidAMIID.NotFound"), "not-found"],
    ["InvalidLaunchTemplateId.NotFound", sdkError("ec2", "InvalidLaunchTemplateId.NotFound"), "not-found"],
    [
      "InvalidLaunchTemplateName.NotFoundException",
      sdkError("ec2", "InvalidLaunchTemplateName.NotFoundException"),
      "not-found",
    ],
    ["InvalidParameterValue", sdkError("ec2", "InvalidParameterValue"), "invalid-parameter"],
    [
      "OperationNotPermitted (termination protection)",
      sdkError("ec2", "OperationNotPermitted"),
      "invalid-parameter",
    ],
    ["UnauthorizedOperation", sdkError("ec2", "UnauthorizedOperation"), "access-denied"],
    ["AuthFailure", sdkError("ec2", "AuthFailure"), "access-denied"],
    [
      "LaunchTemplateVersionLimitExceeded",
      sdkError("ec2", "LaunchTemplateVersionLimitExceeded"),
      "limit-exceeded",
    ],
    ["a code nobody mapped", sdkError("ec2", "Unsupported"), "unknown"],
  ])("given %s, when mapped, then its kind is the expected one", (_, cause, kind) => {
    const error = mapEc2Error("ec2:DescribeInstances", cause)
    expect(error.kind).toBe(kind)
    expect(error.operation).toBe("ec2:DescribeInstances")
  })

  it("keeps the AWS code and message", () => {
    const error = mapEc2Error(
      "ec2:TerminateInstances",
      sdkError("ec2", "OperationNotPermitted", "The instance 'i-1' may not be terminated"),
    )
    expect({ code: error.code, message: error.message }).toEqual({
      code: "OperationNotPermitted",
      message: "The instance 'i-1' may not be terminated",
    })
  })
})

describe("mapAutoScalingError", () => {
  it.each<[string, unknown, AwsErrorKind]>([
    ["Throttling", sdkError("autoscaling", "Throttling"), "throttled"],
    ["ServiceUnavailable", sdkError("autoscaling", "ServiceUnavailable", "down", 503), "transient"],
    ["ResourceContention", sdkError("autoscaling", "ResourceContention", "busy", 500), "conflict"],
    ["ScalingActivityInProgress", sdkError("autoscaling", "ScalingActivityInProgress"), "conflict"],
    ["InstanceRefreshInProgress", sdkError("autoscaling", "InstanceRefreshInProgress"), "conflict"],
    ["ResourceInUse", sdkError("autoscaling", "ResourceInUse"), "conflict"],
    ["ValidationError", sdkError("autoscaling", "ValidationError"), "invalid-parameter"],
    ["AlreadyExists", sdkError("autoscaling", "AlreadyExists"), "invalid-parameter"],
    ["AccessDenied", sdkError("autoscaling", "AccessDenied"), "access-denied"],
    ["ExpiredToken", sdkError("autoscaling", "ExpiredToken"), "access-denied"],
    ["LimitExceeded", sdkError("autoscaling", "LimitExceeded"), "limit-exceeded"],
  ])("given %s, when mapped, then its kind is the expected one", (_, cause, kind) => {
    expect(mapAutoScalingError("autoscaling:UpdateAutoScalingGroup", cause).kind).toBe(kind)
  })

  it("classifies a listed code before the HTTP status: ResourceContention arrives as a 500 and stays a conflict", () => {
    expect(
      mapAutoScalingError(
        "autoscaling:DetachInstances",
        sdkError("autoscaling", "ResourceContention", "busy", 500),
      ).kind,
    ).toBe("conflict")
  })
})

describe("mapEcsError", () => {
  it.each<[string, unknown, AwsErrorKind]>([
    ["ThrottlingException", sdkError("ecs", "ThrottlingException"), "throttled"],
    ["TooManyRequestsException", sdkError("ecs", "TooManyRequestsException"), "throttled"],
    ["ServerException", sdkError("ecs", "ServerException", "oops", 500), "transient"],
    ["a request timeout", Object.assign(new Error("socket hang up"), { name: "TimeoutError" }), "transient"],
    ["a refused connection", networkError("ECONNREFUSED"), "transient"],
    ["ClusterNotFoundException", sdkError("ecs", "ClusterNotFoundException"), "not-found"],
    ["ServiceNotFoundException", sdkError("ecs", "ServiceNotFoundException"), "not-found"],
    ["InvalidParameterException", sdkError("ecs", "InvalidParameterException"), "invalid-parameter"],
    ["AccessDeniedException", sdkError("ecs", "AccessDeniedException"), "access-denied"],
    ["LimitExceededException", sdkError("ecs", "LimitExceededException"), "limit-exceeded"],
  ])("given %s, when mapped, then its kind is the expected one", (_, cause, kind) => {
    expect(mapEcsError("ecs:ListClusters", cause).kind).toBe(kind)
  })

  it("turns a credentials-provider failure into access-denied telling the user to configure credentials", () => {
    const error = mapEcsError(
      "ecs:ListClusters",
      credentialsProviderError("Could not load credentials from any providers"),
    )
    expect(error.kind).toBe("access-denied")
    expect(error.code).toBe("CredentialsProviderError")
    expect(error.message).toMatch(/configure them/)
    expect(error.message).toMatch(/Could not load credentials/)
  })
})

describe("mapSsmError", () => {
  it.each<[string, unknown, AwsErrorKind]>([
    ["ThrottlingException", sdkError("ssm", "ThrottlingException"), "throttled"],
    ["InternalServerError", sdkError("ssm", "InternalServerError", "oops", 500), "transient"],
    ["ParameterNotFound", sdkError("ssm", "ParameterNotFound"), "not-found"],
    ["AccessDeniedException", sdkError("ssm", "AccessDeniedException"), "access-denied"],
    ["ValidationException", sdkError("ssm", "ValidationException"), "invalid-parameter"],
  ])("given %s, when mapped, then its kind is the expected one", (_, cause, kind) => {
    expect(mapSsmError("ssm:GetParameter", cause).kind).toBe(kind)
  })
})

describe("ecsFailuresError", () => {
  it("maps reason MISSING to not-found and names every failed resource", () => {
    const error = ecsFailuresError("ecs:DescribeServices", [
      { arn: "arn:svc/a", reason: "MISSING" },
      { arn: "arn:svc/b", reason: "MISSING", detail: "gone" },
    ])
    expect(error.kind).toBe("not-found")
    expect(error.code).toBe("MISSING")
    expect(error.message).toBe("ECS reported 2 failure(s): arn:svc/a: MISSING; arn:svc/b: MISSING (gone)")
  })

  it("maps any other reason to a non-retryable error carrying the reason as code", () => {
    const error = ecsFailuresError("ecs:UpdateContainerInstancesState", [
      { arn: "arn:ci/1", reason: "INACTIVE" },
    ])
    expect({ kind: error.kind, code: error.code, retryable: error.retryable }).toEqual({
      kind: "unknown",
      code: "INACTIVE",
      retryable: false,
    })
  })
})
