import { makeSimulation } from "@ecs-ami-deploy/simulator"
import { scaledLarge } from "./bench/src/scenarios.ts"
import { runEngine } from "./bench/src/engine.ts"
import { enginePolicy } from "./bench/src/contenders.ts"
const sim = makeSimulation(scaledLarge(500), { seed: 1 })
const t0 = sim.now()
await runEngine(sim, enginePolicy)
console.log(sim.callLog.filter((c) => c.operation.startsWith("ecs:")).map((c) => `${Math.round((c.at - t0)/1000)}:${c.operation.slice(4,12)}:${Object.values(c.awsRequests ?? {}).reduce((a: number, b) => a + (b as number), 0)}`).join(" "))
