/**
 * The HTML report of a simulated rollout: one self-contained page (inline SVG and CSS, no script, no
 * network) with the outcome, the figures that matter (time below a service's healthy floor, extra
 * capacity, API calls), a timeline of healthy tasks per service and of instances by state, and the
 * run's phases as bands on both charts.
 */
import type { Simulation } from "ecs-ami-deploy/simulator"
import { formatDuration } from "@ecs-ami-deploy/domain"

type Metrics = ReturnType<Simulation["metrics"]>

/** A phase of the run and when it held, in simulated epoch ms. */
export interface PhaseSpan {
  readonly phase: string
  readonly from: number
  readonly to: number
}

export interface ReportInput {
  readonly title: string
  readonly scenario: string
  readonly clusterName: string
  readonly outcome: string
  readonly outcomeDetail: string
  readonly startedAt: number
  readonly metrics: Metrics
  readonly phases: ReadonlyArray<PhaseSpan>
  readonly policySummary: string
}

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  )

const palette = [
  "#2563eb",
  "#db2777",
  "#059669",
  "#d97706",
  "#7c3aed",
  "#0891b2",
  "#dc2626",
  "#65a30d",
  "#4f46e5",
  "#ea580c",
]
const colorOf = (index: number): string => palette[index % palette.length] ?? "#2563eb"
const phaseColors: Readonly<Record<string, string>> = {
  preparing: "#e5e7eb",
  launching: "#dbeafe",
  proving: "#e0e7ff",
  draining: "#fef3c7",
  terminating: "#fee2e2",
  restoring: "#dcfce7",
  "cleaning-up": "#f3f4f6",
  "rolling-back": "#fecaca",
  finished: "#f0fdf4",
}

interface Frame {
  readonly width: number
  readonly height: number
  readonly left: number
  readonly right: number
  readonly top: number
  readonly bottom: number
  readonly start: number
  readonly end: number
  readonly maxY: number
}

const xOf = (f: Frame, at: number) =>
  f.left + ((at - f.start) / Math.max(1, f.end - f.start)) * (f.width - f.left - f.right)
const yOf = (f: Frame, value: number) =>
  f.height - f.bottom - (value / Math.max(1, f.maxY)) * (f.height - f.top - f.bottom)

/** A step path through `points` until `end`. */
const stepPath = (f: Frame, points: ReadonlyArray<{ readonly at: number; readonly value: number }>) =>
  points
    .map((point, index) => {
      const next = points[index + 1]?.at ?? f.end
      return `${index === 0 ? "M" : "L"}${xOf(f, point.at).toFixed(1)},${yOf(f, point.value).toFixed(1)} H${xOf(f, next).toFixed(1)}`
    })
    .join(" ")

const niceStep = (max: number) => {
  const raw = Math.max(1, max) / 5
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw
}

const axes = (f: Frame, yLabel: string) => {
  const ticks: Array<string> = []
  const yStep = Math.max(1, Math.round(niceStep(f.maxY)))
  for (let v = 0; v <= f.maxY; v += yStep)
    ticks.push(
      `<line class="grid" x1="${f.left}" x2="${f.width - f.right}" y1="${yOf(f, v)}" y2="${yOf(f, v)}"/><text class="tick" x="${f.left - 8}" y="${yOf(f, v) + 4}" text-anchor="end">${v}</text>`,
    )
  const minutes = (f.end - f.start) / 60_000
  const xStep = niceStep(minutes)
  for (let m = 0; m <= minutes + 1e-9; m += xStep) {
    const x = xOf(f, f.start + m * 60_000)
    ticks.push(
      `<text class="tick" x="${x}" y="${f.height - f.bottom + 18}" text-anchor="middle">${Math.round(m)}m</text>`,
    )
  }
  return `${ticks.join("")}
    <line class="axis" x1="${f.left}" x2="${f.width - f.right}" y1="${f.height - f.bottom}" y2="${f.height - f.bottom}"/>
    <text class="axis-label" transform="translate(16 ${(f.height - f.bottom + f.top) / 2}) rotate(-90)" text-anchor="middle">${escape(yLabel)}</text>
    <text class="axis-label" x="${(f.width + f.left - f.right) / 2}" y="${f.height - 6}" text-anchor="middle">simulated minutes since start</text>`
}

/**
 * The phases that took simulated time, in order. A phase decided and left within one instant (a
 * command issued at once) would be an invisible band; dropping it can leave two spans of one phase
 * side by side, which are one span to a reader.
 */
export const lastingPhases = (phases: ReadonlyArray<PhaseSpan>): ReadonlyArray<PhaseSpan> =>
  phases
    .filter((span) => span.to > span.from)
    .reduce<Array<PhaseSpan>>((merged, span) => {
      const previous = merged.at(-1)
      if (previous !== undefined && previous.phase === span.phase && previous.to === span.from)
        merged[merged.length - 1] = { ...previous, to: span.to }
      else merged.push(span)
      return merged
    }, [])

const phaseBands = (f: Frame, phases: ReadonlyArray<PhaseSpan>, labelled: boolean) =>
  phases
    .map((span) => {
      const x = xOf(f, span.from)
      const w = Math.max(1, xOf(f, span.to) - x)
      const label =
        labelled && w > 44
          ? `<text class="phase-label" x="${x + w / 2}" y="${f.top - 6}" text-anchor="middle">${escape(span.phase)}</text>`
          : ""
      return `<g class="phase" data-phase="${escape(span.phase)}"><title>${escape(span.phase)}: ${formatDuration(span.from - f.start)} to ${formatDuration(span.to - f.start)}</title><rect x="${x.toFixed(1)}" y="${f.top}" width="${w.toFixed(1)}" height="${f.height - f.top - f.bottom}" fill="${phaseColors[span.phase] ?? "#f3f4f6"}"/>${label}</g>`
    })
    .join("")

const serviceChart = (input: ReportInput, start: number, end: number) => {
  const services = input.metrics.services
  const maxY = Math.max(1, ...services.flatMap((s) => s.timeline.map((p) => Math.max(p.healthy, p.desired))))
  const f: Frame = {
    width: 960,
    height: 340,
    left: 56,
    right: 16,
    top: 28,
    bottom: 40,
    start,
    end,
    maxY: Math.ceil(maxY * 1.15),
  }
  const series = services
    .map((service, index) => {
      const color = colorOf(index)
      const healthy = stepPath(
        f,
        service.timeline.map((p) => ({ at: p.at, value: p.healthy })),
      )
      const floor = stepPath(
        f,
        service.timeline.map((p) => ({ at: p.at, value: p.floor })),
      )
      // Later series are drawn thinner on top of earlier ones, so services with equal counts stay visible.
      const width = Math.max(1.5, 5 - index * 1.25)
      return `<g class="series" data-service="${escape(service.service)}"><path class="floor" d="${floor}" stroke="${color}"/><path class="healthy" d="${healthy}" stroke="${color}" stroke-width="${width}"/></g>`
    })
    .join("")
  const legend = services
    .map(
      (service, index) =>
        `<li data-service="${escape(service.service)}"><span class="swatch" style="background:${colorOf(index)}"></span>${escape(service.service)}</li>`,
    )
    .join("")
  return `<figure class="chart" id="services-chart">
    <figcaption>Healthy tasks per service <span class="hint">(solid: healthy; dashed: the floor minimumHealthyPercent allows)</span></figcaption>
    <svg viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="healthy tasks per service over time">${phaseBands(f, input.phases, true)}${axes(f, "healthy tasks")}${series}</svg>
    <ul class="legend">${legend}</ul>
  </figure>`
}

const instanceChart = (input: ReportInput, start: number, end: number) => {
  const timeline = input.metrics.instances.timeline
  const states = [
    { key: "running", label: "running", color: "#2563eb" },
    { key: "pending", label: "pending", color: "#93c5fd" },
    { key: "shuttingDown", label: "shutting down", color: "#f59e0b" },
  ] as const
  const maxY = Math.max(1, ...timeline.map((p) => p.running + p.pending + p.shuttingDown))
  const f: Frame = {
    width: 960,
    height: 260,
    left: 56,
    right: 16,
    top: 28,
    bottom: 40,
    start,
    end,
    maxY: Math.ceil(maxY * 1.15),
  }
  // Stacked areas: each state's band sits on the states before it.
  const bands = states
    .map((state, index) => {
      const below = (p: (typeof timeline)[number]) =>
        states.slice(0, index).reduce((sum, s) => sum + p[s.key], 0)
      const upper = timeline.map((p, i) => {
        const next = timeline[i + 1]?.at ?? end
        return `${xOf(f, p.at).toFixed(1)},${yOf(f, below(p) + p[state.key]).toFixed(1)} ${xOf(f, next).toFixed(1)},${yOf(f, below(p) + p[state.key]).toFixed(1)}`
      })
      const lower = timeline
        .map((p, i) => {
          const next = timeline[i + 1]?.at ?? end
          return `${xOf(f, next).toFixed(1)},${yOf(f, below(p)).toFixed(1)} ${xOf(f, p.at).toFixed(1)},${yOf(f, below(p)).toFixed(1)}`
        })
        .reverse()
      return `<polygon class="instances" data-state="${state.key}" points="${[...upper, ...lower].join(" ")}" fill="${state.color}"/>`
    })
    .join("")
  const baseline = `<line class="baseline" x1="${f.left}" x2="${f.width - f.right}" y1="${yOf(f, input.metrics.instances.baseline)}" y2="${yOf(f, input.metrics.instances.baseline)}"/>`
  const legend = states
    .map(
      (s) =>
        `<li data-state="${s.key}"><span class="swatch" style="background:${s.color}"></span>${s.label}</li>`,
    )
    .join("")
  return `<figure class="chart" id="instances-chart">
    <figcaption>Instances by state <span class="hint">(dotted: the fleet before the run)</span></figcaption>
    <svg viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="instances by state over time">${phaseBands(f, input.phases, false)}${axes(f, "instances")}${bands}${baseline}</svg>
    <ul class="legend">${legend}<li><span class="swatch line"></span>fleet at start</li></ul>
  </figure>`
}

const card = (label: string, value: string, tone: "good" | "bad" | "neutral" = "neutral") =>
  `<div class="card ${tone}"><div class="value">${escape(value)}</div><div class="label">${escape(label)}</div></div>`

/** The report page. */
export const renderReport = (input: ReportInput): string => {
  const shown = { ...input, phases: lastingPhases(input.phases) }
  const m = input.metrics
  const start = input.startedAt
  const end = start + Math.max(m.simulatedDurationMs, 60_000)
  const good = input.outcome === "succeeded" || input.outcome === "nothing to do"
  const serviceRows = m.services
    .map(
      (s) =>
        `<tr><td>${escape(s.service)}</td><td>${s.lowestHealthy}</td><td>${s.secondsBelowFloor.toFixed(0)} s</td><td>${s.secondsWithZeroHealthy.toFixed(0)} s</td></tr>`,
    )
    .join("")
  const phaseRows = shown.phases
    .map(
      (p) =>
        `<tr><td><span class="swatch" style="background:${phaseColors[p.phase] ?? "#f3f4f6"}"></span>${escape(p.phase)}</td><td>${formatDuration(p.from - start)}</td><td>${formatDuration(p.to - p.from)}</td></tr>`,
    )
    .join("")
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(input.title)}</title>
<style>
  :root { color-scheme: light; --ink: #111827; --muted: #6b7280; --line: #e5e7eb; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f9fafb; }
  header { background: #111827; color: #f9fafb; padding: 20px 32px; }
  header h1 { margin: 0; font-size: 20px; font-weight: 600; }
  header p { margin: 4px 0 0; color: #d1d5db; }
  .outcome { display: inline-block; margin-left: 10px; padding: 2px 10px; border-radius: 999px; font-size: 13px; font-weight: 600; vertical-align: 3px; }
  .outcome.good { background: #065f46; color: #d1fae5; } .outcome.bad { background: #991b1b; color: #fee2e2; }
  main { max-width: 1040px; margin: 0 auto; padding: 24px 32px 48px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 12px; margin-bottom: 24px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
  .card .value { font-size: 20px; font-weight: 600; }
  .card .label { color: var(--muted); font-size: 12px; }
  .card.good .value { color: #047857; } .card.bad .value { color: #b91c1c; }
  .chart { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 0 0 24px; padding: 16px; }
  figcaption { font-weight: 600; margin-bottom: 8px; } .hint { color: var(--muted); font-weight: 400; font-size: 12px; }
  svg { width: 100%; height: auto; display: block; }
  .grid { stroke: #f3f4f6; } .axis { stroke: #9ca3af; }
  .tick { fill: var(--muted); font-size: 11px; } .axis-label { fill: var(--muted); font-size: 11px; }
  .phase-label { fill: #374151; font-size: 11px; font-weight: 600; }
  .healthy { fill: none; stroke-linejoin: round; } .floor { fill: none; stroke-width: 1.25; stroke-dasharray: 5 4; opacity: .7; }
  .instances { opacity: .9; } .baseline { stroke: #111827; stroke-dasharray: 2 3; }
  .legend { list-style: none; display: flex; flex-wrap: wrap; gap: 8px 18px; margin: 10px 0 0; padding: 0; font-size: 12px; }
  .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 6px; vertical-align: -1px; }
  .swatch.line { height: 0; border-top: 2px dotted #111827; border-radius: 0; }
  table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); border-radius: 8px; margin-bottom: 24px; }
  th, td { text-align: left; padding: 8px 12px; border-bottom: 1px solid var(--line); } th { color: var(--muted); font-weight: 500; font-size: 12px; }
  h2 { font-size: 15px; margin: 8px 0 10px; }
  footer { color: var(--muted); font-size: 12px; }
</style></head>
<body>
<header><h1>${escape(input.title)} <span class="outcome ${good ? "good" : "bad"}" id="outcome">${escape(input.outcome)}</span></h1><p>Scenario ${escape(input.scenario)} · cluster ${escape(input.clusterName)} · ${escape(input.policySummary)} · simulated start ${escape(new Date(input.startedAt).toISOString().replace(".000Z", "Z"))}</p></header>
<main>
  <section class="cards">
    ${card("simulated duration", formatDuration(m.simulatedDurationMs))}
    ${card("service-seconds below floor", m.serviceSecondsBelowFloor.toFixed(0), m.serviceSecondsBelowFloor === 0 ? "good" : "bad")}
    ${card("service-seconds with 0 healthy", m.serviceSecondsWithZeroHealthy.toFixed(0), m.serviceSecondsWithZeroHealthy === 0 ? "good" : "bad")}
    ${card("peak extra instances", String(m.instances.peakExtraInstances))}
    ${card("extra instance-hours", m.instances.extraInstanceHours.toFixed(2))}
    ${card("AWS calls", String(m.apiCalls.total))}
    ${card("mutating AWS calls", String(m.apiCalls.mutating))}
  </section>
  <p>${escape(input.outcomeDetail)}</p>
  ${serviceChart(shown, start, end)}
  ${instanceChart(shown, start, end)}
  <h2>Phases <span class="hint">(those that took simulated time)</span></h2>
  <table id="phases"><thead><tr><th>phase</th><th>from</th><th>lasted</th></tr></thead><tbody>${phaseRows}</tbody></table>
  <h2>Services</h2>
  <table id="services"><thead><tr><th>service</th><th>lowest healthy</th><th>below floor</th><th>with 0 healthy</th></tr></thead><tbody>${serviceRows}</tbody></table>
  <footer>ecs-ami-deploy simulate · the real rollout engine against a simulated EC2, Auto Scaling and ECS in virtual time.</footer>
</main>
</body></html>
`
}
