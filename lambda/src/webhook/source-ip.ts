import { BlockList, isIP } from 'node:net';

/** `address/prefix`, IPv4 or IPv6, or why the text is not one. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | string {
  const [address = '', prefixText, ...rest] = text.split('/');
  const version = isIP(address);
  if (version === 0 || prefixText === undefined || rest.length > 0) return `"${text}" is not a CIDR block (address/prefix, e.g. 192.30.252.0/22 or 2606:50c0::/32)`;
  const max = version === 4 ? 32 : 128;
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > max) return `"${text}": the prefix length must be 0–${max}`;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * The webhook's source-IP allow-list (WEBHOOK_ALLOWED_CIDRS; empty: every
 * address may send, and only the signature decides). Matches IPv4 and IPv6,
 * and an IPv4 address written IPv4-mapped (::ffff:a.b.c.d) as the IPv4 one.
 */
export class SourceAllowList {
  private readonly blocks = new BlockList();
  readonly enabled: boolean;

  /** `cidrs` must be valid CIDR blocks (config checks them with parseCidr). */
  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const parsed = parseCidr(cidr);
      if (typeof parsed === 'string') throw new Error(parsed);
      this.blocks.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
    this.enabled = cidrs.length > 0;
  }

  /** Why a request from `sourceIp` is refused, or undefined when it may be handled. */
  refusal(sourceIp: string | undefined): string | undefined {
    if (!this.enabled) return undefined;
    if (!sourceIp) return 'the source address is unknown; WEBHOOK_ALLOWED_CIDRS only admits listed addresses';
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(sourceIp)?.[1];
    const address = mapped ?? sourceIp;
    const version = isIP(address);
    if (version === 0) return `the source address "${sourceIp}" is not an IP address`;
    if (this.blocks.check(address, version === 4 ? 'ipv4' : 'ipv6')) return undefined;
    return `source address ${sourceIp} is not in WEBHOOK_ALLOWED_CIDRS`;
  }
}

const built = new WeakMap<readonly string[], SourceAllowList>();

/** The allow-list for this configuration's CIDR list, built once per cold start. */
export function sourceAllowList(cidrs: readonly string[]): SourceAllowList {
  let list = built.get(cidrs);
  if (!list) built.set(cidrs, (list = new SourceAllowList(cidrs)));
  return list;
}
