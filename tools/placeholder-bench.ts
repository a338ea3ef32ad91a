/** Stand-in for `npm run bench` until benchmarks exist. */
console.log("ecs-ami-deploy: no benchmarks yet.")
