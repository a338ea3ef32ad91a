/** Kill at every boundary of a `standard-20` rollout, on the memory event log (see kill-at-boundaries.ts). */
import { describe, it } from "vitest"
import { emptyMemoryStorage, makeMemoryEventLog } from "@ecs-ami-deploy/event-log"
import { killAndResume, scenario, uninterrupted } from "./kill-at-boundaries.ts"

const reference = await uninterrupted()

describe(`kill at every boundary of ${scenario} (${reference.events.length} events), memory event log`, () => {
  it.each(reference.boundaries)(
    "given an executor killed $when append $killAt ($event), when a fresh one resumes, then the rollout ends as if uninterrupted",
    (boundary) => killAndResume(reference, boundary, makeMemoryEventLog(emptyMemoryStorage())),
  )
})
