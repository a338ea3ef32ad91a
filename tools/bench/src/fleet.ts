/**
 * `npm run bench:fleet`: a 20-cluster fleet rolled on the simulator (see fleet-rollout.ts), printed
 * as the Markdown table docs/BENCHMARKS.md holds. Wall time is this machine's; durations are simulated.
 *
 *   node --conditions=@ecs-ami-deploy/source tools/bench/src/fleet.ts [--clusters 20]
 */
import { parseArgs } from "node:util"
import { formatDuration } from "@ecs-ami-deploy/domain"
import { fleetBench } from "./fleet-rollout.ts"
import { markdownTable } from "./table.ts"

const { values: args } = parseArgs({ options: { clusters: { type: "string", default: "20" } } })
const count = Number(args.clusters)
const run = await fleetBench(count)
if (run.result._tag !== "Finished" || run.result.outcome !== "succeeded")
  throw new Error(`the fleet did not succeed: ${JSON.stringify(run.result)}`)
process.stdout.write(
  `${markdownTable(
    [
      "clusters",
      "stages",
      "outcome",
      "wall time",
      "fleet duration (simulated)",
      "AWS requests (all clusters)",
      "AssumeRole calls",
      "fleet events",
    ],
    [
      [
        String(run.clusters),
        String(run.stages),
        run.result.outcome,
        `${(run.wallMs / 1000).toFixed(1)} s`,
        formatDuration(run.simulatedMs),
        String(run.awsRequests),
        String(run.assumeRoleCalls),
        String(run.fleetEvents),
      ],
    ],
  )}\n`,
)
