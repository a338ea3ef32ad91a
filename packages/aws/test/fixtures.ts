/**
 * Small builders shared by the adapter tests: numbered resource ids and minimal SDK shapes.
 */

/** `count` distinct ids with the given prefix: `i-00000000000000000`, `i-00000000000000001`, … */
export const numberedIds = (prefix: string, count: number): ReadonlyArray<string> =>
  Array.from({ length: count }, (_, index) => `${prefix}${index.toString(16).padStart(17, "0")}`)

/** The sizes of consecutive batches, for asserting how a list was split across calls. */
export const sizes = (batches: ReadonlyArray<ReadonlyArray<unknown> | undefined>): ReadonlyArray<number> =>
  batches.map((batch) => batch?.length ?? 0)
