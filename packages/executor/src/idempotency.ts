/**
 * Idempotency keys. Every mutating call of a command carries one key derived from the run id and the
 * command id, so a command re-issued after a crash (same run, same command id) presents the same key
 * to AWS, which then returns the first call's result instead of acting twice (`ClientToken`).
 */
import { createHash } from "node:crypto"

/** SHA-256 of `runId/commandId` in hex: 64 characters, the longest `ClientToken` AWS accepts. */
export const idempotencyKey = (runId: string, commandId: string): string =>
  createHash("sha256").update(`${runId}/${commandId}`).digest("hex")
