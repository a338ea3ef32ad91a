/**
 * Recognising a lock holder that died on this host: only `ecs-ami-deploy@<this host>:<pid>` whose
 * process no longer exists; never this process, a live one, or a holder on another host.
 */
import { describe, expect, it } from "vitest"
import { spawnSync } from "node:child_process"
import { hostname } from "node:os"
import { defaultHolder, isDeadLocalHolder } from "../src/local-holder.ts"

describe("isDeadLocalHolder", () => {
  it("given a process of this host that has exited, then its holder is dead", () => {
    const exited = spawnSync(process.execPath, ["-e", "0"])
    expect(exited.pid).toBeGreaterThan(0)
    expect(isDeadLocalHolder(`ecs-ami-deploy@${hostname()}:${exited.pid}`)).toBe(true)
  })

  it("given this process, a holder on another host, or a holder name of another shape, then it is not", () => {
    expect(isDeadLocalHolder(defaultHolder())).toBe(false)
    expect(isDeadLocalHolder(`ecs-ami-deploy@another-host-${hostname()}:1`)).toBe(false)
    expect(isDeadLocalHolder("lambda-request-1234")).toBe(false)
  })
})
