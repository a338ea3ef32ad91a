/**
 * The fleet file: defaults merged fleet → stage → cluster, and every problem of a bad file refused at
 * once with its path.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { decodeFleetFile, recordedStages } from "../src/index.ts"
import { role, sixClusterFleet } from "./fixtures.ts"

const problemsOf = (value: unknown) =>
  Effect.flip(decodeFleetFile(typeof value === "string" ? value : JSON.stringify(value), "fleet.json")).pipe(
    Effect.map((error) => error.problems),
  )

describe("fleet file", () => {
  it.effect(
    "given stages with defaults, then each cluster gets the fleet's, its stage's and its own settings, in that order",
    () =>
      Effect.gen(function* () {
        const definition = yield* decodeFleetFile(sixClusterFleet(), "fleet.json")
        expect(definition.fleetName).toBe("platform")
        expect(definition.digest).toMatch(/^[0-9a-f]{64}$/)
        const [canary, staging, production] = definition.stages
        expect(canary).toMatchObject({ name: "canary", batchSize: 1, bakeMs: 3_600_000 })
        expect(canary?.clusters[0]).toMatchObject({
          id: "111111111111/eu-west-1/canary",
          accountId: "111111111111",
          roleArn: role("111111111111"),
          policy: { maxSurge: "100%" },
        })
        expect(staging?.clusters[1]).toMatchObject({
          id: "222222222222/us-east-1/staging-b",
          region: "us-east-1",
        })
        expect(production).toMatchObject({ batchSize: 2, bakeMs: 0 })
        expect(recordedStages(definition)[2]?.clusters.map((cluster) => cluster.id)).toEqual([
          "333333333333/eu-west-1/prod-a",
          "333333333333/eu-west-1/prod-b",
          "333333333333/us-west-2/prod-c",
        ])
      }),
  )

  it.effect("given a cluster policy, then it merges over the stage's field by field, timeouts too", () =>
    Effect.gen(function* () {
      const definition = yield* decodeFleetFile(
        JSON.stringify({
          fleet: "f",
          defaults: { region: "eu-west-1", policy: { maxSurge: "50%", timeouts: { drainWaveMs: 600_000 } } },
          stages: [
            { name: "s", clusters: [{ cluster: "c", policy: { timeouts: { newCapacityMs: 900_000 } } }] },
          ],
        }),
        "fleet.json",
      )
      expect(definition.stages[0]?.clusters[0]?.policy).toEqual({
        maxSurge: "50%",
        timeouts: { drainWaveMs: 600_000, newCapacityMs: 900_000 },
      })
      expect(definition.stages[0]?.clusters[0]?.id).toBe("caller/eu-west-1/c")
    }),
  )

  it.effect("given unknown keys, a bad role ARN and a bad Region, then each is refused with its path", () =>
    Effect.gen(function* () {
      const problems = yield* problemsOf({
        fleet: "f",
        colour: "blue",
        stages: [
          {
            name: "s",
            clusters: [
              { cluster: "a", region: "eu-west-1", role: "arn:aws:iam::1234:role/x" },
              { cluster: "b", region: "Ireland", bake: "1h" },
            ],
          },
        ],
      })
      const paths = problems.map((problem) => problem.path)
      expect(paths).toEqual(
        expect.arrayContaining([
          "colour",
          "stages.0.clusters.0.role",
          "stages.0.clusters.1.region",
          "stages.0.clusters.1.bake",
        ]),
      )
      expect(problems.find((problem) => problem.path === "stages.0.clusters.0.role")?.problem).toContain(
        "IAM role ARN",
      )
    }),
  )

  it.effect(
    "given the same cluster twice, a stage named twice, a cluster without Region and a policy upgradeCluster refuses, then all four are refused",
    () =>
      Effect.gen(function* () {
        const problems = yield* problemsOf({
          fleet: "f",
          defaults: { role: role("111111111111") },
          stages: [
            { name: "s", clusters: [{ cluster: "a", region: "eu-west-1" }, { cluster: "nowhere" }] },
            {
              name: "s",
              clusters: [
                { cluster: "a", region: "eu-west-1" },
                { cluster: "b", region: "eu-west-1", policy: { maxDraining: 0 } },
                { cluster: "c", region: "eu-west-1", policy: { drainTimeout: "10m" } },
              ],
            },
          ],
        })
        expect(problems.map((problem) => problem.path)).toEqual([
          "stages.0.clusters.1.region",
          "stages.1.name",
          "stages.1.clusters.0",
          "stages.1.clusters.1 (merged) policy.maxDraining",
          "stages.1.clusters.2 (merged) policy.drainTimeout",
        ])
        expect(problems[2]?.problem).toContain("already listed at stages.0.clusters.0")
        expect(problems[4]?.problem).toContain("did you mean policy.timeouts.drainWaveMs")
      }),
  )

  it.effect("given text that is not JSON, then the refusal says so", () =>
    Effect.gen(function* () {
      const problems = yield* problemsOf("fleet: f")
      expect(problems[0]?.problem).toContain("not JSON")
    }),
  )
})
