/**
 * Image ids as launch specs store them: an AMI id, or `resolve:ssm:<parameter>` (launch templates may
 * defer the choice to an SSM parameter, read by EC2 at each launch). Reading what a group really
 * launches therefore sometimes means reading the parameter.
 */
import { Effect } from "effect"
import type { AwsCallError } from "@ecs-ami-deploy/domain"
import { Ssm } from "@ecs-ami-deploy/ports"
import { inContext, whenNotFound } from "./aws-errors.ts"
import { LaunchSpecError, type LaunchSpecImage } from "./contracts.ts"

const ssmReference = "resolve:ssm:"

/** The SSM parameter an image id defers to, if it is a `resolve:ssm:` reference. */
export const ssmParameterOf = (storedImageId: string): string | undefined =>
  storedImageId.startsWith(ssmReference) ? storedImageId.slice(ssmReference.length) : undefined

/** The image a stored image id stands for now; `where` names the spec that holds it, for messages. */
export const resolveStoredImageId = (input: {
  readonly storedImageId: string
  readonly asgName: string
  readonly where: string
}): Effect.Effect<LaunchSpecImage, LaunchSpecError | AwsCallError, Ssm> => {
  const parameterName = ssmParameterOf(input.storedImageId)
  if (parameterName === undefined) return Effect.succeed({ imageId: input.storedImageId })
  return Ssm.use((ssm) => ssm.getParameter(parameterName)).pipe(
    Effect.map((parameter) => ({ imageId: parameter.value, ssmParameter: parameterName })),
    whenNotFound(
      () =>
        new LaunchSpecError({
          asgName: input.asgName,
          problem: `${input.where} takes its image from SSM parameter ${parameterName}, which does not exist`,
          fix: `create the parameter ${parameterName} (data type aws:ec2:image), or set an AMI id in ${input.where}`,
        }),
    ),
    inContext(`reading SSM parameter ${parameterName} named by ${input.where}`),
  )
}
