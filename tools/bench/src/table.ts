/** Markdown tables and number formats shared by the benchmark and reliability reports. */

/** A Markdown table, columns padded so it also reads well on a terminal. */
export const markdownTable = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
): string => {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  )
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n")
}

export const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(0)} s`
export const formatRatio = (ratio: number): string => `${ratio.toFixed(2)}×`
export const formatMiB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
