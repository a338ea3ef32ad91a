/**
 * The scenario library: every scenario is valid, starts steady (every service at its desired count,
 * all healthy), runs an older AMI, and offers a newer one by the default name filter and by SSM.
 */
import { Ec2, Ecs, Ssm } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import {
  decodeScenario,
  defaultImageNameFilter,
  InvalidScenario,
  makeSimulation,
  recommendedImageIdParameter,
  scenarioNames,
  scenarioProblems,
  scenarios,
} from "../src/index.ts"

describe("scenario library", () => {
  for (const name of scenarioNames) {
    it(`${name}: valid, steady at the start, on an older AMI than the one available`, async () => {
      const scenario = scenarios[name]
      expect(decodeScenario(JSON.parse(JSON.stringify(scenario)))).toEqual(scenario)
      expect(scenarioProblems(scenario)).toEqual([])
      const sim = makeSimulation(scenario)
      const state = sim.snapshotState()
      for (const service of state.services) {
        expect(service.runningCount, service.serviceName).toBe(service.desiredCount)
        expect(service.healthyCount, service.serviceName).toBe(service.desiredCount)
      }
      const { newest, recommended } = await sim.run(
        Effect.all({
          newest: Ec2.use((ec2) =>
            ec2.describeImages({
              _tag: "ByFilter",
              namePattern: defaultImageNameFilter,
              owners: ["amazon"],
              includeDeprecated: false,
            }),
          ).pipe(Effect.map((images) => [...images].sort((a, b) => b.creationDate - a.creationDate)[0]!)),
          recommended: Ssm.use((ssm) => ssm.getParameter(recommendedImageIdParameter)),
        }),
      )
      expect(recommended.value).toBe(newest.imageId)
      const inUse = new Set(state.instances.map((i) => i.imageId))
      expect(inUse.has(newest.imageId)).toBe(false)
    })
  }

  it("rejects an inconsistent scenario listing what does not fit", () => {
    const broken = {
      ...scenarios.small,
      services: [{ ...scenarios.small.services[0]!, clusterName: "elsewhere" }],
    }
    expect(scenarioProblems(broken)).toEqual(["service web is in unknown cluster elsewhere"])
    expect(() => makeSimulation(broken)).toThrow(InvalidScenario)
  })

  it("rejects a malformed scenario naming the field", () => {
    expect(() =>
      decodeScenario({ ...scenarios.small, groups: [{ ...scenarios.small.groups[0], minSize: -1 }] }),
    ).toThrow(/minSize/)
  })
})

describe("API request accounting", () => {
  it("counts a whole-cluster read as the paginated, batched AWS requests it stands for", async () => {
    const sim = makeSimulation(scenarios["large-200"])
    await sim.run(
      Effect.all([
        Ecs.use((ecs) => ecs.containerInstances("large-200-cluster")),
        Ecs.use((ecs) => ecs.services("large-200-cluster")),
      ]),
    )
    // 200 container instances: 2 list pages of 100 and 2 describe batches of 100; 20 services: 1 list
    // page, 2 describe batches of 10, and their 20 task definitions, each read once.
    expect(sim.metrics().apiCalls.awsRequestsByAction).toEqual({
      "ecs:ListContainerInstances": 2,
      "ecs:DescribeContainerInstances": 2,
      "ecs:ListServices": 1,
      "ecs:DescribeServices": 2,
      "ecs:DescribeTaskDefinition": 20,
    })
    expect(sim.metrics().apiCalls.total).toBe(2)
  })

  it("counts task listings by page, task descriptions by batch of 100, services given by ARN without a list, and each task definition once per ports", async () => {
    const sim = makeSimulation(scenarios["large-200"])
    const cluster = "large-200-cluster"
    const arns = await sim.run(Ecs.use((ecs) => ecs.listTaskArns(cluster, "RUNNING")))
    const [, listed] = await sim.run(
      Effect.all([
        Ecs.use((ecs) => ecs.describeTasks(cluster, arns)),
        Ecs.use((ecs) => ecs.services(cluster)),
        Ecs.use((ecs) => ecs.services(cluster)),
      ]),
    )
    const someArns = listed.slice(0, 12).map((service) => service.serviceArn)
    const described = await sim.run(Ecs.use((ecs) => ecs.services(cluster, someArns)))
    const requests = sim.metrics().apiCalls.awsRequestsByAction
    // Services given by ARN are described, not listed: one list each for the first two calls, none for the third.
    expect(described.map((service) => service.serviceArn)).toEqual(someArns)
    expect(requests["ecs:ListServices"]).toBe(2)
    expect(requests["ecs:DescribeServices"]).toBe(2 + 2 + Math.ceil(someArns.length / 10))
    expect(requests["ecs:ListTasks"]).toBe(Math.ceil(arns.length / 100))
    expect(requests["ecs:DescribeTasks"]).toBe(Math.ceil(arns.length / 100))
    expect(requests["ecs:DescribeTaskDefinition"]).toBe(scenarios["large-200"].services.length)
  })
})
