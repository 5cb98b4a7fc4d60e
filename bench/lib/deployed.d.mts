// Types of deployed.mjs for the TypeScript tests that import it.
export declare const DEPLOYED_NODE_ARGS: readonly string[];
