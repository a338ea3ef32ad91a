/**
 * The few mechanics every adapter shares: running one SDK request as an Effect whose failure is an
 * `AwsCallError`, splitting ids into batches no larger than an API accepts, following pagination
 * tokens to the end, and decoding raw views with the domain schemas so a malformed response fails
 * here, naming the field, instead of inside the planner.
 */
import { AwsCallError } from "@ecs-ami-deploy/domain"
import { Effect, Schema } from "effect"

export type ErrorMapper = (operation: string, cause: unknown) => AwsCallError

/** One SDK request; interrupting the Effect aborts the HTTP request. */
export const request = <A>(
  operation: string,
  mapError: ErrorMapper,
  send: (abortSignal: AbortSignal) => Promise<A>,
): Effect.Effect<A, AwsCallError> =>
  Effect.tryPromise({ try: (abortSignal) => send(abortSignal), catch: (cause) => mapError(operation, cause) })

/** Consecutive slices of at most `size` items (none for an empty input). */
export const chunksOf = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> => {
  const chunks: Array<ReadonlyArray<A>> = []
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size))
  return chunks
}

/** Runs `perChunk` over each batch of at most `size` items, one batch after the other, and concatenates the results. */
export const inBatches = <A, B>(
  items: ReadonlyArray<A>,
  size: number,
  perChunk: (chunk: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<B>, AwsCallError>,
): Effect.Effect<ReadonlyArray<B>, AwsCallError> =>
  Effect.map(Effect.forEach(chunksOf(items, size), perChunk), (pages) => pages.flat())

/** Calls `fetchPage` with each page's next token until a page has none, and concatenates the items. */
export const paginate = <Page, A>(
  fetchPage: (token: string | undefined) => Effect.Effect<Page, AwsCallError>,
  nextToken: (page: Page) => string | undefined,
  items: (page: Page) => ReadonlyArray<A>,
): Effect.Effect<ReadonlyArray<A>, AwsCallError> =>
  Effect.gen(function* () {
    const collected: Array<A> = []
    let token: string | undefined
    do {
      const page = yield* fetchPage(token)
      collected.push(...items(page))
      token = nextToken(page)
    } while (token !== undefined && token !== "")
    return collected
  })

/** Decodes raw views built from an SDK response; a mismatch is an `unknown` error naming the field. */
export const decodeAll =
  <T>(schema: Schema.Codec<T, unknown>, operation: string) =>
  (raw: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<T>, AwsCallError> =>
    Schema.decodeUnknownEffect(Schema.Array(schema))(raw).pipe(
      Effect.mapError(
        (error) =>
          new AwsCallError({
            operation,
            kind: "unknown",
            code: "MalformedResponse",
            message: `the response of ${operation} does not fit the domain view: ${error.message}`,
          }),
      ),
    )

/** `[{ Key, Value }]` (EC2, Auto Scaling) as a record; tags without a key are dropped. */
export const tagRecord = (
  tags: ReadonlyArray<{ readonly Key?: string | undefined; readonly Value?: string | undefined }> | undefined,
): Record<string, string> =>
  Object.fromEntries(
    (tags ?? []).flatMap((tag) => (tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? ""]])),
  )

/** A date the SDK returned (a `Date` or an ISO string) as epoch milliseconds; undefined stays undefined. */
export const epochMillis = (date: Date | string | undefined): number | undefined =>
  date === undefined ? undefined : new Date(date).getTime()
