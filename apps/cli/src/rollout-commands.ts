/**
 * The commands that read or drive a rollout through the library's Effect API (`Rollout.*`):
 * `plan`, `upgrade-cluster`, `resume`, `rollback`, `status`, `history`. Each resolves its target,
 * calls one library operation, and prints the result for people or as JSON. Mutating commands show
 * the plan and ask first on a terminal; without one they need `--yes`.
 */
import { Clock, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import {
  eventLineFormatter,
  EventLog,
  type Plan,
  renderPlanText,
  Rollout,
  type RunEvent,
  type RunResult,
  type RunStatus,
} from "ecs-ami-deploy"
import { onRootTarget } from "./command-support.ts"
import { ConsoleIo, line } from "./console-io.ts"
import { CliFailure, ExitCode, usageError } from "./failure.ts"
import {
  amiFlags,
  amiSourceOf,
  clusterFlag,
  launchTemplateNamePrefixFlag,
  parseDuration,
  policyFlags,
  policyOverridesOf,
  type TargetFlags,
} from "./flags.ts"
import { describeResult, exitCodeOf, exitCodeOfOutcome } from "./outcome.ts"
import { conditionLine, instanceLines, instancesOf, type RunCondition, runConditionOf } from "./run-view.ts"
import { type SkippedInstance, summarizeRun, summaryLines } from "./run-summary.ts"
import { progressObserver, progressViewFor } from "./progress.ts"
import type { Target } from "./target.ts"
import { inFlagTerms, isoSeconds, jsonInFlagTerms, table } from "./text.ts"
import { describeWhere, whereOf, type Where } from "./where.ts"

const yesFlag = Flag.Boolean("yes").pipe(
  Flag.withAlias("y"),
  Flag.withDescription("apply without asking (required when not on a terminal)"),
  Flag.withDefault(false),
)
const maxRunTimeFlag = Flag.String("max-run-time").pipe(
  Flag.withDescription(
    "stop (suspend) this invocation after this long, e.g. 10m; `resume` continues the run",
  ),
  Flag.optional,
)

/** The deadline `--max-run-time` sets, on the run's clock (simulated time under --simulator). */
const deadlineOf = (maxRunTime: Option.Option<string>) =>
  Option.isNone(maxRunTime)
    ? Effect.succeed({})
    : Effect.gen(function* () {
        const millis = yield* parseDuration("max-run-time", maxRunTime.value)
        if (millis === 0)
          return yield* usageError(
            "--max-run-time 0 leaves no time to do anything",
            "give a positive duration, e.g. 10m",
          )
        return { deadline: (yield* Clock.currentTimeMillis) + millis }
      })

/** Services below desired in the simulated world; AWS would need extra calls per redraw, so it is left out there. */
const servicesBelowDesiredOf = (target: Target) => () => {
  const world = target.world?.simulation.snapshotState()
  return world === undefined
    ? undefined
    : world.services.filter((service) => service.healthyCount < service.desiredCount).length
}

/** Asks before a mutation on a terminal; refuses without a terminal unless `--yes`. */
const confirmed = (root: TargetFlags, yes: boolean, question: string) =>
  Effect.gen(function* () {
    const io = yield* ConsoleIo
    if (yes) return true
    if (!io.interactive || root.output === "json")
      return yield* usageError(
        io.interactive
          ? "--output json does not ask for confirmation"
          : "not on a terminal, so nobody can confirm this change",
        "review `plan` first, then run again with --yes",
      )
    return yield* io.confirm(question)
  })

/** A cluster whose instances are in no Auto Scaling group has nothing this tool can replace: say so rather than "nothing to do". */
const requireGroups = (plan: Plan) =>
  plan.groups.length > 0
    ? Effect.void
    : Effect.fail(
        new CliFailure({
          exitCode: ExitCode.failed,
          problem: `cluster ${plan.clusterName} has no Auto Scaling group behind its container instances${plan.instancesOutsideGroups.length === 0 ? " (it has no container instances at all)" : ""}`,
          fix: "ecs-ami-deploy replaces instances through their Auto Scaling group: check the cluster name (list-clusters), or give the cluster an Auto Scaling group / capacity provider",
        }),
      )

const planLines = (plan: Plan, output: TargetFlags["output"], where: Where) =>
  output === "json"
    ? line(jsonInFlagTerms({ type: "plan", where, plan }))
    : Effect.andThen(line(`in ${describeWhere(where)}`), line(inFlagTerms(renderPlanText(plan))))

/**
 * `plan` on a cluster with an open run: a fresh plan would not be what happens next — `resume` (or
 * `upgrade-cluster`) continues that run with its own policy and image — so it shows that run's state
 * and the steps left, and how to continue, undo or follow it.
 */
const openRunLines = (root: TargetFlags, status: Extract<RunStatus, { _tag: "Run" }>, where: Where) =>
  Effect.gen(function* () {
    const events = yield* EventLog.use((log) => log.load(status.summary.runId))
    const now = yield* Clock.currentTimeMillis
    const { runId, clusterName, startedAt } = status.summary
    const condition = runConditionOf(events, status.lock, now)
    if (root.output === "json") {
      yield* line(
        JSON.stringify({
          type: "open-run",
          where,
          runId,
          clusterName,
          condition,
          remaining: instancesOf(events),
        }),
      )
      return
    }
    yield* Effect.forEach(
      [
        `cluster ${clusterName} has an open run, ${runId} (started ${isoSeconds(startedAt)}): it is what happens next, not a new plan`,
        `  state     ${conditionLine(condition, now)}`,
        "  remaining steps",
        ...instanceLines(instancesOf(events)).map((text) => `  ${text}`),
        "    then: restore each group's capacity and settings, resume its processes, clean up old launch specs",
        `continue it: ecs-ami-deploy resume --cluster ${clusterName} · undo it: ecs-ami-deploy rollback --cluster ${clusterName} · follow it: ecs-ami-deploy status --cluster ${clusterName} --watch`,
      ],
      line,
      { discard: true },
    )
  })

const planCommand = Command.make("plan", { cluster: clusterFlag, ...amiFlags, ...policyFlags }, (flags) =>
  onRootTarget(({ root, target }) =>
    Effect.gen(function* () {
      const ami = yield* amiSourceOf(flags)
      const policy = yield* policyOverridesOf(flags)
      const where = yield* whereOf(target)
      const status = yield* Rollout.runStatus({ cluster: flags.cluster })
      if (status._tag === "Run" && status.summary.status === "open") {
        yield* openRunLines(root, status, where)
        return ExitCode.success
      }
      const plan = yield* Rollout.planUpgrade({ cluster: flags.cluster, ami, policy })
      yield* requireGroups(plan)
      yield* planLines(plan, root.output, where)
      return plan.verdict === "refused" ? ExitCode.failed : ExitCode.success
    }),
  ),
).pipe(
  Command.withDescription(
    `What a rollout of the cluster would do now — groups, outdated instances, predicted waves — or why it would refuse. Reads only.`,
  ),
  Command.withExamples([
    {
      command: "ecs-ami-deploy plan --cluster prod -r eu-west-1",
      description: "what a rollout would do now",
    },
    {
      command: "ecs-ami-deploy plan -c small-cluster --simulator small",
      description: "the same against a simulated cluster",
    },
  ]),
)

const upgradeCommand = Command.make(
  "upgrade-cluster",
  {
    cluster: clusterFlag,
    ...amiFlags,
    ...policyFlags,
    launchTemplateNamePrefix: launchTemplateNamePrefixFlag,
    yes: yesFlag,
    maxRunTime: maxRunTimeFlag,
  },
  (flags) =>
    onRootTarget(({ root, target }) =>
      Effect.gen(function* () {
        const io = yield* ConsoleIo
        const requestsBefore = target.awsRequests()
        const ami = yield* amiSourceOf(flags)
        const policy = yield* policyOverridesOf(flags)
        const deadline = yield* deadlineOf(flags.maxRunTime)
        let skippedAtStart: ReadonlyArray<SkippedInstance> = []
        if (Option.isSome(flags.launchTemplateNamePrefix) && root.output === "text")
          yield* io.err(
            "note: --launch-template-name-prefix is accepted for compatibility and unused: a run adds a version to the group's own launch template\n",
          )
        const where = yield* whereOf(target)
        const open = yield* Rollout.clusterRuns(flags.cluster).pipe(
          Effect.map((runs) => runs.find((run) => run.status === "open")),
        )
        if (open === undefined) {
          const plan = yield* Rollout.planUpgrade({ cluster: flags.cluster, ami, policy })
          yield* requireGroups(plan)
          yield* planLines(plan, root.output, where)
          if (plan.verdict === "nothing-to-do") return ExitCode.success
          if (plan.verdict === "refused") return ExitCode.failed
          skippedAtStart = plan.groups.flatMap((group) => group.skippedInstances)
          if (
            !(yield* confirmed(
              root,
              flags.yes,
              `Roll ${plan.outdatedInstances.length} instance(s) of ${flags.cluster} (${describeWhere(where)}) onto ${plan.targetImage.imageId}?`,
            ))
          ) {
            yield* line("cancelled: nothing was changed")
            return ExitCode.success
          }
        } else {
          if (root.output === "text")
            yield* line(
              `continuing open run ${open.runId} (started ${isoSeconds(open.startedAt)}); it keeps its own policy and image`,
            )
          // Continuing changes the cluster as much as starting does: the same confirmation, the same --yes.
          if (
            !(yield* confirmed(root, flags.yes, `Continue run ${open.runId} on ${flags.cluster} (${where})?`))
          ) {
            yield* line("cancelled: nothing was changed")
            return ExitCode.success
          }
        }
        const result = yield* Rollout.upgradeCluster({
          cluster: flags.cluster,
          ami,
          policy,
          ...deadline,
        }).pipe(showingProgress(root, target))
        return yield* reportRun(root, target, result, requestsBefore, skippedAtStart)
      }),
    ),
).pipe(
  Command.withDescription(
    `Roll every instance of the cluster onto the newest image (or resume its open run). Shows the plan and asks first on a terminal; --yes otherwise.`,
  ),
  Command.withExamples([
    {
      command: "ecs-ami-deploy upgrade-cluster --cluster prod --max-surge 25% --yes",
      description: "roll the cluster, 25% extra capacity at a time, without asking",
    },
    {
      command: "ecs-ami-deploy upgrade-cluster --cluster prod --max-run-time 50m",
      description: "stop in time (exit 75); `resume` continues",
    },
  ]),
)

/** Shows the run's progress live while `run` drives it (text lines or JSON events, per --output). */
const showingProgress =
  (root: TargetFlags, target: Target) =>
  <A, E, R>(run: Effect.Effect<A, E, R>) =>
    ConsoleIo.use((io) =>
      run.pipe(
        Effect.provide(progressObserver(progressViewFor(io, root.output), servicesBelowDesiredOf(target))),
      ),
    )

const resultLines = (root: TargetFlags, result: RunResult) =>
  root.output === "json"
    ? line(JSON.stringify({ type: "result", result }))
    : Effect.forEach(describeResult(result), line, { discard: true })

/**
 * How an applying command ends: the result, then — when a run went on — its summary from the whole
 * event log, with the AWS requests sent since `requestsBefore`; the exit code is the result's.
 */
const reportRun = (
  root: TargetFlags,
  target: Target,
  result: RunResult,
  requestsBefore: number,
  skippedAtStart: ReadonlyArray<SkippedInstance> = [],
) =>
  Effect.gen(function* () {
    yield* resultLines(root, result)
    if (result._tag === "Finished" || result._tag === "Suspended") {
      const events = yield* EventLog.use((log) => log.load(result.runId))
      const summary = summarizeRun(events, {
        skippedAtStart,
        awsRequests: target.awsRequests() - requestsBefore,
      })
      yield* root.output === "json"
        ? line(jsonInFlagTerms({ type: "summary", summary }))
        : Effect.forEach(["", ...summaryLines(summary)], line, { discard: true })
    }
    return exitCodeOf(result)
  })

// `--yes` is accepted as with upgrade-cluster and rollback, so scripts can pass it to every applying
// command; resume never asks: it continues a run that was confirmed when it started.
const resumeCommand = Command.make(
  "resume",
  { cluster: clusterFlag, maxRunTime: maxRunTimeFlag, yes: yesFlag },
  (flags) =>
    onRootTarget(({ root, target }) =>
      Effect.gen(function* () {
        const requestsBefore = target.awsRequests()
        const deadline = yield* deadlineOf(flags.maxRunTime)
        const result = yield* Rollout.resumeRun({ cluster: flags.cluster, ...deadline }).pipe(
          showingProgress(root, target),
        )
        return yield* reportRun(root, target, result, requestsBefore)
      }),
    ),
).pipe(
  Command.withDescription(
    `Continue the cluster's open run (suspended, interrupted or killed) exactly where it stopped.`,
  ),
  Command.withExamples([
    { command: "ecs-ami-deploy resume --cluster prod --yes", description: "continue the open run" },
  ]),
)

// Saying continue at a checkpoint is the confirmation: like resume, it never asks (`--yes` accepted).
const continueCommand = Command.make(
  "continue",
  {
    cluster: clusterFlag,
    maxRunTime: maxRunTimeFlag,
    by: Flag.String("by").pipe(
      Flag.withDescription("who says continue, recorded in the run's log (default: the command line)"),
      Flag.withDefault("the command line"),
    ),
    yes: yesFlag,
  },
  (flags) =>
    onRootTarget(({ root, target }) =>
      Effect.gen(function* () {
        const requestsBefore = target.awsRequests()
        const deadline = yield* deadlineOf(flags.maxRunTime)
        const result = yield* Rollout.continueRun({
          cluster: flags.cluster,
          by: flags.by,
          ...deadline,
        }).pipe(showingProgress(root, target))
        return yield* reportRun(root, target, result, requestsBefore)
      }),
    ),
).pipe(
  Command.withDescription(
    `Continue the cluster's run past the checkpoint it pauses at (--checkpoint), then drive it on; refused, changing nothing, when no run pauses at one.`,
  ),
  Command.withExamples([
    {
      command: 'ecs-ami-deploy continue --cluster prod --by "alice, canary looks fine"',
      description: "go on past the checkpoint",
    },
  ]),
)

const rollbackCommand = Command.make(
  "rollback",
  {
    cluster: clusterFlag,
    reason: Flag.String("reason").pipe(
      Flag.withDescription("why, recorded in the run's log"),
      Flag.withDefault("rollback requested from the command line"),
    ),
    yes: yesFlag,
  },
  (flags) =>
    onRootTarget(({ root, target }) =>
      Effect.gen(function* () {
        const requestsBefore = target.awsRequests()
        if (
          !(yield* confirmed(
            root,
            flags.yes,
            `Roll back the open run of ${flags.cluster}, restoring the cluster as it was found?`,
          ))
        ) {
          yield* line("cancelled: nothing was changed")
          return ExitCode.success
        }
        const result = yield* Rollout.rollbackRun({ cluster: flags.cluster, reason: flags.reason }).pipe(
          showingProgress(root, target),
        )
        return yield* reportRun(root, target, result, requestsBefore)
      }),
    ),
).pipe(
  Command.withDescription(
    `Roll the cluster's open run back: restore the launch spec and capacity, re-activate old instances, remove new ones.`,
  ),
  Command.withExamples([
    {
      command: 'ecs-ami-deploy rollback --cluster prod --reason "bad image" --yes',
      description: "undo the open run",
    },
  ]),
)

const statusText = (
  status: Extract<RunStatus, { _tag: "Run" }>,
  events: ReadonlyArray<RunEvent>,
  now: number,
): ReadonlyArray<string> => {
  const { summary, state, progress } = status
  const rollingBack =
    state._tag === "Running" && state.rollback !== undefined
      ? [`  rolling back: ${state.rollback.reason}`]
      : []
  return [
    `run ${summary.runId} on ${summary.clusterName}`,
    `  started   ${isoSeconds(summary.startedAt)}`,
    `  state     ${conditionLine(runConditionOf(events, status.lock, now), now)}`,
    ...rollingBack,
    ...(state._tag === "Finished" ? [`  result    ${state.reason}`] : []),
    ...(state._tag === "NoRun"
      ? []
      : [`  target    ${state.run.targetImage.imageId} (${state.run.targetImage.name})`]),
    `  commands  ${progress.commands.succeeded} succeeded, ${progress.commands.failed} failed, ${progress.commands.outcomeUnknown} without outcome`,
    "  old instances",
    ...instanceLines(instancesOf(events)).map((text) => `  ${text}`),
    "",
    table(
      ["phase", "commands done", "failed", "in flight", "from", "last action"],
      progress.phases.map((p) => [
        p.phase,
        String(p.succeeded),
        String(p.failed),
        String(p.inFlight),
        isoSeconds(p.firstAt),
        isoSeconds(p.lastAt),
      ]),
    ),
  ]
}

/** `status` as JSON: the folded state holds effect data structures, so only its tag goes out. */
const statusJson = (
  status: Extract<RunStatus, { _tag: "Run" }>,
  events: ReadonlyArray<RunEvent>,
  now: number,
  where: Where,
) =>
  JSON.stringify({
    type: "status",
    where,
    status: { ...status, state: { _tag: status.state._tag } },
    condition: runConditionOf(events, status.lock, now),
    instances: instancesOf(events),
    phases: status.progress.phases,
  })

/** What `status` and `history` say when the event log holds no run of the cluster: where they looked, and where else to look. */
const noRunsLine = (cluster: string, target: Target) =>
  Effect.map(
    whereOf(target),
    (where) =>
      `no runs recorded for ${cluster} in ${target.eventLogLocation} (${describeWhere(where)}); a Lambda's runs are in its DynamoDB table: add --event-log dynamodb://<table>; runs of another account or Region: --profile / --region`,
  )

/**
 * Waits in wall-clock time: under `--watch` another process drives the run, so the wait must not move
 * this process's clock (a simulated one would run ahead of the run it watches).
 */
const wallClockWait = (millis: number) =>
  Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, millis)))

/**
 * `status --watch`: prints each new event of the run as it is recorded and each change of its state,
 * until the run finishes; ends with the run's exit code, as `kubectl rollout status` does.
 */
const watchRun = (root: TargetFlags, cluster: string, runId: string, seen: number, intervalMs: number) =>
  Effect.gen(function* () {
    const log = yield* EventLog
    const { accountId, region } = yield* Rollout.callerIdentity()
    // Every event goes through the formatter once, in order (it keeps the run's start and commands); only those after `seen` are printed.
    const lineOf = eventLineFormatter()
    let formatted = 0
    let lastCondition: RunCondition["_tag"] | undefined
    for (;;) {
      const events = yield* log.load(runId)
      for (const event of events.slice(formatted)) {
        const text = root.output === "json" ? JSON.stringify({ type: "event", event }) : lineOf(event)
        if (event.seq >= seen && text !== undefined) yield* line(text)
      }
      formatted = events.length
      const now = yield* Clock.currentTimeMillis
      const condition = runConditionOf(
        events,
        yield* log.lock({ accountId, region, clusterName: cluster }),
        now,
      )
      if (condition._tag !== lastCondition) {
        lastCondition = condition._tag
        yield* line(
          root.output === "json"
            ? JSON.stringify({ type: "condition", condition })
            : `state: ${conditionLine(condition, now)}`,
        )
      }
      if (condition._tag === "Finished") return exitCodeOfOutcome(condition.outcome)
      yield* wallClockWait(intervalMs)
    }
  })

const statusCommand = Command.make(
  "status",
  {
    cluster: clusterFlag,
    watch: Flag.Boolean("watch").pipe(
      Flag.withAlias("w"),
      Flag.withDescription(
        "follow the run until it finishes, printing each step; exit with the run's exit code (as kubectl rollout status)",
      ),
      Flag.withDefault(false),
    ),
    watchInterval: Flag.String("watch-interval").pipe(
      Flag.withDescription("how often --watch reads the event log (default 2s)"),
      Flag.withDefault("2s"),
    ),
  },
  (flags) =>
    onRootTarget(({ root, target }) =>
      Effect.gen(function* () {
        const intervalMs = yield* parseDuration("watch-interval", flags.watchInterval)
        const status = yield* Rollout.runStatus({ cluster: flags.cluster })
        if (status._tag === "NoRuns") {
          yield* line(
            root.output === "json"
              ? JSON.stringify({ type: "status", where: yield* whereOf(target), status })
              : yield* noRunsLine(flags.cluster, target),
          )
          return ExitCode.success
        }
        const events = yield* EventLog.use((log) => log.load(status.summary.runId))
        const now = yield* Clock.currentTimeMillis
        if (root.output === "json") yield* line(statusJson(status, events, now, yield* whereOf(target)))
        else
          yield* Effect.forEach(
            [`in ${describeWhere(yield* whereOf(target))}`, ...statusText(status, events, now)],
            line,
            {
              discard: true,
            },
          )
        if (!flags.watch) return ExitCode.success
        if (root.output === "text") yield* line("")
        return yield* watchRun(
          root,
          flags.cluster,
          status.summary.runId,
          events.length,
          Math.max(intervalMs, 1),
        )
      }),
    ),
).pipe(
  Command.withDescription(
    "The cluster's open run, else its last one: running, suspended or its holder gone (lock holder, lease expiry), end time and duration, each old instance, progress per phase; --watch follows it to the end.",
  ),
  Command.withExamples([
    { command: "ecs-ami-deploy status --cluster prod", description: "the open run, else the last one" },
    {
      command: "ecs-ami-deploy status --cluster prod --watch",
      description: "follow it until it ends; the exit code is the run's",
    },
    {
      command: "ecs-ami-deploy status --cluster prod --event-log dynamodb://ecs-ami-deploy-runs",
      description: "a run the Lambda records",
    },
  ]),
)

const historyCommand = Command.make(
  "history",
  {
    cluster: clusterFlag,
    run: Flag.String("run").pipe(
      Flag.withDescription("a run id (default: the open run, else the last one)"),
      Flag.optional,
    ),
  },
  (flags) =>
    onRootTarget(({ root, target }) =>
      Effect.gen(function* () {
        const log = yield* EventLog
        const runs = yield* Rollout.clusterRuns(flags.cluster)
        const wanted = Option.getOrUndefined(flags.run)
        const chosen =
          wanted !== undefined
            ? runs.find((run) => run.runId === wanted)
            : (runs.find((run) => run.status === "open") ?? runs[0])
        if (chosen === undefined) {
          if (wanted !== undefined)
            return yield* usageError(
              `no run ${wanted} for cluster ${flags.cluster}`,
              `list the cluster's runs with: history --cluster ${flags.cluster}`,
            )
          yield* line(yield* noRunsLine(flags.cluster, target))
          return ExitCode.success
        }
        const events = yield* log.load(chosen.runId)
        if (root.output === "json") {
          yield* Effect.forEach(events, (event) => line(JSON.stringify({ type: "event", event })), {
            discard: true,
          })
          return ExitCode.success
        }
        yield* line(
          `run ${chosen.runId} (${chosen.status}), ${events.length} events; other runs: ${
            runs
              .filter((run) => run !== chosen)
              .map((run) => `${run.runId} (${run.status})`)
              .join(", ") || "none"
          }`,
        )
        const lineOf = eventLineFormatter({ successes: "shown" })
        for (const event of events)
          yield* line(`${String(event.seq).padStart(4)} ${isoSeconds(event.at)} ${lineOf(event) ?? ""}`)
        return ExitCode.success
      }),
    ),
).pipe(
  Command.withDescription(
    "Every event of the cluster's open run (else its last one, or --run), from the event log.",
  ),
  Command.withExamples([
    {
      command: "ecs-ami-deploy history --cluster prod",
      description: "every event of the open (else last) run",
    },
    { command: "ecs-ami-deploy history --cluster prod -o json", description: "the same as JSON lines" },
  ]),
)

export const rolloutCommands = [
  planCommand,
  upgradeCommand,
  resumeCommand,
  continueCommand,
  rollbackCommand,
  statusCommand,
  historyCommand,
] as const
