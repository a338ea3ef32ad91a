/**
 * Test support for crash-and-resume checks, behind the `@ecs-ami-deploy/executor/testing` subpath so
 * it never reaches a production bundle: an event log that makes its executor die at a chosen append,
 * exactly as a crash would (nothing released: the lease must run out before another executor resumes).
 */
import { Cause, Effect, Exit } from "effect"
import { EventLog } from "@ecs-ami-deploy/ports"

const KILLED = "executor killed at a boundary"

/** The defect a killed executor dies with. */
export class Killed extends Error {
  constructor() {
    super(KILLED)
  }
}

/** Whether a run ended because its event log killed it. */
export const isKilled = <A, E>(exit: Exit.Exit<A, E>): boolean =>
  Exit.isFailure(exit) && Cause.pretty(exit.cause).includes(KILLED)

/**
 * An event log whose executor dies at its `killAt`-th appended event: `after` the event is stored (the
 * next step never starts), or `before` it is (a command's call was made but its outcome is lost).
 * Once dead, every operation dies too and nothing is released.
 */
export const killable = (
  inner: EventLog["Service"],
  killAt: number,
  when: "before" | "after" = "after",
): EventLog["Service"] => {
  let appended = 0
  let dead = false
  const alive = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.suspend(() => (dead ? Effect.die(new Killed()) : effect))
  const die = () => {
    dead = true
    return Effect.die(new Killed())
  }
  return EventLog.of({
    lock: (cluster) => alive(inner.lock(cluster)),
    acquire: (input) => alive(inner.acquire(input)),
    renew: (lease, input) => alive(inner.renew(lease, input)),
    release: (lease) => Effect.suspend(() => (dead ? Effect.void : inner.release(lease))),
    load: (runId) => alive(inner.load(runId)),
    runs: (clusterName) => alive(inner.runs(clusterName)),
    append: (lease, events) =>
      alive(
        Effect.suspend(() => {
          const reached = appended + events.length >= killAt
          if (reached && when === "before") return die()
          return inner.append(lease, events).pipe(
            Effect.flatMap(() => {
              appended += events.length
              return reached ? die() : Effect.void
            }),
          )
        }),
      ),
  })
}
