/**
 * The GitHub REST routes the simulator answers, as OpenAPI path templates, with every status it
 * can answer each with. A test checks them against @octokit/openapi (api.github.com, GHEC, GHES).
 */
export interface SimulatedRoute {
  method: 'get' | 'post' | 'delete';
  path: string;
  statuses: number[];
  /** Request body fields the simulator reads. */
  requestFields?: string[];
}

/** Statuses GitHub answers on any route, which its descriptions leave out of most operations. */
export const GENERAL_STATUSES = {
  400: 'Problems parsing JSON',
  401: 'Bad credentials / a JWT that cannot be decoded',
  403: 'primary or secondary rate limit (GitHub answers 403 or 429 on any route)',
  429: 'primary or secondary rate limit (SANDBOX_GITHUB_RATE_LIMIT_STATUS=429)',
  404: 'Not Found (unknown id, or no access)',
  502: 'Server Error (fault injection)',
} as const;

export const SIMULATED_ROUTES: SimulatedRoute[] = [
  { method: 'get', path: '/repos/{owner}/{repo}/installation', statuses: [200, 401] },
  { method: 'post', path: '/app/installations/{installation_id}/access_tokens', statuses: [201, 401, 404] },
  { method: 'get', path: '/repos/{owner}/{repo}/actions/jobs/{job_id}', statuses: [200, 401, 404] },
  { method: 'post', path: '/repos/{owner}/{repo}/actions/runners/generate-jitconfig', statuses: [201, 400, 401, 409, 422], requestFields: ['name', 'runner_group_id', 'labels', 'work_folder'] },
  { method: 'get', path: '/repos/{owner}/{repo}/actions/runners', statuses: [200, 401] },
  { method: 'get', path: '/repos/{owner}/{repo}/actions/runners/{runner_id}', statuses: [200, 401, 404] },
  { method: 'delete', path: '/repos/{owner}/{repo}/actions/runners/{runner_id}', statuses: [204, 401, 404, 422] },
  // What ecsrunner doctor reads.
  { method: 'get', path: '/repos/{owner}/{repo}', statuses: [200, 401] },
  { method: 'get', path: '/repos/{owner}/{repo}/hooks', statuses: [200, 401, 404] },
  { method: 'get', path: '/repos/{owner}/{repo}/hooks/{hook_id}/deliveries', statuses: [200, 401, 404] },
  { method: 'get', path: '/repos/{owner}/{repo}/releases', statuses: [200, 401, 404] },
  // GitHub's own budget check (not counted against the primary limit).
  { method: 'get', path: '/rate_limit', statuses: [200, 401] },
];
