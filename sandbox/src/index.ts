export { startSandbox, type Sandbox, type SandboxOptions } from './sandbox.js';
export { workflowJobPayload, examplePayload, WebhookSender } from './github/webhooks.js';
export { CONTROL_PLANE_DEFAULTS, DEFAULT_WEBHOOK_SECRET } from './defaults.js';
export { runStorm, type StormOptions, type StormResult } from './storm.js';
export { maxInWindow, TokenBucket, DEFAULT_ECS_RATES, type EcsRates } from './aws/ecs.js';
export { DEFAULT_GITHUB_RATE_LIMITS, type GitHubRateLimits } from './github/github-simulator.js';
