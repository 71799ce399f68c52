/** What GITHUB_AUTH_PARAM holds: a PAT, or a GitHub App as JSON. */
export type GitHubAuth =
  | { kind: 'pat'; token: string }
  | { kind: 'app'; appId: string; privateKey: string; installationId?: number };

/**
 * A value that starts with `{` is a GitHub App:
 * `{"appId":123,"privateKey":"-----BEGIN …","installationId":456}`
 * (installationId optional: then the webhook's, or the repository's installation).
 * Anything else is a personal access token.
 */
export function parseGitHubAuth(value: string): GitHubAuth {
  const trimmed = value.trim();
  if (!trimmed.startsWith('{')) {
    if (!trimmed || /\s/.test(trimmed)) throw new Error('GitHub auth parameter: a token must be one word with no spaces');
    return { kind: 'pat', token: trimmed };
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(trimmed) as Record<string, unknown>;
  } catch {
    throw new Error('GitHub auth parameter: starts with "{" but is not valid JSON');
  }
  const problems: string[] = [];
  const appId = raw.appId ?? raw.app_id;
  const privateKey = raw.privateKey ?? raw.private_key;
  const installationId = raw.installationId ?? raw.installation_id;
  if (!(typeof appId === 'number' || (typeof appId === 'string' && /^\d+$/.test(appId)))) problems.push('appId must be a number');
  if (typeof privateKey !== 'string' || !privateKey.includes('PRIVATE KEY')) problems.push('privateKey must be a PEM private key');
  if (installationId !== undefined && installationId !== null && !Number.isSafeInteger(installationId)) problems.push('installationId must be a number');
  if (problems.length) throw new Error(`GitHub auth parameter: ${problems.join('; ')}`);
  return {
    kind: 'app',
    appId: String(appId),
    privateKey: privateKey as string,
    installationId: typeof installationId === 'number' ? installationId : undefined,
  };
}
