/**
 * Translation of SDK failures into the domain's `AwsCallError`, once, at the adapter boundary.
 * Each service family has its own mapping function over its own error codes; the kinds that every
 * service shares (throttling, server faults, network and credential failures) are classified first.
 * ECS reports some failures in a `failures[]` array of a successful response: those map here too.
 */
import { AwsCallError, type AwsErrorKind } from "@ecs-ami-deploy/domain"
import type { ErrorMapper } from "./call.ts"

type CodeTable = Readonly<Record<string, AwsErrorKind>>

const sharedCodes: CodeTable = {
  Throttling: "throttled",
  ThrottlingException: "throttled",
  RequestLimitExceeded: "throttled",
  TooManyRequestsException: "throttled",
  RequestThrottled: "throttled",
  ServiceUnavailable: "transient",
  ServiceUnavailableException: "transient",
  InternalFailure: "transient",
  InternalError: "transient",
  InternalServerError: "transient",
  RequestTimeout: "transient",
  RequestTimeoutException: "transient",
  TimeoutError: "transient",
  AccessDenied: "access-denied",
  AccessDeniedException: "access-denied",
  UnauthorizedOperation: "access-denied",
  UnrecognizedClientException: "access-denied",
  InvalidClientTokenId: "access-denied",
  AuthFailure: "access-denied",
  ExpiredToken: "access-denied",
  ExpiredTokenException: "access-denied",
  SignatureDoesNotMatch: "access-denied",
  ValidationError: "invalid-parameter",
  ValidationException: "invalid-parameter",
  InvalidParameterValue: "invalid-parameter",
  InvalidParameterCombination: "invalid-parameter",
  MissingParameter: "invalid-parameter",
  LimitExceeded: "limit-exceeded",
  LimitExceededException: "limit-exceeded",
}

const ec2Codes: CodeTable = {
  "InvalidInstanceID.NotFound": "not-found",
  "InvalidInstanceID.Malformed": "invalid-parameter",
  "InvalidAMIID.NotFound": "not-found",
  "InvalidAMIID.Unavailable": "not-found",
  "InvalidAMIID.Malformed": "invalid-parameter",
  "InvalidLaunchTemplateId.NotFound": "not-found",
  "InvalidLaunchTemplateName.NotFoundException": "not-found",
  "InvalidLaunchTemplateId.VersionNotFound": "not-found",
  "InvalidLaunchTemplateId.Malformed": "invalid-parameter",
  "InvalidLaunchTemplateName.MalformedException": "invalid-parameter",
  // Termination protection and similar states of the resource: retrying cannot help.
  OperationNotPermitted: "invalid-parameter",
  IdempotentParameterMismatch: "invalid-parameter",
  InstanceLimitExceeded: "limit-exceeded",
  LaunchTemplateVersionLimitExceeded: "limit-exceeded",
  ConcurrentTagAccess: "conflict",
  IncorrectState: "conflict",
}

const autoScalingCodes: CodeTable = {
  ResourceContention: "conflict",
  ScalingActivityInProgress: "conflict",
  InstanceRefreshInProgress: "conflict",
  ResourceInUse: "conflict",
  // A launch configuration name already taken: a different name is needed, not a retry.
  AlreadyExists: "invalid-parameter",
  ServiceLinkedRoleFailure: "access-denied",
}

const ecsCodes: CodeTable = {
  ClusterNotFoundException: "not-found",
  ServiceNotFoundException: "not-found",
  ServiceNotActiveException: "not-found",
  TargetNotFoundException: "not-found",
  ResourceNotFoundException: "not-found",
  InvalidParameterException: "invalid-parameter",
  ClientException: "invalid-parameter",
  ClusterContainsContainerInstancesException: "conflict",
  ResourceInUseException: "conflict",
  UpdateInProgressException: "conflict",
  ServerException: "transient",
}

const ssmCodes: CodeTable = {
  ParameterNotFound: "not-found",
  ParameterVersionNotFound: "not-found",
  InvalidKeyId: "invalid-parameter",
}

/** Node's socket-level failures: the request may not have reached AWS at all. */
const networkErrorCodes: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
])

const credentialErrorNames: ReadonlySet<string> = new Set([
  "CredentialsProviderError",
  "ProviderError",
  "TokenProviderError",
])

const credentialsHint =
  "no usable AWS credentials: configure them (environment variables, `aws configure` / `aws sso login`, " +
  "--profile, or an instance/task role)"

interface SdkErrorFields {
  readonly name?: unknown
  readonly code?: unknown
  readonly message?: unknown
  readonly $fault?: unknown
  readonly $metadata?: { readonly httpStatusCode?: unknown }
}

const fieldsOf = (cause: unknown): SdkErrorFields =>
  typeof cause === "object" && cause !== null ? cause : {}

const classify =
  (familyCodes: CodeTable): ErrorMapper =>
  (operation, cause) => {
    const fields = fieldsOf(cause)
    const name = typeof fields.name === "string" ? fields.name : "UnknownError"
    const nodeCode = typeof fields.code === "string" ? fields.code : undefined
    const message = typeof fields.message === "string" ? fields.message : String(cause)
    const status = fields.$metadata?.httpStatusCode
    const make = (kind: AwsErrorKind, code: string, text = message) =>
      new AwsCallError({ operation, kind, code, message: text })

    if (credentialErrorNames.has(name)) return make("access-denied", name, `${credentialsHint} (${message})`)
    const known = familyCodes[name] ?? sharedCodes[name]
    if (known !== undefined) return make(known, name)
    if (nodeCode !== undefined && networkErrorCodes.has(nodeCode)) return make("transient", nodeCode)
    if (typeof status === "number" && status >= 500) return make("transient", name)
    if (fields.$fault === "server") return make("transient", name)
    if (status === 429) return make("throttled", name)
    return make("unknown", name)
  }

/** Maps a failure of an EC2 call. */
export const mapEc2Error: ErrorMapper = classify(ec2Codes)
/** Maps a failure of an Auto Scaling call. */
export const mapAutoScalingError: ErrorMapper = classify(autoScalingCodes)
/** Maps a failure of an ECS call (thrown exceptions; see {@link ecsFailuresError} for `failures[]`). */
export const mapEcsError: ErrorMapper = classify(ecsCodes)
/** Maps a failure of an SSM call. */
export const mapSsmError: ErrorMapper = classify(ssmCodes)
/** Maps a failure of a CloudWatch call (DescribeAlarms: an invalid token is its only own code). */
export const mapCloudWatchError: ErrorMapper = classify({ InvalidNextToken: "invalid-parameter" })
/** Maps a failure of an Elastic Load Balancing v2 call (DescribeTargetHealth: a deleted target group). */
export const mapLoadBalancingError: ErrorMapper = classify({
  TargetGroupNotFound: "not-found",
  TargetGroupNotFoundException: "not-found",
  InvalidTarget: "invalid-parameter",
  InvalidTargetException: "invalid-parameter",
})
/** Maps a failure of an STS call (its codes are the shared ones: credentials, throttling, access). */
export const mapStsError: ErrorMapper = classify({})

export const mapIamError: ErrorMapper = classify({
  NoSuchEntity: "not-found",
  NoSuchEntityException: "not-found",
})

/** One entry of an ECS response's `failures[]`. */
export interface EcsFailure {
  readonly arn?: string | undefined
  readonly reason?: string | undefined
  readonly detail?: string | undefined
}

/** The first of the given ECS `failures[]` as an error: `MISSING` is `not-found`, anything else is not retryable. */
export const ecsFailuresError = (operation: string, failures: ReadonlyArray<EcsFailure>): AwsCallError => {
  const reason = failures[0]?.reason ?? "UNKNOWN"
  const described = failures
    .map(
      (failure) =>
        `${failure.arn ?? "?"}: ${failure.reason ?? "?"}${failure.detail === undefined ? "" : ` (${failure.detail})`}`,
    )
    .join("; ")
  return new AwsCallError({
    operation,
    kind: reason === "MISSING" ? "not-found" : "unknown",
    code: reason,
    message: `ECS reported ${failures.length} failure(s): ${described}`,
  })
}
