import { contenders } from "./contenders.ts"
import { measure } from "./figures.ts"
import { benchScenarios } from "./scenarios.ts"
for (const s of benchScenarios({ quick: false })) for (const c of contenders) if (c.appliesTo(s)) {
  const f = await measure(s, c)
  console.log(s.name, c.id, f.status, f.detail.slice(0, 100), (f.durationMs/1000).toFixed(0), f.ratioToLowerBound?.toFixed(2), f.serviceSecondsBelowFloor, f.serviceSecondsWithZeroHealthy, f.apiCalls.total, f.peakExtraInstances, f.extraInstanceHours.toFixed(2), f.wallMs.toFixed(0))
}
