/**
 * Who holds a cluster's lock when the caller does not say — this process on this host,
 * `ecs-ami-deploy@<host>:<pid>` — and taking the lock over from such a holder that died: a CLI killed
 * outright leaves its lease to run for up to 5 minutes, but when the holder names a process of this
 * very host that no longer exists, nobody can still be acting under it. The takeover is conditional
 * on the lease being exactly the one seen (same holder, same expiry), so a holder that renewed in
 * between — alive after all, or another process that reused the name — is never replaced.
 */
import { Effect } from "effect"
import { hostname } from "node:os"
import type { LockHeld } from "@ecs-ami-deploy/domain"

/** This process on this host. */
export const defaultHolder = (): string => `ecs-ami-deploy@${hostname()}:${process.pid}`

const localHolderPattern = /^ecs-ami-deploy@(.+):(\d+)$/

/** Whether `holder` names another process of this host that no longer exists. */
export const isDeadLocalHolder = (holder: string): boolean => {
  const match = localHolderPattern.exec(holder)
  if (match === null || match[1] !== hostname()) return false
  const pid = Number(match[2])
  if (pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    // EPERM: the process exists, under another user.
    return (error as NodeJS.ErrnoException).code === "ESRCH"
  }
}

/**
 * Runs `attempt`; when it is refused because a dead process of this host holds the lock, runs it once
 * more replacing exactly that lease.
 */
export const takingOverDeadLocalHolder = <A, E, R>(
  attempt: (replacing?: {
    readonly holder: string
    readonly leaseExpiresAt: number
  }) => Effect.Effect<A, E | LockHeld, R>,
): Effect.Effect<A, E | LockHeld, R> =>
  attempt().pipe(
    Effect.catchIf(
      (error): error is LockHeld =>
        typeof error === "object" &&
        error !== null &&
        (error as { _tag?: unknown })._tag === "LockHeld" &&
        isDeadLocalHolder((error as LockHeld).holder),
      (held) => attempt({ holder: held.holder, leaseExpiresAt: held.leaseExpiresAt }),
    ),
  )
