/**
 * Live progress of a run, fed by the library's `RunObserver` (every appended event, every decision).
 * A `ProgressModel` folds what was heard into the figures a person wants — phase, wave k of n, old
 * instances drained and terminated, new capacity asked for, services below desired, elapsed and
 * estimated remaining time — and one of three views shows it: on a terminal, one line per step kept
 * in the scrollback under which a block of figures is redrawn in place; elsewhere, the same lines
 * alone; or one JSON object per line with `--output json`.
 */
import { Clock, Effect, Layer } from "effect"
import {
  type Amount,
  type Decision,
  type Phase,
  eventLineFormatter,
  type RunEvent,
  RunObserver,
  type RunObserverShape,
} from "ecs-ami-deploy"
import { ConsoleIo, type ConsoleIoShape } from "./console-io.ts"
import { formatDuration } from "@ecs-ami-deploy/domain"
import { paint } from "./text.ts"

/** What the progress views show, folded from the run's events and the planner's decisions. */
export interface ProgressModel {
  readonly runId: string | undefined
  readonly startedAt: number | undefined
  readonly now: number | undefined
  readonly phase: Phase
  readonly oldInstances: number
  readonly oldInstanceIds: ReadonlySet<string>
  readonly estimatedWaves: number
  readonly wave: number
  readonly drained: ReadonlySet<string>
  readonly terminated: ReadonlySet<string>
  /** Instances asked for above each group's desired capacity at the start. */
  readonly newRequested: number
  readonly waiting: string | undefined
  readonly desiredAtStart: ReadonlyMap<string, number>
  readonly pendingCommands: ReadonlyMap<string, RunCommand>
}

type RunCommand = Extract<RunEvent, { _tag: "CommandIssued" }>["command"]

export const emptyProgress: ProgressModel = {
  runId: undefined,
  startedAt: undefined,
  now: undefined,
  phase: "preparing",
  oldInstances: 0,
  oldInstanceIds: new Set(),
  estimatedWaves: 0,
  wave: 0,
  drained: new Set(),
  terminated: new Set(),
  newRequested: 0,
  waiting: undefined,
  desiredAtStart: new Map(),
  pendingCommands: new Map(),
}

const resolveAmount = (amount: Amount, of: number) =>
  amount.unit === "instances" ? amount.value : Math.ceil((amount.value * of) / 100)

/** Waves a group needs under the policy, as the planner sizes them: bounded by the surge (surge mode) and the drain limit. */
const wavesFor = (event: Extract<RunEvent, { _tag: "RunStarted" }>): number =>
  event.groups.reduce((sum, group) => {
    const drainLimit = Math.max(1, resolveAmount(event.policy.maxDraining, group.desiredCapacity))
    const size =
      event.policy.capacityMode === "surge"
        ? Math.min(Math.max(1, resolveAmount(event.policy.maxSurge, group.desiredCapacity)), drainLimit)
        : drainLimit
    return sum + Math.ceil(group.oldInstanceIds.length / size)
  }, 0)

/** Folds one appended event into the model. */
export const applyEvent = (model: ProgressModel, event: RunEvent): ProgressModel => {
  const base = { ...model, runId: event.runId, now: event.at, startedAt: model.startedAt ?? event.at }
  switch (event._tag) {
    case "RunStarted":
      return {
        ...base,
        startedAt: event.at,
        oldInstances: event.groups.reduce((sum, group) => sum + group.oldInstanceIds.length, 0),
        oldInstanceIds: new Set(event.groups.flatMap((group) => group.oldInstanceIds)),
        estimatedWaves: wavesFor(event),
        desiredAtStart: new Map(event.groups.map((group) => [group.asgName, group.desiredCapacity])),
      }
    case "CommandIssued":
      return {
        ...base,
        pendingCommands: new Map([...model.pendingCommands, [event.command.id, event.command]]),
      }
    case "CommandSucceeded": {
      const command = model.pendingCommands.get(event.commandId)
      if (command === undefined) return base
      switch (command._tag) {
        // Only the run's old instances count: a surplus instance removed after the waves is not one of them.
        case "DrainInstances":
          return {
            ...base,
            wave: Math.max(model.wave, command.wave),
            drained: new Set([
              ...model.drained,
              ...command.instanceIds.filter((id) => model.oldInstanceIds.has(id)),
            ]),
          }
        case "TerminateInstances":
          return {
            ...base,
            terminated: new Set([
              ...model.terminated,
              ...command.instanceIds.filter((id) => model.oldInstanceIds.has(id)),
            ]),
          }
        case "SetCapacity": {
          const extra = Math.max(
            0,
            command.desiredCapacity - (model.desiredAtStart.get(command.asgName) ?? command.desiredCapacity),
          )
          return { ...base, newRequested: Math.max(model.newRequested, extra) }
        }
        default:
          return base
      }
    }
    case "RunFinished":
      return { ...base, phase: "finished", waiting: undefined }
    default:
      return base
  }
}

/** Folds one decision into the model. */
export const applyDecision = (model: ProgressModel, decision: Decision, phase: Phase): ProgressModel => ({
  ...model,
  phase,
  waiting: decision._tag === "Wait" ? decision.reason : undefined,
})

/** Estimated time left: the pace of terminations so far applied to what remains. */
export const estimateRemaining = (model: ProgressModel): number | undefined => {
  const done = model.terminated.size
  if (model.startedAt === undefined || model.now === undefined || done === 0 || model.oldInstances === 0)
    return undefined
  return ((model.now - model.startedAt) / done) * (model.oldInstances - done)
}

/** The phase a command belongs to; once a rollback started, every command belongs to it. */
const phaseOfCommand: Readonly<Record<RunCommand["_tag"], Phase>> = {
  TagInstances: "preparing",
  SuspendProcesses: "preparing",
  UpdateLaunchSpec: "preparing",
  SetCapacity: "launching",
  DetachInstances: "launching",
  AttachInstances: "rolling-back",
  DrainInstances: "draining",
  StopTasks: "draining",
  TerminateInstances: "terminating",
  ActivateInstances: "rolling-back",
  RestoreLaunchSpec: "rolling-back",
  ResumeProcesses: "cleaning-up",
  CleanupLaunchSpecs: "cleaning-up",
}

/** Commands of one phase by outcome, and when the phase first and last acted. */
export interface PhaseProgress {
  readonly phase: Phase
  readonly succeeded: number
  readonly failed: number
  readonly inFlight: number
  readonly firstAt: number
  readonly lastAt: number
}

/** Per-phase progress of a run from its events, in the order the phases first acted. */
export const phaseProgressOf = (events: ReadonlyArray<RunEvent>): ReadonlyArray<PhaseProgress> => {
  const phaseOf = new Map<string, Phase>()
  const outcome = new Map<string, "succeeded" | "failed" | "inFlight">()
  const phases = new Map<Phase, { firstAt: number; lastAt: number }>()
  let rollingBack = false
  for (const event of events) {
    if (event._tag === "RollbackStarted") rollingBack = true
    if (event._tag === "CommandIssued") {
      const phase = rollingBack ? "rolling-back" : phaseOfCommand[event.command._tag]
      phaseOf.set(event.command.id, phase)
      outcome.set(event.command.id, "inFlight")
      const span = phases.get(phase)
      phases.set(phase, { firstAt: span?.firstAt ?? event.at, lastAt: event.at })
    }
    if (event._tag === "CommandSucceeded" || event._tag === "CommandFailed") {
      const phase = phaseOf.get(event.commandId)
      const span = phase === undefined ? undefined : phases.get(phase)
      if (phase !== undefined && span !== undefined) {
        outcome.set(event.commandId, event._tag === "CommandSucceeded" ? "succeeded" : "failed")
        phases.set(phase, { ...span, lastAt: event.at })
      }
    }
  }
  const count = (phase: Phase, wanted: "succeeded" | "failed" | "inFlight") =>
    [...outcome.entries()].filter(([id, result]) => result === wanted && phaseOf.get(id) === phase).length
  return [...phases.entries()].map(([phase, span]) => ({
    phase,
    succeeded: count(phase, "succeeded"),
    failed: count(phase, "failed"),
    inFlight: count(phase, "inFlight"),
    ...span,
  }))
}

/** A probe for figures the events do not carry (the simulator knows services below desired; AWS would need another call). */
export type ServicesBelowDesired = () => number | undefined

const phaseLabel: Readonly<Record<Phase, string>> = {
  preparing: "preparing",
  launching: "launching new capacity",
  proving: "proving new capacity",
  draining: "draining old instances",
  terminating: "terminating drained instances",
  restoring: "restoring the group",
  "cleaning-up": "cleaning up",
  "rolling-back": "rolling back",
  finished: "finished",
}

/** The live block, a few lines. */
export const renderLiveBlock = (
  model: ProgressModel,
  servicesBelow: number | undefined,
  color: boolean,
): ReadonlyArray<string> => {
  const elapsed = model.startedAt === undefined || model.now === undefined ? 0 : model.now - model.startedAt
  const remaining = estimateRemaining(model)
  // The estimate is the planner's sizing at the start; waves are chosen against what fits, so a run may need more.
  const waves =
    model.estimatedWaves === 0 ? "" : `  wave ${model.wave} of ${Math.max(model.wave, model.estimatedWaves)}`
  const below =
    servicesBelow === undefined
      ? ""
      : `  services below desired ${servicesBelow === 0 ? paint(color, "green", "0") : paint(color, "yellow", String(servicesBelow))}`
  return [
    `${paint(color, "bold", phaseLabel[model.phase])}${waves}`,
    `  instances: new +${model.newRequested}  draining ${model.drained.size - model.terminated.size}  terminated ${model.terminated.size}/${model.oldInstances}${below}`,
    `  elapsed ${formatDuration(elapsed)}${remaining === undefined ? "" : `  remaining ~${formatDuration(remaining)}`}`,
    `  ${paint(color, "dim", model.waiting === undefined ? "" : `waiting: ${model.waiting}`)}`,
  ]
}

/** How progress is shown. */
export type ProgressView = "live" | "lines" | "json" | "quiet"

/** The observer for a view; `servicesBelowDesired` adds a figure when the target can tell it. */
export const progressObserver = (
  view: ProgressView,
  servicesBelowDesired: ServicesBelowDesired = () => undefined,
  also?: RunObserverShape,
) =>
  Layer.effect(
    RunObserver,
    Effect.gen(function* () {
      const io = yield* ConsoleIo
      const lineOf = eventLineFormatter()
      let model = emptyProgress
      let drawnLines = 0
      let lastDraw = 0
      const redraw = (force: boolean) => {
        const now = Date.now()
        if (!force && now - lastDraw < 80) return Effect.void
        lastDraw = now
        const block = renderLiveBlock(model, servicesBelowDesired(), io.color)
        const erase = drawnLines === 0 ? "" : `\u001b[${drawnLines}A\u001b[0J`
        drawnLines = block.length
        return io.out(`${erase}${block.join("\n")}\n`)
      }
      /** Prints a permanent line above the live block. */
      const above = (text: string) => {
        const erase = drawnLines === 0 ? "" : `\u001b[${drawnLines}A\u001b[0J`
        drawnLines = 0
        return io.out(`${erase}${text}\n`)
      }
      const show = (event: RunEvent): Effect.Effect<void> => {
        switch (view) {
          case "json":
            return io.out(`${JSON.stringify({ type: "event", event })}\n`)
          case "lines": {
            const text = lineOf(event)
            return text === undefined ? Effect.void : io.out(`${text}\n`)
          }
          // Every step stays in the scrollback above the block, as in the plain view.
          case "live": {
            const text = lineOf(event)
            return text === undefined ? redraw(false) : Effect.andThen(above(text), redraw(true))
          }
          case "quiet":
            return Effect.void
        }
      }
      return RunObserver.of({
        eventAppended: (event) =>
          Effect.suspend(() => {
            model = applyEvent(model, event)
            return Effect.andThen(also?.eventAppended(event) ?? Effect.void, show(event))
          }),
        decided: (decision, phase, basis) =>
          Effect.suspend(() => {
            const changed = phase !== model.phase
            model = applyDecision(model, decision, phase)
            const shown =
              view === "json" && changed
                ? Effect.flatMap(Clock.currentTimeMillis, (at) =>
                    io.out(`${JSON.stringify({ type: "phase", phase, at })}\n`),
                  )
                : view === "lines" && changed
                  ? io.out(`phase: ${phaseLabel[phase]}\n`)
                  : view === "live"
                    ? redraw(false)
                    : Effect.void
            return Effect.andThen(also?.decided(decision, phase, basis) ?? Effect.void, shown)
          }),
      })
    }),
  )

/** The view for this console and output format. */
export const progressViewFor = (io: ConsoleIoShape, output: "text" | "json"): ProgressView =>
  output === "json" ? "json" : io.interactive ? "live" : "lines"
