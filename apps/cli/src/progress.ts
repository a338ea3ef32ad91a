/**
 * Live progress of a run, fed by the library's `RunObserver` (every appended event with the run's
 * state, every decision). A `ProgressModel` keeps that state and the latest decision; the figures a
 * person wants — phase, wave k of n, old instances drained and terminated, new capacity asked for —
 * are the planner's `progressOf` of the state, plus services below desired, elapsed and estimated
 * remaining time. One of three views shows them: on a terminal, one line per step kept
 * in the scrollback under which a block of figures is redrawn in place; elsewhere, the same lines
 * alone; or one JSON object per line with `--output json`.
 */
import { Clock, Effect, Layer } from "effect"
import {
  type Decision,
  eventLineFormatter,
  initialState,
  type Phase,
  progressOf,
  type RunEvent,
  RunObserver,
  type RunObserverShape,
  type RunState,
} from "ecs-ami-deploy"
import { ConsoleIo, type ConsoleIoShape } from "./console-io.ts"
import { formatDuration } from "@ecs-ami-deploy/domain"
import { paint } from "./text.ts"

/** What the live view shows: the run's folded state (progress is the planner's `progressOf` of it) and the planner's latest decision. */
export interface ProgressModel {
  readonly state: RunState
  /** When the latest event was recorded. */
  readonly now: number | undefined
  /** The phase of the latest decision (a wait shows its phase too), `finished` once the run ended. */
  readonly phase: Phase
  readonly waiting: string | undefined
}

export const emptyProgress: ProgressModel = {
  state: initialState,
  now: undefined,
  phase: "preparing",
  waiting: undefined,
}

/** Folds one appended event, with the run's state folded up to it, into the model. */
export const applyEvent = (model: ProgressModel, event: RunEvent, state: RunState): ProgressModel =>
  state._tag === "Finished"
    ? { state, now: event.at, phase: "finished", waiting: undefined }
    : { ...model, state, now: event.at }

/** Folds one decision into the model. */
export const applyDecision = (model: ProgressModel, decision: Decision, phase: Phase): ProgressModel => ({
  ...model,
  phase,
  waiting: decision._tag === "Wait" ? decision.reason : undefined,
})

/** Estimated time left: the pace of terminations so far (`done` of `total` in `elapsedMs`) applied to what remains. */
export const estimateRemaining = (elapsedMs: number, done: number, total: number): number | undefined =>
  done === 0 || total === 0 ? undefined : (elapsedMs / done) * (total - done)

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
  const progress = progressOf(model.state)
  const elapsed =
    model.state._tag === "NoRun" || model.now === undefined ? 0 : model.now - model.state.run.startedAt
  const total = (key: "oldInstances" | "drained" | "terminated") =>
    progress.groups.reduce((sum, group) => sum + group[key], 0)
  const terminated = total("terminated")
  const remaining = estimateRemaining(elapsed, terminated, total("oldInstances"))
  // The estimate is the planner's sizing at the start; waves are chosen against what fits, so a run may need more.
  const waves =
    progress.estimatedWaves === 0
      ? ""
      : `  wave ${progress.wave} of ${Math.max(progress.wave, progress.estimatedWaves)}`
  const below =
    servicesBelow === undefined
      ? ""
      : `  services below desired ${servicesBelow === 0 ? paint(color, "green", "0") : paint(color, "yellow", String(servicesBelow))}`
  return [
    `${paint(color, "bold", phaseLabel[model.phase])}${waves}`,
    `  instances: new +${progress.peakExtraInstances}  draining ${total("drained") - terminated}  terminated ${terminated}/${total("oldInstances")}${below}`,
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
        eventAppended: (event, state) =>
          Effect.suspend(() => {
            model = applyEvent(model, event, state)
            return Effect.andThen(also?.eventAppended(event, state) ?? Effect.void, show(event))
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
