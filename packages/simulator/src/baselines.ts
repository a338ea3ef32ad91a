/**
 * Reference rollout algorithms, written as Effect programs against the ports, to compare with
 * ecs-ami-deploy on the same simulated world: the Go tool's (go-tool.ts) and ASG instance refresh
 * (here). What they share: a run's outcome with its steps, and the newest image by creation date.
 *
 * - ASG instance refresh: a new launch template version, then StartInstanceRefresh (by default
 *   MinHealthyPercentage 90, MaxHealthyPercentage 100, instance warmup 300 s) run by the simulated
 *   Auto Scaling group (world/instance-refresh.ts), which terminates without draining unless the group has
 *   ECS managed instance draining (its terminate lifecycle hook drains each instance first). Its
 *   requests are the user's own: the StartInstanceRefresh and DescribeInstanceRefreshes polls every
 *   15 s; what Auto Scaling and ECS do on the user's behalf (launches, hooks, draining) is not.
 */
import type { AwsCallError } from "@ecs-ami-deploy/domain"
import { AutoScaling, Ec2 } from "@ecs-ami-deploy/ports"
import { Clock, Data, Effect, Layer } from "effect"
import { defaultImageNameFilter } from "./scenarios.ts"
import type { SimulatedPorts } from "./sim-ports.ts"
import type { Simulation } from "./simulation.ts"

export interface BaselineOutcome {
  readonly algorithm: "go-tool" | "instance-refresh"
  readonly status: "completed" | "failed"
  /** Why it failed (an AWS error code, a timeout, ...). */
  readonly failure?: string
  /** Simulated milliseconds from start to end. */
  readonly durationMs: number
  /** What the algorithm did, in order, with simulated times. */
  readonly steps: ReadonlyArray<{ readonly at: number; readonly step: string }>
}

/** A baseline gave up (timeout, nothing to do with, unsupported setup). */
export class BaselineStopped extends Data.TaggedError("BaselineStopped")<{ readonly reason: string }> {}

/** The newest image matching `filter` by creation date (DescribeImages, owner amazon). */
export const newestImage = (filter: string) =>
  Effect.gen(function* () {
    const ec2 = yield* Ec2
    const images = yield* ec2.describeImages({
      _tag: "ByFilter",
      namePattern: filter,
      owners: ["amazon"],
      includeDeprecated: false,
    })
    const newest = [...images].sort((a, b) => b.creationDate - a.creationDate)[0]
    // The Go tool dereferenced nil here and crashed.
    if (newest === undefined)
      return yield* new BaselineStopped({ reason: `no image matches ${filter} (the Go tool panics here)` })
    return newest
  })

/** Polls `check` every `intervalMs` until it holds; fails after `timeoutMs`. */
const pollUntil = <E>(
  what: string,
  intervalMs: number,
  timeoutMs: number,
  check: Effect.Effect<boolean, E, SimulatedPorts>,
) =>
  Effect.gen(function* () {
    for (;;) {
      if (yield* check) return
      yield* Effect.sleep(intervalMs)
    }
  }).pipe(
    Effect.timeoutOrElse({
      duration: timeoutMs,
      orElse: () => Effect.fail(new BaselineStopped({ reason: `timed out waiting for ${what}` })),
    }),
  )

/** Runs a baseline program against the simulation and turns its ending into an outcome. */
export const runBaseline = (
  sim: Simulation,
  algorithm: BaselineOutcome["algorithm"],
  program: (
    step: (text: string) => Effect.Effect<void>,
  ) => Effect.Effect<void, AwsCallError | BaselineStopped, SimulatedPorts>,
): Effect.Effect<BaselineOutcome> =>
  Effect.gen(function* () {
    const steps: Array<{ at: number; step: string }> = []
    const startedAt = yield* Clock.currentTimeMillis
    const step = (text: string) =>
      Effect.map(Clock.currentTimeMillis, (at) => void steps.push({ at, step: text }))
    const exit = yield* Effect.exit(program(step))
    const endedAt = yield* Clock.currentTimeMillis
    const base = { algorithm, durationMs: endedAt - startedAt, steps }
    if (exit._tag === "Success") return { ...base, status: "completed" as const }
    const error = exit.cause.reasons.find((reason) => reason._tag === "Fail")?.error
    const failure =
      error === undefined
        ? "interrupted or defect"
        : error._tag === "AwsCallError"
          ? `${error.operation}: ${error.code} ${error.message}`
          : error.reason
    return { ...base, status: "failed" as const, failure }
  }).pipe(Effect.provide(Layer.merge(sim.layer, sim.clockLayer)))

export interface InstanceRefreshOptions {
  readonly asgName: string
  readonly imageNameFilter?: string
  /** AWS default 90. */
  readonly minHealthyPercentage?: number
  /** AWS default 100 (terminate and launch); above 100 replacements launch first. */
  readonly maxHealthyPercentage?: number
  /** AWS default: the group's default instance warmup or health check grace period (300 s here). */
  readonly instanceWarmupMs?: number
  /** Gives up after this much simulated time (default 6 h). */
  readonly timeoutMs?: number
}

/** A new launch template version with the newest image, then an ASG instance refresh. */
export const runInstanceRefreshBaseline = (
  sim: Simulation,
  options: InstanceRefreshOptions,
): Effect.Effect<BaselineOutcome> =>
  runBaseline(sim, "instance-refresh", (step) =>
    Effect.gen(function* () {
      const ec2 = yield* Ec2
      const autoScaling = yield* AutoScaling
      const [group] = yield* autoScaling.describeGroups([options.asgName])
      if (group === undefined)
        return yield* new BaselineStopped({ reason: `group ${options.asgName} not found` })
      if (group.launchSpec._tag === "LaunchConfiguration")
        return yield* new BaselineStopped({ reason: "this baseline handles launch templates only" })
      const newest = yield* newestImage(options.imageNameFilter ?? defaultImageNameFilter)
      const template = group.launchSpec.template
      const version = yield* ec2.createLaunchTemplateVersion({
        launchTemplateId: template.launchTemplateId,
        sourceVersion: template.version,
        imageId: newest.imageId,
        description: `instance refresh to ${newest.name}`,
        idempotencyKey: `instance-refresh-${newest.imageId}`,
      })
      const launchSpec = {
        ...group.launchSpec,
        template: { ...template, version: String(version.versionNumber) },
      }
      yield* autoScaling.updateGroup({ asgName: options.asgName, launchSpec })
      yield* step(`launch template version ${version.versionNumber} with ${newest.imageId}`)
      const refreshId = yield* Effect.try({
        try: () =>
          sim.startInstanceRefresh(options.asgName, {
            minHealthyPercentage: options.minHealthyPercentage ?? 90,
            maxHealthyPercentage: options.maxHealthyPercentage ?? 100,
            instanceWarmupMs: options.instanceWarmupMs ?? 300_000,
          }),
        catch: (refused) =>
          new BaselineStopped({
            reason: `StartInstanceRefresh refused: ${refused instanceof Error ? refused.message : String(refused)}`,
          }),
      })
      yield* step(`instance refresh ${refreshId} started`)
      // The last poll's answer is the refresh's outcome: no further DescribeInstanceRefreshes request.
      const last: { status: ReturnType<Simulation["instanceRefreshStatus"]> } = { status: undefined }
      yield* pollUntil(
        "instance refresh to finish",
        15_000,
        options.timeoutMs ?? 6 * 3_600_000,
        Effect.sync(() => {
          last.status = sim.instanceRefreshStatus(options.asgName)
          return last.status !== "InProgress"
        }),
      )
      const status = last.status
      if (status !== "Successful")
        return yield* new BaselineStopped({ reason: `instance refresh ended ${status ?? "unknown"}` })
      yield* step("instance refresh successful")
    }),
  )
