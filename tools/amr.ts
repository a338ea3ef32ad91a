import { makeSimulation } from "@ecs-ami-deploy/simulator"
import { scaledLarge } from "./bench/src/scenarios.ts"
import { runEngine } from "./bench/src/engine.ts"
import { enginePolicy } from "./bench/src/contenders.ts"
for (const n of [100, 500]) {
const sim = makeSimulation(scaledLarge(n), { seed: 1 })
await runEngine(sim, enginePolicy)
const m = sim.metrics()
const ecs = Object.entries(m.apiCalls.awsRequestsByAction).filter(([k]) => k.startsWith("ecs:")).reduce((a, [, v]) => a + v, 0)
console.log(n, m.simulatedDurationMs/1000, (ecs / (m.simulatedDurationMs/1000)).toFixed(2), m.apiCalls.awsRequests, JSON.stringify(Object.fromEntries(Object.entries(m.apiCalls.awsRequestsByAction).filter(([k]) => k.startsWith("ecs:") || k.startsWith("elastic")))))
}
