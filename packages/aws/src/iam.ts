/**
 * The `Iam` port on the AWS SDK: the roles of an instance profile (IAM GetInstanceProfile), for
 * `iam-policy --cluster C`, which limits `iam:PassRole` to them. Only that command calls it, under the
 * credentials of whoever prints the policy; the rollout role never needs `iam:GetInstanceProfile`.
 */
import { GetInstanceProfileCommand, type IAMClient } from "@aws-sdk/client-iam"
import { Iam } from "@ecs-ami-deploy/ports"
import { Effect, Layer } from "effect"
import { request } from "./call.ts"
import { type AwsConfig, makeIamClient } from "./config.ts"
import { mapIamError } from "./errors.ts"

/** Every IAM action this module's calls need: asked of the person running `iam-policy --cluster`, not of the rollout role. */
export const iamActions = ["iam:GetInstanceProfile"] as const

/** The `Iam` port over the given client. */
export const makeIam = (client: IAMClient): Iam["Service"] =>
  Iam.of({
    instanceProfileRoleArns: (profileName) =>
      request("iam:GetInstanceProfile", mapIamError, (abortSignal) =>
        client.send(new GetInstanceProfileCommand({ InstanceProfileName: profileName }), {
          abortSignal,
        }),
      ).pipe(
        Effect.map((answer) =>
          (answer.InstanceProfile?.Roles ?? []).flatMap((role) => (role.Arn === undefined ? [] : [role.Arn])),
        ),
      ),
  })

/** The `Iam` port on a client built from the default chain and `config`. */
export const IamLive = (config: AwsConfig = {}): Layer.Layer<Iam> =>
  Layer.sync(Iam, () => makeIam(makeIamClient(config)))
