/**
 * The `Ssm` port on the AWS SDK: reading one parameter, which is how AMI sources resolve the public
 * ECS-optimized image parameters and how `resolve:ssm:` launch template images are followed.
 */
import { GetParameterCommand, type SSMClient } from "@aws-sdk/client-ssm"
import { AwsCallError } from "@ecs-ami-deploy/domain"
import { Ssm } from "@ecs-ami-deploy/ports"
import { Effect, Layer } from "effect"
import { epochMillis, request } from "./call.ts"
import { type AwsConfig, makeSsmClient } from "./config.ts"
import { mapSsmError } from "./errors.ts"

/** Every IAM action this module's calls need, one per SDK command it sends. */
export const ssmActions = ["ssm:GetParameter"] as const

/** The `Ssm` port over the given client. */
export const makeSsm = (client: SSMClient): Ssm["Service"] =>
  Ssm.of({
    getParameter: (name) =>
      request("ssm:GetParameter", mapSsmError, (abortSignal) =>
        client.send(new GetParameterCommand({ Name: name }), { abortSignal }),
      ).pipe(
        Effect.flatMap(({ Parameter: parameter }) =>
          parameter?.Value === undefined
            ? Effect.fail(
                new AwsCallError({
                  operation: "ssm:GetParameter",
                  kind: "not-found",
                  code: "ParameterNotFound",
                  message: `no value for ${name}`,
                }),
              )
            : Effect.succeed({
                name: parameter.Name ?? name,
                value: parameter.Value,
                version: parameter.Version ?? 0,
                lastModified: epochMillis(parameter.LastModifiedDate) ?? 0,
              }),
        ),
      ),
  })

/** The `Ssm` port on a client built from the default chain and `config`. */
export const SsmLive = (config: AwsConfig = {}): Layer.Layer<Ssm> =>
  Layer.sync(Ssm, () => makeSsm(makeSsmClient(config)))
