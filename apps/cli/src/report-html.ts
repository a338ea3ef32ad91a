/**
 * The HTML report of a simulated rollout: one self-contained page (inline SVG and CSS, no script, no
 * network) with the outcome, the figures that matter (time below a service's healthy floor, extra
 * capacity, API calls), one small chart per service (healthy, floor, desired), the instances by image
 * and ECS state, and the run's phases labelled by group — drawn until the world settled after the
 * run, and laid out to read on a phone.
 */
import type { Simulation } from "ecs-ami-deploy/simulator"
import { formatDuration } from "@ecs-ami-deploy/domain"
import type { FleetSample } from "./fleet-samples.ts"

type Metrics = ReturnType<Simulation["metrics"]>

/** A phase of the run and when it held, in simulated epoch ms. */
export interface PhaseSpan {
  readonly phase: string
  /** The group the run was working on (its wave), when it had acted on one. */
  readonly group?: string
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
  /** When the rollout returned. */
  readonly endedAt: number
  /** The run's figures when it returned (the cards and the services table). */
  readonly metrics: Metrics
  /** The same after simulated time ran on until the world settled (the charts). */
  readonly settled: Metrics
  /** The cluster's instances through the run and until settled. */
  readonly fleet: ReadonlyArray<FleetSample>
  /** The run's target image: instances on it are "new", all others "old". */
  readonly targetImageId?: string
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
  checkpoint: "#fae8ff",
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

const axes = (f: Frame) => {
  const ticks: Array<string> = []
  const yStep = Math.max(1, Math.round(niceStep(f.maxY)))
  for (let v = 0; v <= f.maxY; v += yStep)
    ticks.push(
      `<line class="grid" x1="${f.left}" x2="${f.width - f.right}" y1="${yOf(f, v)}" y2="${yOf(f, v)}"/><text class="tick" x="${f.left - 8}" y="${yOf(f, v) + 4}" text-anchor="end">${v}</text>`,
    )
  const minutes = (f.end - f.start) / minute
  const xStep = niceStep(minutes)
  for (let m = 0; m <= minutes + 1e-9; m += xStep) {
    const x = xOf(f, f.start + m * minute)
    ticks.push(
      `<text class="tick" x="${x}" y="${f.height - f.bottom + 18}" text-anchor="middle">${Math.round(m)}m</text>`,
    )
  }
  return `${ticks.join("")}
    <line class="axis" x1="${f.left}" x2="${f.width - f.right}" y1="${f.height - f.bottom}" y2="${f.height - f.bottom}"/>`
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
      if (
        previous !== undefined &&
        previous.phase === span.phase &&
        previous.group === span.group &&
        previous.to === span.from
      )
        merged[merged.length - 1] = { ...previous, to: span.to }
      else merged.push(span)
      return merged
    }, [])

/** The phases as faint bands behind a chart. */
const phaseBands = (f: Frame, phases: ReadonlyArray<PhaseSpan>) =>
  phases
    .map((span) => {
      const x = xOf(f, span.from)
      const w = Math.max(1, xOf(f, span.to) - x)
      return `<g class="phase" data-phase="${escape(span.phase)}"><title>${escape(phaseLabel(span))}: ${formatDuration(span.from - f.start)} to ${formatDuration(span.to - f.start)}</title><rect x="${x.toFixed(1)}" y="${f.top}" width="${w.toFixed(1)}" height="${f.height - f.top - f.bottom}" fill="${phaseColors[span.phase] ?? "#f3f4f6"}"/></g>`
    })
    .join("")

const phaseLabel = (span: PhaseSpan) =>
  span.group === undefined ? span.phase : `${span.phase} · ${span.group}`

const minute = 60_000
const multipleSize = { width: 360, height: 150, left: 28, right: 8, top: 8, bottom: 24 }

/** A tinted region after the run returned: simulated time that ran on until the world settled. */
const afterRun = (f: Frame, endedAt: number) =>
  endedAt < f.end
    ? `<rect class="after-run" x="${xOf(f, endedAt).toFixed(1)}" y="${f.top}" width="${(xOf(f, f.end) - xOf(f, endedAt)).toFixed(1)}" height="${f.height - f.top - f.bottom}"/><line class="run-end" x1="${xOf(f, endedAt).toFixed(1)}" x2="${xOf(f, endedAt).toFixed(1)}" y1="${f.top}" y2="${f.height - f.bottom}"/>`
    : ""

/** One small chart per service: healthy tasks, the floor minimumHealthyPercent allows (tinted below), desired. */
const serviceMultiples = (input: ReportInput, start: number, end: number) =>
  input.settled.services
    .map((service, index) => {
      const maxY = Math.max(1, ...service.timeline.map((p) => Math.max(p.healthy, p.desired)))
      const f: Frame = { ...multipleSize, start, end, maxY: Math.ceil(maxY * 1.2) }
      const series = (value: (p: (typeof service.timeline)[number]) => number) =>
        service.timeline.map((p) => ({ at: p.at, value: value(p) }))
      const floor = series((p) => p.floor)
      const floorZone = `${stepPath(f, floor)} V${yOf(f, 0).toFixed(1)} H${xOf(f, floor[0]?.at ?? start).toFixed(1)} Z`
      const first = service.timeline[0]
      return `<div class="multiple" data-service="${escape(service.service)}">
      <h3><span class="swatch" style="background:${colorOf(index)}"></span>${escape(service.service)} <span class="hint">floor ${first?.floor ?? 0} · desired ${first?.desired ?? 0}</span></h3>
      <svg viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="healthy, floor and desired tasks of ${escape(service.service)} over time">${phaseBands(f, input.phases)}${afterRun(f, input.endedAt)}${axes(f)}<g class="series" data-service="${escape(service.service)}"><path class="floor-zone" d="${floorZone}"/><path class="desired" d="${stepPath(
        f,
        series((p) => p.desired),
      )}"/><path class="healthy" d="${stepPath(
        f,
        series((p) => p.healthy),
      )}" stroke="${colorOf(index)}"/><path class="floor" d="${stepPath(f, floor)}"/></g></svg>
    </div>`
    })
    .join("")

const serviceChart = (input: ReportInput, start: number, end: number) =>
  `<figure class="chart" id="services-chart">
    <figcaption>Tasks per service <span class="hint">(solid: healthy; red dashed over a red tint: the floor minimumHealthyPercent allows; grey dotted: desired; grey after the line: after the run returned, until the world settled)</span></figcaption>
    <div class="multiples">${serviceMultiples(input, start, end)}</div>
  </figure>`

/**
 * The run's phases as one labelled strip (HTML, so its text keeps its size on a phone), each band
 * named by its phase and the group (wave) in work; the part after the run returned is shaded.
 */
const phaseStrip = (input: ReportInput, start: number, end: number) => {
  const percent = (at: number) => (((at - start) / Math.max(1, end - start)) * 100).toFixed(2)
  const bands = input.phases
    .map(
      (span) =>
        `<div class="phase-band" data-phase="${escape(span.phase)}" title="${escape(phaseLabel(span))}" style="left:${percent(span.from)}%;width:${(Number(percent(span.to)) - Number(percent(span.from))).toFixed(2)}%;background:${phaseColors[span.phase] ?? "#f3f4f6"}"><b>${escape(span.phase)}</b>${span.group === undefined ? "" : `<span>${escape(span.group)}</span>`}</div>`,
    )
    .join("")
  const after =
    input.endedAt < end
      ? `<div class="after-run" style="left:${percent(input.endedAt)}%;width:${(100 - Number(percent(input.endedAt))).toFixed(2)}%" title="after the run returned"></div>`
      : ""
  return `<figure class="chart" id="phases-chart">
    <figcaption>Phases, by group <span class="hint">(the table below lists each one)</span></figcaption>
    <div class="strip">${bands}${after}</div>
  </figure>`
}

const fleetKinds = [
  { image: "old", state: "active", label: "old image, active", color: "#475569" },
  { image: "old", state: "draining", label: "old image, ECS draining", color: "#f59e0b" },
  { image: "old", state: "shutting-down", label: "old image, shutting down", color: "#ef4444" },
  { image: "old", state: "launching", label: "old image, launching", color: "#94a3b8" },
  { image: "new", state: "active", label: "new image, active", color: "#059669" },
  { image: "new", state: "launching", label: "new image, launching", color: "#6ee7b7" },
  { image: "new", state: "draining", label: "new image, ECS draining", color: "#a3e635" },
  { image: "new", state: "shutting-down", label: "new image, shutting down", color: "#fca5a5" },
] as const

type FleetKind = (typeof fleetKinds)[number]

const countOf = (input: ReportInput, sample: FleetSample, kind: Pick<FleetKind, "image" | "state">) =>
  sample.instances.filter(
    (i) => i.state === kind.state && (i.imageId === input.targetImageId ? "new" : "old") === kind.image,
  ).length

const imageCounts = (input: ReportInput, sample: FleetSample | undefined) => {
  const onTarget = sample?.instances.filter((i) => i.imageId === input.targetImageId).length ?? 0
  return { old: (sample?.instances.length ?? 0) - onTarget, new: onTarget }
}

const instanceChart = (input: ReportInput, start: number, end: number) => {
  const samples = input.fleet
  const kinds = fleetKinds.filter((kind) => samples.some((sample) => countOf(input, sample, kind) > 0))
  const maxY = Math.max(1, ...samples.map((sample) => sample.instances.length))
  const f: Frame = {
    width: 600,
    height: 240,
    left: 34,
    right: 10,
    top: 10,
    bottom: 26,
    start,
    end,
    maxY: Math.ceil(maxY * 1.15),
  }
  // Stacked areas: each kind's band sits on the kinds before it.
  const bands = kinds
    .map((kind, index) => {
      const below = (sample: FleetSample) =>
        kinds.slice(0, index).reduce((sum, k) => sum + countOf(input, sample, k), 0)
      const edge = (value: (sample: FleetSample) => number) =>
        samples.map((sample, i) => {
          const next = samples[i + 1]?.at ?? end
          return `${xOf(f, sample.at).toFixed(1)},${yOf(f, value(sample)).toFixed(1)} ${xOf(f, next).toFixed(1)},${yOf(f, value(sample)).toFixed(1)}`
        })
      const upper = edge((sample) => below(sample) + countOf(input, sample, kind))
      const lower = edge(below)
        .map((pair) => pair.split(" ").reverse().join(" "))
        .reverse()
      return `<polygon class="instances" data-image="${kind.image}" data-state="${kind.state}" points="${[...upper, ...lower].join(" ")}" fill="${kind.color}"/>`
    })
    .join("")
  const baselineY = yOf(f, input.metrics.instances.baseline).toFixed(1)
  const legend = kinds
    .map(
      (kind) =>
        `<li data-image="${kind.image}" data-state="${kind.state}"><span class="swatch" style="background:${kind.color}"></span>${kind.label}</li>`,
    )
    .join("")
  const atStart = imageCounts(input, samples[0])
  const atEnd = imageCounts(input, samples.at(-1))
  return `<figure class="chart" id="instances-chart">
    <figcaption>Instances by image and ECS state <span class="hint">(dotted: the fleet before the run; grey after the line: after the run returned)</span></figcaption>
    <p class="fleet-counts"><span id="fleet-start" data-old="${atStart.old}" data-new="${atStart.new}">at start: ${atStart.old} old, ${atStart.new} new</span> · <span id="fleet-end" data-old="${atEnd.old}" data-new="${atEnd.new}">settled: ${atEnd.old} old, ${atEnd.new} new</span></p>
    <svg viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="instances by image and ECS state over time">${phaseBands(f, input.phases)}${axes(f)}${bands}${afterRun(f, input.endedAt)}<line class="baseline" x1="${f.left}" x2="${f.width - f.right}" y1="${baselineY}" y2="${baselineY}"/></svg>
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
  const end = start + Math.max(input.settled.simulatedDurationMs, minute)
  const good = input.outcome === "succeeded" || input.outcome === "nothing to do"
  const serviceRows = m.services
    .map(
      (s) =>
        `<tr><td>${escape(s.service)}</td><td>${s.timeline[0]?.floor ?? 0}</td><td>${s.timeline[0]?.desired ?? 0}</td><td>${s.lowestHealthy}</td><td>${s.secondsBelowFloor.toFixed(0)} s</td><td>${s.secondsWithZeroHealthy.toFixed(0)} s</td></tr>`,
    )
    .join("")
  const phaseRows = shown.phases
    .map(
      (p) =>
        `<tr><td><span class="swatch" style="background:${phaseColors[p.phase] ?? "#f3f4f6"}"></span>${escape(p.phase)}</td><td>${escape(p.group ?? "")}</td><td>${formatDuration(p.from - start)}</td><td>${formatDuration(p.to - p.from)}</td></tr>`,
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
  .strip { position: relative; height: 44px; margin: 0 8px 0 28px; }
  .phase-band { position: absolute; top: 0; bottom: 0; overflow: hidden; padding: 4px 4px 0; font-size: 12px; line-height: 1.3; white-space: nowrap; text-overflow: ellipsis; }
  .phase-band b, .phase-band span { display: block; overflow: hidden; text-overflow: ellipsis; } .phase-band span { color: #4b5563; }
  div.after-run { position: absolute; top: 0; bottom: 0; border-left: 1px solid #374151; background: rgba(156, 163, 175, .35); }
  .multiple .phase { opacity: .55; }
  .multiples { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 12px 20px; }
  .multiple h3 { margin: 0 0 4px; font-size: 13px; font-weight: 600; overflow-wrap: anywhere; }
  .healthy { fill: none; stroke-width: 3; stroke-linejoin: round; }
  .floor { fill: none; stroke: #dc2626; stroke-width: 1.75; stroke-dasharray: 6 4; } .floor-zone { fill: #dc2626; opacity: .08; }
  .desired { fill: none; stroke: #6b7280; stroke-width: 1.25; stroke-dasharray: 1.5 3; }
  .after-run { fill: #9ca3af; opacity: .18; } .run-end { stroke: #374151; stroke-width: 1; }
  #instances-chart svg { max-width: 760px; } .fleet-counts { margin: 0 0 6px; font-size: 13px; }
  .instances { opacity: .95; } .baseline { stroke: #111827; stroke-dasharray: 2 3; }
  .table { overflow-x: auto; margin-bottom: 24px; } .table table { margin-bottom: 0; }
  @media (max-width: 600px) {
    header { padding: 14px 16px; } main { padding: 16px 12px 32px; } .chart { padding: 10px; }
    .multiples { grid-template-columns: 1fr; } th, td { padding: 6px 8px; }
    #instances-chart .tick { font-size: 19px; }
  }
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
    ${card("AWS requests", String(m.apiCalls.awsRequests))}
    ${card("mutating port calls", String(m.apiCalls.mutating))}
  </section>
  <p>${escape(input.outcomeDetail)}</p>
  ${phaseStrip(shown, start, end)}
  ${serviceChart(shown, start, end)}
  ${instanceChart(shown, start, end)}
  <h2>Phases <span class="hint">(those that took simulated time)</span></h2>
  <div class="table"><table id="phases"><thead><tr><th>phase</th><th>group</th><th>from</th><th>lasted</th></tr></thead><tbody>${phaseRows}</tbody></table></div>
  <h2>Services</h2>
  <div class="table"><table id="services"><thead><tr><th>service</th><th>floor</th><th>desired</th><th>lowest healthy</th><th>below floor</th><th>with 0 healthy</th></tr></thead><tbody>${serviceRows}</tbody></table></div>
  <footer>ecs-ami-deploy simulate · the real rollout engine against a simulated EC2, Auto Scaling and ECS in virtual time.</footer>
</main>
</body></html>
`
}
