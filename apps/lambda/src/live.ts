/**
 * Production wiring: the AWS ports over SDK clients from the default chain (the function's role and
 * Region), the DynamoDB event log, the configured AMI source, SNS notifications (or log lines when no
 * topic is configured), hand-over by asynchronous self-invocation, and JSON logs on stdout.
 */
import { LambdaClient } from "@aws-sdk/client-lambda"
import { SNSClient } from "@aws-sdk/client-sns"
import { Effect, Layer, Result } from "effect"
import { AwsLive, sdkClientConfig } from "@ecs-ami-deploy/aws"
import { layerDynamoDb, layerDynamoDbWithFleets } from "@ecs-ami-deploy/event-log"
import { awsClusterRunner } from "@ecs-ami-deploy/multi-cluster"
import { loadConfig, type LambdaConfig } from "./config.ts"
import { type FleetInvocationReport, makeFleetHandler } from "./fleet-handler.ts"
import { layerLambdaContinuation } from "./continuation.ts"
import {
  makeHandler,
  type HandlerServices,
  type InvocationContext,
  type InvocationReport,
} from "./handler.ts"
import { layerJsonLogs } from "./logging.ts"
import { layerLogNotifier, layerSnsNotifier } from "./notifier.ts"
import { layerPlugins } from "./plugins.ts"

/** Every service the handler needs, on AWS. */
export const liveLayer = (config: LambdaConfig): Layer.Layer<HandlerServices> =>
  Layer.mergeAll(
    AwsLive(),
    layerDynamoDb({ tableName: config.tableName, clientConfig: sdkClientConfig({}) }),
    layerPlugins(config.amiSource),
    config.notificationTopicArn === undefined
      ? layerLogNotifier
      : layerSnsNotifier({ client: new SNSClient({}), topicArn: config.notificationTopicArn }),
    layerLambdaContinuation({ client: new LambdaClient({}), functionName: config.functionName }),
  ).pipe(Layer.provideMerge(layerJsonLogs))

/** Every service a fleet deployment's handler needs, on AWS: the fleet's clusters through their roles. */
export const fleetLiveLayer = (config: LambdaConfig, fleetName: string) => {
  const log = layerDynamoDbWithFleets({ tableName: config.tableName, clientConfig: sdkClientConfig({}) })
  return Layer.mergeAll(log, awsClusterRunner({ fleetName }).pipe(Layer.provide(log))).pipe(
    Layer.provideMerge(layerJsonLogs),
  )
}

/**
 * The production handler for an environment. A misconfigured environment fails here, at cold start:
 * the problems are logged as one JSON line and thrown, so the first invocation reports every one of them.
 */
export const handlerFromEnvironment = (
  env: Readonly<Record<string, string | undefined>>,
): ((event: unknown, context: InvocationContext) => Promise<InvocationReport | FleetInvocationReport>) => {
  const config = loadConfig(env)
  if (Result.isFailure(config)) {
    Effect.runSync(Effect.logError(config.failure.message).pipe(Effect.provide(layerJsonLogs)))
    throw config.failure
  }
  const fleet = config.success.fleet
  return fleet === undefined
    ? makeHandler(config.success, liveLayer(config.success))
    : makeFleetHandler(config.success, fleet, fleetLiveLayer(config.success, fleet.fleetName))
}
