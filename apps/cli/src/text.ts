/**
 * Small text helpers shared by the commands: optional ANSI colour
 * and aligned tables (the Go tool's `list-clusters` layout).
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
