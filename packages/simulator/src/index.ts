/**
 * @ecs-ami-deploy/simulator: a discrete-event, virtual-time model of EC2, Auto Scaling, ECS and SSM
 * that implements the AWS ports, with scenarios, fault injection, availability metrics, API-call
 * accounting, and two reference rollout algorithms (the Go tool's, ASG instance refresh) for comparison.
 */
export { runInstanceRefreshBaseline, type BaselineOutcome, type InstanceRefreshOptions } from "./baselines.ts"
export { runGoToolBaseline, type GoToolOptions } from "./go-tool.ts"
export type { RefreshPreferences } from "./world/instance-refresh.ts"
export { withManagedDraining } from "./real-clusters.ts"
export type { ApiCallCounts, Metrics, ServiceAvailability } from "./metrics.ts"
export {
  decodeScenario,
  defaultTimings,
  Faults,
  InvalidScenario,
  Scenario,
  scenarioProblems,
  Timings,
} from "./scenario.ts"
export {
  defaultImageNameFilter,
  newImageId,
  oldImageId,
  recommendedImageIdParameter,
  recommendedParameter,
  scenarioNames,
  scenarios,
  type ScenarioName,
} from "./scenarios.ts"
export type { SimulatedPorts } from "./sim-ports.ts"
export type { CallRecord } from "./world/measurements.ts"
export {
  groupSettingsOf,
  makeSimulation,
  type Simulation,
  type SimulationOptions,
  type WorldSnapshot,
} from "./simulation.ts"
export type { InstanceCountPoint, ServiceHealthPoint } from "./records.ts"
