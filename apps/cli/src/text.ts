/**
 * Small text helpers shared by the commands: optional ANSI colour, aligned tables (the Go tool's
 * `list-clusters` layout), and the library's policy words as the CLI's flags.
 */

const codes = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const

/** Wraps `text` in an ANSI style when colour is on. */
export const paint = (color: boolean, style: keyof typeof codes, text: string): string =>
  color && text !== "" ? `\u001b[${codes[style][0]}m${text}\u001b[${codes[style][1]}m` : text

/** Left-aligned columns separated by two spaces, with a header row. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  )
  const format = (row: ReadonlyArray<string>) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd()
  return [format(header), format(widths.map((width) => "-".repeat(width))), ...rows.map(format)].join("\n")
}

/** An ISO timestamp without milliseconds. */
export const isoSeconds = (epochMs: number): string =>
  new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z")

/**
 * The planner's and executor's `policy field=value` (library words, in reasons such as "scale-in
 * protected (policy protectedInstances=skip)") as the CLI flag that sets it: `--protected-instances skip`.
 */
export const inFlagTerms = (text: string): string =>
  text.replace(
    /policy ([a-z][A-Za-z]*)=([\w-]+)/g,
    (_match, field: string, value: string) =>
      `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${value}`,
  )

/** One JSON line whose every string reads in CLI flag terms (`inFlagTerms`), as the text output does. */
export const jsonInFlagTerms = (value: unknown): string =>
  JSON.stringify(value, (_key, field: unknown) => (typeof field === "string" ? inFlagTerms(field) : field))
