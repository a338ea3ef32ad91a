import { ECSClient, ListClustersCommand } from "@aws-sdk/client-ecs"
import { DescribeInstancesCommand, type EC2Client } from "@aws-sdk/client-ec2"
import { afterEach, describe, expect, it, vi } from "vitest"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { makeEc2Client, makeEcsClient, sdkMaxAttempts } from "./config.ts"

/** Stops a request once the SDK has resolved its endpoint and signed it, and reports the URL it would have called. */
const urlRequestedBy = async (
  client: ECSClient | EC2Client,
  send: () => Promise<unknown>,
): Promise<string> => {
  let url = ""
  const captured = new Error("request captured before sending")
  const captureUrl = (_next: unknown) => (args: { readonly request: unknown }) => {
    const request = args.request as { protocol: string; hostname: string; port?: number; path: string }
    url = `${request.protocol}//${request.hostname}${request.port === undefined ? "" : `:${request.port}`}${request.path}`
    return Promise.reject(captured)
  }
  const options = { step: "finalizeRequest", priority: "low", name: "captureRequestUrl" } as const
  if (client instanceof ECSClient) client.middlewareStack.add(captureUrl, options)
  else client.middlewareStack.add(captureUrl, options)
  await expect(send()).rejects.toBe(captured)
  return url
}

/** Credentials from the environment, and no shared config file or endpoint override from the machine running the tests. */
const staticCredentials = () => {
  vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "secret")
  vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
  vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
  vi.stubEnv("AWS_PROFILE", undefined)
  vi.stubEnv("AWS_ENDPOINT_URL", undefined)
  vi.stubEnv("AWS_ENDPOINT_URL_ECS", undefined)
  vi.stubEnv("AWS_ENDPOINT_URL_EC2", undefined)
}

afterEach(() => {
  vi.unstubAllEnvs()
})

/** A local server on port 0 that accepts every request and never answers it: a hung AWS call. */
const hangingServer = async (): Promise<{ readonly url: string; readonly server: Server }> => {
  const server = createServer(() => undefined)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

describe("SDK clients", () => {
  it("given a request that never gets an answer, abandons it after the request timeout instead of waiting forever", async () => {
    staticCredentials()
    const { url, server } = await hangingServer()
    try {
      vi.stubEnv("AWS_ENDPOINT_URL_ECS", url)
      const client = makeEcsClient({ region: "eu-west-1", requestTimeoutMs: 200 })
      const error = await client.send(new ListClustersCommand({})).then(
        () => undefined,
        (failure: unknown) => failure as { readonly name?: string },
      )
      // Both SDK attempts were abandoned; without a timeout the call would wait forever (past the test's own timeout).
      expect(error?.name).toBe("TimeoutError")
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it("given AWS_ENDPOINT_URL_ECS, sends ECS requests to that endpoint", async () => {
    staticCredentials()
    vi.stubEnv("AWS_ENDPOINT_URL_ECS", "http://127.0.0.1:4566")
    const client = makeEcsClient({ region: "eu-west-1" })
    expect(await urlRequestedBy(client, () => client.send(new ListClustersCommand({})))).toBe(
      "http://127.0.0.1:4566/",
    )
  })

  it("given AWS_ENDPOINT_URL, sends EC2 requests to that endpoint", async () => {
    staticCredentials()
    vi.stubEnv("AWS_ENDPOINT_URL", "http://localhost:4567")
    const client = makeEc2Client({ region: "eu-west-1" })
    expect(await urlRequestedBy(client, () => client.send(new DescribeInstancesCommand({})))).toBe(
      "http://localhost:4567/",
    )
  })

  it("without an endpoint override, sends requests to the Region's AWS endpoint", async () => {
    staticCredentials()
    const client = makeEcsClient({ region: "eu-west-1" })
    expect(await urlRequestedBy(client, () => client.send(new ListClustersCommand({})))).toBe(
      "https://ecs.eu-west-1.amazonaws.com/",
    )
  })

  it("takes the region and profile given, and keeps the SDK's own retries low", async () => {
    const client = makeEcsClient({ region: "ap-southeast-2", profile: "staging" })
    expect(await client.config.region()).toBe("ap-southeast-2")
    expect(client.config.profile).toBe("staging")
    expect(await client.config.maxAttempts()).toBe(sdkMaxAttempts)
  })

  it("calls onRequest once per HTTP request sent, each SDK retry included", async () => {
    staticCredentials()
    let answer = 200
    const server = createServer((_request, response) => {
      response.writeHead(answer, { "content-type": "application/x-amz-json-1.1" })
      response.end(
        answer === 200 ? JSON.stringify({ clusterArns: [] }) : JSON.stringify({ __type: "ServerException" }),
      )
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    try {
      vi.stubEnv("AWS_ENDPOINT_URL_ECS", `http://127.0.0.1:${(server.address() as AddressInfo).port}`)
      const requests: Array<string> = []
      const client = makeEcsClient({
        region: "eu-west-1",
        onRequest: (operation) => requests.push(operation),
      })
      await client.send(new ListClustersCommand({}))
      expect(requests).toEqual(["ListClustersCommand"])
      answer = 500
      await expect(client.send(new ListClustersCommand({}))).rejects.toBeDefined()
      expect(requests).toHaveLength(1 + sdkMaxAttempts)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})
