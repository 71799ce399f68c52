import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';

/**
 * An `encoded_jit_config` in GitHub's format, as actions/runner's Runner.Listener reads it: the
 * base64 of a JSON object whose keys are the runner's settings files (`.runner`, `.credentials`,
 * `.credentials_rsaparams`), each value the base64 of that file. `.credentials_rsaparams` holds the
 * runner's RSA private key (d, dp, dq, exponent, inverseQ, modulus, p, q; base64 byte arrays).
 */
export interface IssuedJitConfig {
  encoded: string;
  /** Strings that only the private key contains, in the encodings a leak could take (base64, base64url, PEM). */
  privateKeyMaterial: string[];
}

/** Generating a 2048-bit key takes ~150 ms; one per simulator keeps a storm fast (the config is still unique per runner). */
let sharedKey: KeyObject | undefined;
function runnerKey(): KeyObject {
  sharedKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return sharedKey;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const fromUrl = (base64url: string) => Buffer.from(base64url, 'base64url').toString('base64');

export function issueJitConfig(runner: { id: number; name: string }, repo: string): IssuedJitConfig {
  const key = runnerKey();
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>;
  const rsaParams = {
    d: fromUrl(jwk.d!),
    dp: fromUrl(jwk.dp!),
    dq: fromUrl(jwk.dq!),
    exponent: fromUrl(jwk.e!),
    inverseQ: fromUrl(jwk.qi!),
    modulus: fromUrl(jwk.n!),
    p: fromUrl(jwk.p!),
    q: fromUrl(jwk.q!),
  };
  const settings = {
    agentId: runner.id,
    agentName: runner.name,
    poolId: 1,
    poolName: 'Default',
    serverUrl: `https://pipelines.actions.githubusercontent.com/${randomUUID()}/`,
    gitHubUrl: `https://github.com/${repo}`,
    workFolder: '_work',
    ephemeral: true,
  };
  const credentials = { scheme: 'OAuth', data: { clientId: randomUUID(), authorizationUrl: `https://token.actions.githubusercontent.com/${randomUUID()}/_apis/oauth2/token`, requireFipsCryptography: 'True' } };
  const encoded = b64(
    JSON.stringify({ '.runner': b64(JSON.stringify(settings)), '.credentials': b64(JSON.stringify(credentials)), '.credentials_rsaparams': b64(JSON.stringify(rsaParams)) }),
  );
  const pem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pemLines = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  return {
    encoded,
    privateKeyMaterial: [rsaParams.d, rsaParams.p, rsaParams.q, jwk.d!, jwk.p!, jwk.q!, ...pemLines.slice(1, 4)],
  };
}

/** The runner id a config was issued for (its `.runner` file's agentId); undefined when it is not one. */
export function runnerIdOf(encoded: string): number | undefined {
  try {
    const files = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Record<string, string>;
    const settings = JSON.parse(Buffer.from(files['.runner'] ?? '', 'base64').toString('utf8')) as { agentId?: unknown };
    return typeof settings.agentId === 'number' ? settings.agentId : undefined;
  } catch {
    return undefined;
  }
}
