// dynalite ships no types: the part of its API the test helper (testing.ts) uses.
declare module "dynalite" {
  import type { Server } from "node:http"

  interface DynaliteOptions {
    /** How long a new table stays CREATING (default 500 ms). */
    readonly createTableMs?: number
    readonly deleteTableMs?: number
    readonly updateTableMs?: number
    readonly maxItemSizeKb?: number
    /** A LevelDB directory; in memory when absent. */
    readonly path?: string
  }

  function dynalite(options?: DynaliteOptions): Server
  export = dynalite
}
