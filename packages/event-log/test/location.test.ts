/** Reading the CLI's `--event-log` value into a driver location. */
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { parseEventLogLocation } from "../src/index.ts"

describe("parseEventLogLocation", () => {
  it("reads dynamodb://TABLE as a DynamoDB table", () => {
    expect(parseEventLogLocation("dynamodb://ecs-ami-deploy-events")).toEqual(
      Result.succeed({ _tag: "DynamoDb", tableName: "ecs-ami-deploy-events" }),
    )
  })
  it("reads file:// URLs and plain paths as directories, relative ones against cwd", () => {
    expect(parseEventLogLocation("file:///var/lib/deploy", "/home/ada")).toEqual(
      Result.succeed({ _tag: "File", directory: "/var/lib/deploy" }),
    )
    expect(parseEventLogLocation("state/log", "/home/ada")).toEqual(
      Result.succeed({ _tag: "File", directory: "/home/ada/state/log" }),
    )
  })
  it("reads memory as the in-memory driver", () => {
    expect(parseEventLogLocation("memory")).toEqual(Result.succeed({ _tag: "Memory" }))
  })
  it("refuses a table name DynamoDB would refuse, other schemes and an empty value", () => {
    for (const location of ["dynamodb://ab", "dynamodb://bad/name", "s3://bucket/key", "", "file://"]) {
      const result = parseEventLogLocation(location, "/home/ada")
      expect(Result.isFailure(result) && result.failure).toMatchObject({
        _tag: "InvalidEventLogLocation",
        location,
      })
    }
  })
})
