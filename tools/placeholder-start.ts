/** Stand-in for `npm start` until the simulator and CLI land: says so, and exits non-zero. */
console.error("ecs-ami-deploy: the simulated rollout (`simulate`) is not built yet; `npm test` runs the checks that exist.")
process.exitCode = 1
