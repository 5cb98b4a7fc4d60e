// Node options a deployment gives the processes that run the pipeline: the
// Dockerfile's NODE_OPTIONS, which docs/operations.md ("Node options for
// the stages") recommends for every `sealwatch run` process. Benches of
// code that runs in those processes (the engine suite's child, the split
// stack's stage processes) start them with these, so they measure the code
// as it is deployed. test/unit/bench-deployed.test.ts holds the Dockerfile
// to the same list.
export const DEPLOYED_NODE_ARGS = ['--max-semi-space-size=64'];
