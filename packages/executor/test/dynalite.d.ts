// dynalite ships no types: the part of its API these tests use.
declare module "dynalite" {
  import type { Server } from "node:http"

  function dynalite(options?: { readonly createTableMs?: number }): Server
  export = dynalite
}
