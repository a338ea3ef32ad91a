/**
 * The AWS target: without `--simulator` the commands run on the AWS SDK with the Region and profile
 * the flags name. The SDK clients are mocked (aws-sdk-client-mock), so nothing leaves the machine.
 */
import { DescribeImagesCommand, EC2Client } from "@aws-sdk/client-ec2"
import { ECSClient, ListClustersCommand } from "@aws-sdk/client-ecs"
import { mockClient } from "aws-sdk-client-mock"
import { afterEach, describe, expect, it } from "vitest"
import { ExitCode } from "../src/failure.ts"
import { runInProcess, tempDir } from "./support.ts"

const ec2 = mockClient(EC2Client)
const ecs = mockClient(ECSClient)
// Static credentials keep the SDK away from the machine's profiles and instance metadata.
const credentials = { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret" }

afterEach(() => {
  ec2.reset()
  ecs.reset()
})

describe("the AWS target", () => {
  it("latest-ami asks EC2 in the Region given for Amazon's images matching the filter, and prints the newest", async () => {
    ec2.on(DescribeImagesCommand).resolves({
      Images: [
        {
          ImageId: "ami-0000000000000aaa1",
          Name: "al2023-ami-ecs-hvm-2023.0.20260101-kernel-6.1-x86_64",
          OwnerId: "591542846629",
          CreationDate: "2026-01-01T00:00:00.000Z",
          Architecture: "x86_64",
          State: "available",
        },
        {
          ImageId: "ami-0000000000000aaa2",
          Name: "al2023-ami-ecs-hvm-2023.0.20261101-kernel-6.1-x86_64",
          OwnerId: "591542846629",
          CreationDate: "2026-11-01T00:00:00.000Z",
          Architecture: "x86_64",
          State: "available",
        },
      ],
    })
    const previous = { ...process.env }
    Object.assign(process.env, credentials)
    try {
      const run = await runInProcess(["latest-ami", "-r", "eu-west-3"], { cwd: tempDir("aws-latest") })
      expect(run.stderr).toBe("")
      expect(run.code).toBe(ExitCode.success)
      expect(run.stdout).toMatch(/^ami-0000000000000aaa2 {2}al2023-ami-ecs-hvm-2023\.0\.20261101/)
      const call = ec2.commandCalls(DescribeImagesCommand)[0]
      expect(call?.args[0].input.Owners).toEqual(["amazon"])
      expect(call?.args[0].input.Filters).toContainEqual({
        Name: "name",
        Values: ["al2023-ami-ecs-hvm-*-x86_64"],
      })
      expect(await (call?.thisValue as EC2Client | undefined)?.config.region()).toBe("eu-west-3")
    } finally {
      process.env = previous
    }
  })

  it("list-clusters says so when the account has no cluster in the Region", async () => {
    ecs.on(ListClustersCommand).resolves({ clusterArns: [] })
    const previous = { ...process.env }
    Object.assign(process.env, credentials)
    try {
      const run = await runInProcess(["list-clusters", "--region", "ap-southeast-2"], {
        cwd: tempDir("aws-list"),
      })
      expect(run.stdout).toBe("no ECS clusters in this account and Region\n")
      expect(run.code).toBe(ExitCode.success)
      expect(
        await (ecs.commandCalls(ListClustersCommand)[0]?.thisValue as ECSClient | undefined)?.config.region(),
      ).toBe("ap-southeast-2")
    } finally {
      process.env = previous
    }
  })
})
