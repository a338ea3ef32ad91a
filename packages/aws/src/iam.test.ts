import { GetInstanceProfileCommand, IAMClient } from "@aws-sdk/client-iam"
import { it } from "@effect/vitest"
import { Effect } from "effect"
import { mockClient } from "aws-sdk-client-mock"
import { beforeEach, describe, expect } from "vitest"
import { sdkError } from "../test/sdk-error.ts"
import { makeIam } from "./iam.ts"

const iamMock = mockClient(IAMClient)
const iam = makeIam(new IAMClient({ region: "eu-west-1" }))

beforeEach(() => {
  iamMock.reset()
})

describe("instanceProfileRoleArns", () => {
  it.effect("asks GetInstanceProfile for the named profile and answers its roles' ARNs", () =>
    Effect.gen(function* () {
      const roleArn = "arn:aws:iam::123456789012:role/ecs/ecs-instance"
      iamMock.on(GetInstanceProfileCommand).resolves({
        InstanceProfile: {
          InstanceProfileName: "ecs-instance",
          InstanceProfileId: "AIPA1",
          Arn: "arn:aws:iam::123456789012:instance-profile/ecs-instance",
          Path: "/",
          CreateDate: new Date("2026-01-01T00:00:00Z"),
          Roles: [
            {
              RoleName: "ecs-instance",
              RoleId: "AROA1",
              Arn: roleArn,
              Path: "/ecs/",
              CreateDate: new Date("2026-01-01T00:00:00Z"),
            },
          ],
        },
      })
      expect(yield* iam.instanceProfileRoleArns("ecs-instance")).toEqual([roleArn])
      expect(iamMock.commandCalls(GetInstanceProfileCommand).map((call) => call.args[0].input)).toEqual([
        { InstanceProfileName: "ecs-instance" },
      ])
    }),
  )

  it.effect("given a profile IAM does not know, fails with not-found naming the operation", () =>
    Effect.gen(function* () {
      iamMock
        .on(GetInstanceProfileCommand)
        .rejects(sdkError("iam", "NoSuchEntity", "Instance Profile gone cannot be found."))
      const error = yield* Effect.flip(iam.instanceProfileRoleArns("gone"))
      expect({ operation: error.operation, kind: error.kind, code: error.code }).toEqual({
        operation: "iam:GetInstanceProfile",
        kind: "not-found",
        code: "NoSuchEntity",
      })
    }),
  )
})
