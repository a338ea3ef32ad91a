/** Kill at a sample of boundaries of a `standard-20` rollout, on the file event log in a temporary directory. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, describe, it } from "vitest"
import { makeFileEventLog } from "@ecs-ami-deploy/event-log"
import { killAndResume, sample, scenario, uninterrupted } from "./kill-at-boundaries.ts"

const reference = await uninterrupted()
const root = mkdtempSync(path.join(tmpdir(), "executor-kill-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe(`kill at sampled boundaries of ${scenario}, file event log`, () => {
  it.each(sample(reference.boundaries, 5))(
    "given an executor killed $when append $killAt ($event), when a fresh one resumes, then the rollout ends as if uninterrupted",
    (boundary) =>
      killAndResume(
        reference,
        boundary,
        makeFileEventLog({ directory: mkdtempSync(path.join(root, `${boundary.when}-${boundary.killAt}-`)) }),
      ),
  )
})
