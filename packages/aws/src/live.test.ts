import { ECSClient, ListClustersCommand } from "@aws-sdk/client-ecs"
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm"
import { it } from "@effect/vitest"
import { AutoScaling, Ec2, Ecs, Ssm } from "@ecs-ami-deploy/ports"
import { Effect } from "effect"
import { mockClient } from "aws-sdk-client-mock"
import { describe, expect } from "vitest"
import { AwsLive } from "./live.ts"

const ecsMock = mockClient(ECSClient)
const ssmMock = mockClient(SSMClient)

describe("AwsLive", () => {
  it.effect("provides the four ports, each on its SDK client (the README's example)", () =>
    Effect.gen(function* () {
      ecsMock
        .on(ListClustersCommand)
        .resolves({ clusterArns: ["arn:aws:ecs:eu-west-1:123456789012:cluster/production"] })
      ssmMock.on(GetParameterCommand).resolves({ Parameter: { Name: "/p", Value: "ami-1", Version: 1 } })

      const program = Effect.gen(function* () {
        const ecs = yield* Ecs
        const ssm = yield* Ssm
        yield* Ec2
        yield* AutoScaling
        return { clusters: yield* ecs.listClusters(), parameter: (yield* ssm.getParameter("/p")).value }
      })

      expect(yield* program.pipe(Effect.provide(AwsLive({ region: "eu-west-1" })))).toEqual({
        clusters: ["production"],
        parameter: "ami-1",
      })
    }),
  )
})
