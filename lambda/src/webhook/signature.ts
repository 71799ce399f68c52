import { verifyWithFallback } from '@octokit/webhooks-methods';

const SIGNATURE_FORM = /^sha256=[0-9a-f]{64}$/;

/**
 * Checks X-Hub-Signature-256 against the exact delivered text with each
 * configured secret (two are valid while one is rotated). `text` must be the
 * strict UTF-8 decoding of the raw body, which re-encodes to the same bytes,
 * so the HMAC covers exactly what GitHub signed. Returns a reason when refused.
 */
export async function checkSignature(text: string, header: string | undefined, secrets: readonly string[]): Promise<string | undefined> {
  const malformed = signatureHeaderProblem(header);
  if (malformed) return malformed;
  const [first, ...others] = secrets;
  if (!first || text.length === 0) return 'signature does not match';
  return (await verifyWithFallback(first, text, header as string, others)) ? undefined : 'signature does not match';
}

/** Why the header cannot be a GitHub signature at all (checked before the body is decoded), or undefined. */
export function signatureHeaderProblem(header: string | undefined): string | undefined {
  if (!header) return 'missing X-Hub-Signature-256 header';
  if (!SIGNATURE_FORM.test(header)) return 'X-Hub-Signature-256 must be "sha256=" followed by 64 hex digits';
  return undefined;
}
