/**
 * A test bed that runs the real handler core over the simulator: the AWS ports and the clock come
 * from a simulation, the event log from whatever layer the test gives (memory, or DynamoDB on
 * dynalite), and hand-overs are queued instead of invoking Lambda, so the test plays the part of the
 * Lambda service — delivering each continue event as a fresh invocation with a short time budget.
 */
import { Effect, Layer, Logger } from "effect"
import type { RunEvent } from "@ecs-ami-deploy/domain"
import { EventLog, Notifier, type RunNotification } from "@ecs-ami-deploy/ports"
import { makeSimulation, scenarios, type Simulation } from "@ecs-ami-deploy/simulator"
import { loadConfig, type LambdaConfig } from "../src/config.ts"
import { Continuation } from "../src/continuation.ts"
import { makeHandler, type InvocationReport } from "../src/handler.ts"
import { jsonLogger } from "../src/logging.ts"
import { layerPlugins } from "../src/plugins.ts"
import { continueEvent, type ContinueEvent } from "../src/triggers.ts"
import { Result } from "effect"

export const scheduledEvent = {
  version: "0",
  id: "weekly-1",
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "123456789012",
  time: "2026-11-21T01:00:00Z",
  region: "us-east-1",
  resources: ["arn:aws:events:us-east-1:123456789012:rule/weekly"],
  detail: {},
}

export const announcementEvent = {
  Records: [
    {
      EventSource: "aws:sns",
      EventVersion: "1.0",
      Sns: {
        Type: "Notification",
        MessageId: "5b1f7a0e-announcement",
        TopicArn: "arn:aws:sns:us-east-1:177427601217:ecs-optimized-amazon-ami-update",
        Message: JSON.stringify({
          ECSAgent: { ReleaseVersion: "1.99.0" },
          ECSAmis: [
            {
              ReleaseVersion: "2023.0.20261118",
              OsType: "linux",
              OperatingSystemName: "Amazon Linux 2023",
              Regions: {},
            },
          ],
        }),
        Timestamp: "2026-11-20T10:00:00.000Z",
      },
    },
  ],
}

export interface SimulatedLambda {
  readonly simulation: Simulation
  readonly config: LambdaConfig
  /** One invocation with `budgetMs` of (simulated) remaining time. */
  readonly invoke: (event: unknown, budgetMs: number) => Promise<InvocationReport>
  /** Simulated time each finished invocation took, and the budget it had, in order of completion. */
  readonly durations: ReadonlyArray<{ readonly tookMs: number; readonly budgetMs: number }>
  /** Continue events handed over and not delivered yet. */
  readonly pendingHandOvers: Array<ContinueEvent>
  readonly notifications: ReadonlyArray<RunNotification>
  readonly logLines: ReadonlyArray<Record<string, unknown>>
  /** Every event of every run of the cluster, oldest run first. */
  readonly runEvents: () => Promise<ReadonlyArray<RunEvent>>
}

/** The small scenario's cluster behind a Lambda configured for it. */
export const makeSimulatedLambda = <E>(
  eventLog: Layer.Layer<EventLog, E>,
  env: Record<string, string> = {},
): SimulatedLambda => {
  const simulation = makeSimulation(scenarios["small"] as NonNullable<(typeof scenarios)["small"]>, {
    seed: 11,
  })
  const clusterName = simulation.scenario.clusters[0]?.name ?? "small-cluster"
  const config = Result.getOrThrow(
    loadConfig({
      CLUSTERS: clusterName,
      EVENT_LOG_TABLE: "unused",
      AWS_LAMBDA_FUNCTION_NAME: "ami-deploy",
      ...env,
    }),
  )
  const pendingHandOvers: Array<ContinueEvent> = []
  const notifications: Array<RunNotification> = []
  const logLines: Array<Record<string, unknown>> = []
  const services = Layer.mergeAll(
    simulation.layer,
    simulation.clockLayer,
    eventLog,
    layerPlugins(config.amiSource),
    Layer.succeed(Notifier, Notifier.of({ notify: (n) => Effect.sync(() => notifications.push(n)) })),
    Layer.succeed(
      Continuation,
      Continuation.of({
        handOver: (cluster, hop) => Effect.sync(() => pendingHandOvers.push(continueEvent(cluster, hop))),
      }),
    ),
    Logger.layer([jsonLogger((line) => logLines.push(JSON.parse(line) as Record<string, unknown>))]),
  )
  const handler = makeHandler(config, services)
  let requests = 0
  const durations: Array<{ tookMs: number; budgetMs: number }> = []
  const invoke = async (event: unknown, budgetMs: number) => {
    const startedAt = simulation.now()
    requests += 1
    const report = await handler(event, {
      awsRequestId: `req-${requests}`,
      getRemainingTimeInMillis: () => budgetMs - (simulation.now() - startedAt),
    })
    durations.push({ tookMs: simulation.now() - startedAt, budgetMs })
    return report
  }
  const runEvents = () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const log = yield* EventLog
        const runs = yield* log.runs({
          accountId: simulation.accountId,
          region: simulation.region,
          clusterName,
        })
        const perRun = yield* Effect.forEach([...runs].reverse(), (run) => log.load(run.runId))
        return perRun.flat()
      }).pipe(Effect.provide(eventLog)),
    )
  return { simulation, config, invoke, durations, pendingHandOvers, notifications, logLines, runEvents }
}
