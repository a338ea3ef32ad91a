/** The README's opening example, verbatim apart from the assertion. */
import { expect, it } from "vitest"
import { Effect, Layer } from "effect"
import { defaultPolicy } from "@ecs-ami-deploy/domain"
import { layerMemory } from "@ecs-ami-deploy/event-log"
import { Notifier } from "@ecs-ami-deploy/ports"
import { makeSimulation, newImageId, scenarios } from "@ecs-ami-deploy/simulator"
import { builtInLaunchSpecStrategies, pinnedImageSource, Plugins } from "@ecs-ami-deploy/strategies"
import { runRollout } from "../src/index.ts"

it("runs the README example: a simulated rollout of the small cluster succeeds", async () => {
  const simulation = makeSimulation(scenarios.small)
  const services = Layer.mergeAll(
    layerMemory(),
    Layer.succeed(
      Plugins,
      Plugins.of({
        launchSpecStrategies: builtInLaunchSpecStrategies(),
        amiSource: pinnedImageSource({ imageId: newImageId }),
      }),
    ),
    Layer.succeed(
      Notifier,
      Notifier.of({
        notify: (notification) => Effect.log(`${notification.subject}: ${notification.summary}`),
      }),
    ),
  )

  const result = await simulation.run(
    runRollout({ clusterName: "small-cluster", policy: defaultPolicy, holder: "readme" }).pipe(
      Effect.provide(services),
    ),
  )

  expect(result).toMatchObject({ _tag: "Finished", outcome: "succeeded" })
})
