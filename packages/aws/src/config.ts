/**
 * How the adapters build their SDK clients. Region, credentials and profile come from the SDK's
 * default chain (environment, shared config files, instance/container roles); the CLI's `--region`
 * and `--profile` override them through {@link AwsConfig}. Endpoints are never set here: the SDK
 * itself honours `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` (e.g. for LocalStack).
 */
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling"
import { EC2Client } from "@aws-sdk/client-ec2"
import { ECSClient } from "@aws-sdk/client-ecs"
import { IAMClient } from "@aws-sdk/client-iam"
import { SSMClient } from "@aws-sdk/client-ssm"
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch"
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2"
import { STSClient } from "@aws-sdk/client-sts"

/** Optional overrides of the SDK's default chain (the CLI's `-r/--region` and `-p/--profile`). */
export interface AwsConfig {
  readonly region?: string
  readonly profile?: string
  /** How long one HTTP request may take before it is abandoned. Default {@link sdkRequestTimeoutMs}. */
  readonly requestTimeoutMs?: number
  /**
   * Credentials instead of the default chain's: temporary ones from an assumed role, asked again by
   * the SDK whenever the last ones expire (a fleet rollout's clusters in other accounts).
   */
  readonly credentials?: () => Promise<{
    readonly accessKeyId: string
    readonly secretAccessKey: string
    readonly sessionToken?: string
    readonly expiration?: Date
  }>
  /** Called once per HTTP request a client sends (each SDK attempt is one), e.g. to count a run's AWS requests. */
  readonly onRequest?: (operation: string) => void
}

/**
 * One attempt plus one SDK retry: enough to ride over a dropped connection inside a single read,
 * while throttling and outages are left to the executor's own retry schedule (which knows the
 * rollout's deadline and records each attempt). More SDK retries would multiply with the executor's.
 */
export const sdkMaxAttempts = 2

/**
 * The longest one request may take (the SDK's default handler has no limit at all): the first line
 * against a hung call. Well under half of the executor's 5-minute lease, which it checks before each
 * call and renews once half is gone. The executor's own limit on a whole call (its pages, the SDK's
 * retry, credentials: `callTimeoutMs` in @ecs-ami-deploy/executor, 60 s by default) backs it up.
 */
export const sdkRequestTimeoutMs = 30_000
const sdkConnectionTimeoutMs = 5_000

/**
 * What every SDK client of ours is built with: the attempts, the request and connection timeouts, and
 * the Region, profile and credentials `config` names. Exported for the clients built elsewhere (the
 * DynamoDB event log), so they do the same.
 */
export const sdkClientConfig = (config: AwsConfig) => ({
  maxAttempts: sdkMaxAttempts,
  requestHandler: {
    requestTimeout: config.requestTimeoutMs ?? sdkRequestTimeoutMs,
    connectionTimeout: sdkConnectionTimeoutMs,
    // Without it a breached request timeout is only logged, and the call keeps waiting.
    throwOnRequestTimeout: true,
  },
  ...(config.region === undefined ? {} : { region: config.region }),
  // The clients' own `profile` option: @aws-sdk/credential-providers (fromIni) is not installed.
  ...(config.profile === undefined || config.credentials !== undefined ? {} : { profile: config.profile }),
  ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
})

/**
 * Adds the `onRequest` hook: a middleware at the deserialize step, inside the SDK's retry loop, so it
 * runs once per attempt sent.
 */
const withRequestHook = <C extends { readonly middlewareStack: object }>(client: C, config: AwsConfig): C => {
  const onRequest = config.onRequest
  if (onRequest === undefined) return client
  const stack = client.middlewareStack as unknown as {
    readonly add: (
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { readonly commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { readonly step: "deserialize"; readonly name: string },
    ) => void
  }
  stack.add(
    (next, context) => (args) => {
      onRequest(context.commandName ?? "unknown")
      return next(args)
    },
    { step: "deserialize", name: "ecsAmiDeployRequestHook" },
  )
  return client
}

export const makeEc2Client = (config: AwsConfig): EC2Client =>
  withRequestHook(new EC2Client(sdkClientConfig(config)), config)
export const makeAutoScalingClient = (config: AwsConfig): AutoScalingClient =>
  withRequestHook(new AutoScalingClient(sdkClientConfig(config)), config)
export const makeEcsClient = (config: AwsConfig): ECSClient =>
  withRequestHook(new ECSClient(sdkClientConfig(config)), config)
export const makeSsmClient = (config: AwsConfig): SSMClient =>
  withRequestHook(new SSMClient(sdkClientConfig(config)), config)
export const makeCloudWatchClient = (config: AwsConfig): CloudWatchClient =>
  withRequestHook(new CloudWatchClient(sdkClientConfig(config)), config)
export const makeLoadBalancingClient = (config: AwsConfig): ElasticLoadBalancingV2Client =>
  withRequestHook(new ElasticLoadBalancingV2Client(sdkClientConfig(config)), config)
export const makeStsClient = (config: AwsConfig): STSClient =>
  withRequestHook(new STSClient(sdkClientConfig(config)), config)
export const makeIamClient = (config: AwsConfig): IAMClient =>
  withRequestHook(new IAMClient(sdkClientConfig(config)), config)
