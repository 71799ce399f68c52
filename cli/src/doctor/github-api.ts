import { createSign } from 'node:crypto';
import type { GitHubAuth } from '@runner-fleet/lambda/github-auth';

/** A GitHub answer: status and parsed JSON body. */
export interface GitHubAnswer<T = unknown> {
  status: number;
  body: T;
}

/**
 * The few GitHub REST reads the doctor makes, with the fleet's own credential: a PAT as is,
 * a GitHub App through an installation token (JWT → installation → access token), as the Lambda
 * authenticates. `permissions` is what GitHub granted the App's token (undefined for a PAT).
 */
export interface GitHubApi {
  kind: GitHubAuth['kind'];
  permissions?: Record<string, string>;
  get<T = unknown>(path: string): Promise<GitHubAnswer<T>>;
}

export class GitHubError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'GitHubError';
  }
}

/** No answer from GitHub at all (DNS, connection, timeout): a finding of the check that needed it. */
export class GitHubUnreachable extends Error {
  override readonly name = 'GitHubUnreachable';
}

async function request<T>(baseUrl: string, method: string, path: string, authorization: string): Promise<GitHubAnswer<T>> {
  const url = `${baseUrl.replace(/\/$/, '')}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { accept: 'application/vnd.github+json', authorization, 'x-github-api-version': '2022-11-28', 'user-agent': 'aws-runner-fleet-doctor' },
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    // fetch says only "fetch failed": the cause (ENOTFOUND, ECONNREFUSED, a timeout) is what an operator can act on.
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new GitHubUnreachable(`could not reach GitHub at ${new URL(url).origin} (${cause?.code ?? cause?.message ?? (error as Error).message})`);
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the text for the message.
  }
  return { status: response.status, body: body as T };
}

/** An RS256 JWT for a GitHub App (iat backdated a minute for clock drift, 9 minutes valid). */
export function appJwt(appId: string, privateKey: string, now = Date.now()): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const seconds = Math.floor(now / 1000);
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat: seconds - 60, exp: seconds + 540, iss: appId })}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url');
  return `${unsigned}.${signature}`;
}

/** Builds the client; throws GitHubError when the credential itself is refused. */
export async function connectGitHub(auth: GitHubAuth, baseUrl: string, repo: string): Promise<GitHubApi> {
  if (auth.kind === 'pat') {
    return { kind: 'pat', get: (path) => request(baseUrl, 'GET', path, `token ${auth.token}`) };
  }
  const jwt = `Bearer ${appJwt(auth.appId, auth.privateKey)}`;
  let installationId = auth.installationId;
  if (installationId === undefined) {
    const found = await request<{ id?: number; message?: string }>(baseUrl, 'GET', `/repos/${repo}/installation`, jwt);
    if (found.status !== 200 || typeof found.body?.id !== 'number') throw new GitHubError(`the GitHub App is not installed on ${repo} (GET /repos/${repo}/installation answered ${found.status} ${found.body?.message ?? ''})`.trim(), found.status);
    installationId = found.body.id;
  }
  const token = await request<{ token?: string; permissions?: Record<string, string>; message?: string }>(baseUrl, 'POST', `/app/installations/${installationId}/access_tokens`, jwt);
  if (token.status !== 201 || !token.body?.token) throw new GitHubError(`GitHub refused an installation token for installation ${installationId} (${token.status} ${token.body?.message ?? ''})`.trim(), token.status);
  const bearer = `token ${token.body.token}`;
  return { kind: 'app', permissions: token.body.permissions ?? {}, get: (path) => request(baseUrl, 'GET', path, bearer) };
}
