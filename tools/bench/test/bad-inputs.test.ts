/**
 * Every bad input the reliability report lists is refused — rejected with a typed error, or resolved as
 * Refused / Deferred / nothing to do — and changes nothing: the simulator's call log holds no mutating
 * call. The report's table is this list's output; a case that starts a run fails here first.
 */
import { describe, expect, it } from "vitest"
import { badInputs, badInputScenario, tryBadInput } from "../src/bad-inputs.ts"

describe("the bad inputs of the reliability report", () => {
  it.each(badInputs(badInputScenario).map((input) => [input.name, input] as const))(
    "%s: refused, with no mutating call",
    async (_name, input) => {
      const result = await tryBadInput(badInputScenario, input)
      expect({ refused: result.refused, mutatingCalls: result.mutatingCalls }, result.answer).toEqual({
        refused: true,
        mutatingCalls: 0,
      })
    },
  )
})
