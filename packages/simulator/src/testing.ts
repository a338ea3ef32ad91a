/**
 * Test-only helpers over a simulation (import from `@ecs-ami-deploy/simulator/testing`; never from
 * production code): what the call log says was changed, and scenario variants built from the library.
 */
import type { Scenario, ScenarioGroup, ScenarioService } from "./scenario.ts"
import type { CallRecord } from "./world/measurements.ts"
import type { Simulation } from "./simulation.ts"

/** Mutating calls that succeeded: empty after a run that must have changed nothing. */
export const appliedMutations = (sim: Simulation): ReadonlyArray<CallRecord> =>
  sim.callLog.filter((call) => call.mutating && call.outcome === "ok")

/** How many successful termination calls (EC2 TerminateInstances, TerminateInstanceInAutoScalingGroup) named each instance. */
export const terminationCalls = (sim: Simulation): ReadonlyMap<string, number> => {
  const counts = new Map<string, number>()
  const count = (instanceId: string) => counts.set(instanceId, (counts.get(instanceId) ?? 0) + 1)
  for (const call of appliedMutations(sim)) {
    const input = call.input as { readonly instanceId?: string; readonly instanceIds?: ReadonlyArray<string> }
    if (
      call.operation === "autoscaling:TerminateInstanceInAutoScalingGroup" &&
      input.instanceId !== undefined
    )
      count(input.instanceId)
    if (call.operation === "ec2:TerminateInstances")
      for (const instanceId of input.instanceIds ?? []) count(instanceId)
  }
  return counts
}

/** The scenario with one service's settings changed (every other service kept). */
export const withService = (
  scenario: Scenario,
  serviceName: string,
  patch: Partial<Omit<ScenarioService, "clusterName" | "name">>,
): Scenario => ({
  ...scenario,
  services: scenario.services.map((service) =>
    service.name === serviceName ? { ...service, ...patch } : service,
  ),
})

/** The scenario with only the named services. */
export const onlyServices = (scenario: Scenario, serviceNames: ReadonlyArray<string>): Scenario => ({
  ...scenario,
  services: scenario.services.filter((service) => serviceNames.includes(service.name)),
})

/** The scenario with one group's settings changed. */
export const withGroup = (
  scenario: Scenario,
  groupName: string,
  patch: Partial<Omit<ScenarioGroup, "name" | "clusterName">>,
): Scenario => ({
  ...scenario,
  groups: scenario.groups.map((group) => (group.name === groupName ? { ...group, ...patch } : group)),
})
