/**
 * The plugins the Lambda registers: the built-in launch-spec strategies, and the AMI source its
 * configuration names. The SNS announcement is only a trigger; the target image always comes from here.
 */
import { Layer } from "effect"
import {
  builtInLaunchSpecStrategies,
  imageFilterSource,
  pinnedImageSource,
  Plugins,
  ssmParameterSource,
  type AmiSource,
} from "@ecs-ami-deploy/strategies"
import type { AmiSourceSpec } from "./config.ts"

export const amiSourceOf = (spec: AmiSourceSpec): AmiSource => {
  switch (spec._tag) {
    case "image-filter":
      return imageFilterSource({ namePattern: spec.namePattern, owners: spec.owners })
    case "ssm-parameter":
      return ssmParameterSource({ parameterName: spec.parameterName })
    case "pinned":
      return pinnedImageSource({ imageId: spec.imageId })
  }
}

/** `Plugins` for the configured AMI source. */
export const layerPlugins = (amiSource: AmiSourceSpec): Layer.Layer<Plugins> =>
  Layer.succeed(
    Plugins,
    Plugins.of({ launchSpecStrategies: builtInLaunchSpecStrategies(), amiSource: amiSourceOf(amiSource) }),
  )
