/**
 * The plugins the Lambda registers: the built-in launch-spec strategies, and the AMI source its
 * configuration names. The SNS announcement is only a trigger; the target image always comes from here.
 */
import { Layer } from "effect"
import {
  type AmiSourceSpec,
  amiSourceFromSpec,
  builtInLaunchSpecStrategies,
  Plugins,
} from "@ecs-ami-deploy/strategies"

/** `Plugins` for the configured AMI source. */
export const layerPlugins = (amiSource: AmiSourceSpec): Layer.Layer<Plugins> =>
  Layer.succeed(
    Plugins,
    Plugins.of({
      launchSpecStrategies: builtInLaunchSpecStrategies(),
      amiSource: amiSourceFromSpec(amiSource),
    }),
  )
