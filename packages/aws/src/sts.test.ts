import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts"
import { it } from "@effect/vitest"
import { Identity } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import { mockClient } from "aws-sdk-client-mock"
import { beforeEach, describe, expect } from "vitest"
import { sdkError } from "../test/sdk-error.ts"
import { IdentityLive, makeIdentity, makeRoleAssumer } from "./sts.ts"

const stsMock = mockClient(STSClient)

beforeEach(() => {
  stsMock.reset()
})

describe("callerIdentity", () => {
  it.effect("returns the account and ARN STS names, and the Region the client is configured for", () =>
    Effect.gen(function* () {
      stsMock.on(GetCallerIdentityCommand).resolves({
        Account: "210987654321",
        Arn: "arn:aws:sts::210987654321:assumed-role/deployer/alice",
        UserId: "AROA:alice",
      })
      const identity = makeIdentity(new STSClient({ region: "eu-west-1" }))
      expect(yield* identity.callerIdentity).toEqual({
        accountId: "210987654321",
        arn: "arn:aws:sts::210987654321:assumed-role/deployer/alice",
        region: "eu-west-1",
      })
    }),
  )

  it.effect("given expired credentials, fails with access-denied naming the operation", () =>
    Effect.gen(function* () {
      stsMock
        .on(GetCallerIdentityCommand)
        .rejects(sdkError("sts", "ExpiredToken", "The security token included in the request is expired"))
      const error = yield* Effect.flip(makeIdentity(new STSClient({ region: "eu-west-1" })).callerIdentity)
      expect({ operation: error.operation, kind: error.kind, code: error.code }).toEqual({
        operation: "sts:GetCallerIdentity",
        kind: "access-denied",
        code: "ExpiredToken",
      })
    }),
  )

  it.effect("live, asks STS once however often the identity is read", () =>
    Effect.gen(function* () {
      stsMock
        .on(GetCallerIdentityCommand)
        .resolves({ Account: "210987654321", Arn: "arn:aws:iam::210987654321:user/bob" })
      const regions = yield* Effect.gen(function* () {
        const identity = yield* Identity
        const first = yield* identity.callerIdentity
        const second = yield* identity.callerIdentity
        return [first.region, second.region]
      }).pipe(Effect.provide(IdentityLive({ region: "ap-southeast-2" })))
      expect(regions).toEqual(["ap-southeast-2", "ap-southeast-2"])
      expect(stsMock.commandCalls(GetCallerIdentityCommand)).toHaveLength(1)
    }),
  )
})

describe("assumeRole", () => {
  it.effect("returns the role's temporary credentials, asking STS with the role and session name", () =>
    Effect.gen(function* () {
      const expiration = new Date("2026-12-04T10:00:00Z")
      stsMock.on(AssumeRoleCommand).resolves({
        Credentials: {
          AccessKeyId: "ASIA1",
          SecretAccessKey: "secret",
          SessionToken: "token",
          Expiration: expiration,
        },
      })
      const assumer = makeRoleAssumer(new STSClient({ region: "eu-west-1" }))
      const roleArn = "arn:aws:iam::222222222222:role/ecs-ami-deploy-rollout"
      expect(yield* assumer.assumeRole({ roleArn, sessionName: "fleet-platform" })).toEqual({
        accessKeyId: "ASIA1",
        secretAccessKey: "secret",
        sessionToken: "token",
        expiresAt: expiration.getTime(),
      })
      expect(stsMock.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toEqual({
        RoleArn: roleArn,
        RoleSessionName: "fleet-platform",
      })
    }),
  )

  it.effect("given a role the caller may not assume, fails with access-denied naming sts:AssumeRole", () =>
    Effect.gen(function* () {
      stsMock
        .on(AssumeRoleCommand)
        .rejects(sdkError("sts", "AccessDenied", "User is not authorized to perform: sts:AssumeRole"))
      const error = yield* Effect.flip(
        makeRoleAssumer(new STSClient({ region: "eu-west-1" })).assumeRole({
          roleArn: "arn:aws:iam::222222222222:role/x",
          sessionName: "s",
        }),
      )
      expect({ operation: error.operation, kind: error.kind }).toEqual({
        operation: "sts:AssumeRole",
        kind: "access-denied",
      })
    }),
  )
})
