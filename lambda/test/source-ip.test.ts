import { describe, expect, it } from '@jest/globals';
import { parseCidr, SourceAllowList } from '../src/webhook/source-ip.js';

// GitHub's /meta "hooks" ranges at the time of writing (they change: fetch them, see the README).
const GITHUB_HOOKS = ['192.30.252.0/22', '185.199.108.0/22', '140.82.112.0/20', '143.55.64.0/20', '2a0a:a440::/29', '2606:50c0::/32'];

describe('the webhook source-IP allow-list', () => {
  const list = new SourceAllowList(GITHUB_HOOKS);

  it.each(['192.30.252.1', '192.30.255.254', '140.82.115.9', '2606:50c0:8000::1', '2a0a:a447:ffff::1', '::ffff:185.199.108.10'])('admits %s, inside a listed block', (ip) => {
    expect(list.refusal(ip)).toBeUndefined();
  });

  it.each(['192.30.251.255', '192.30.0.1', '10.0.0.1', '127.0.0.1', '2606:50c1::1', '2a0a:a448::1', '::ffff:10.0.0.1', '::1'])('refuses %s, outside every listed block', (ip) => {
    expect(list.refusal(ip)).toBe(`source address ${ip} is not in WEBHOOK_ALLOWED_CIDRS`);
  });

  it('refuses a request whose source address is unknown or not an address', () => {
    expect(list.refusal(undefined)).toMatch(/source address is unknown/);
    expect(list.refusal('github.com')).toBe('the source address "github.com" is not an IP address');
  });

  it('admits every address when the list is empty (the default: only the signature decides)', () => {
    const off = new SourceAllowList([]);
    expect(off.enabled).toBe(false);
    expect(off.refusal('203.0.113.7')).toBeUndefined();
    expect(off.refusal(undefined)).toBeUndefined();
  });

  it('reads IPv4 and IPv6 CIDR blocks and says what is wrong with others', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('2606:50c0::/32')).toEqual({ address: '2606:50c0::', prefix: 32, family: 'ipv6' });
    expect(parseCidr('0.0.0.0/0')).toEqual({ address: '0.0.0.0', prefix: 0, family: 'ipv4' });
    expect(parseCidr('10.0.0.0/33')).toBe('"10.0.0.0/33": the prefix length must be 0–32');
    expect(parseCidr('::/129')).toBe('"::/129": the prefix length must be 0–128');
    expect(parseCidr('10.0.0.0/-1')).toBe('"10.0.0.0/-1": the prefix length must be 0–32');
    for (const bad of ['10.0.0.0', '10.0.0/8', '300.0.0.0/8', 'github.com/22', '10.0.0.0/8/8', '2606:50c0:::/32']) {
      expect(parseCidr(bad)).toBe(`"${bad}" is not a CIDR block (address/prefix, e.g. 192.30.252.0/22 or 2606:50c0::/32)`);
    }
  });
});
