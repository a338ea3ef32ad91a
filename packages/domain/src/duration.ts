/**
 * Durations as people read them (`1h05m`, `4m30s`, `45s`), in every message the planner, the executor
 * and the apps print — never raw milliseconds.
 */

/** `millis` rounded to the second: `1h05m`, `4m30s`, `45s`. */
export const formatDuration = (millis: number): string => {
  const seconds = Math.max(0, Math.round(millis / 1000))
  const hours = Math.floor(seconds / 3600)
  const minutes = Math.floor((seconds % 3600) / 60)
  const rest = seconds % 60
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, "0")}m`
  if (minutes > 0) return `${minutes}m${String(rest).padStart(2, "0")}s`
  return `${rest}s`
}
