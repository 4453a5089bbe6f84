import { describe, expect, it } from 'vitest';
import { HearthError } from '../../../src/lib/errors.js';
import {
  type AddressClass,
  type Allowlist,
  type Resolver,
  checkUrl,
  classify,
  EMPTY_ALLOWLIST,
  isAllowedAddress,
  parseAllowlist,
  resolveAllowed,
} from '../../../src/net/egress/index.js';

// Pure policy: no socket is ever opened here. Host names resolve through this fake DNS only.
const FAKE_DNS: Record<string, string[]> = {
  localhost: ['127.0.0.1', '::1'],
  'metadata.google.internal': ['169.254.169.254'],
  'public.test': ['93.184.216.34'],
  'public6.test': ['2606:4700:4700::1111'],
  'rebind.test': ['93.184.216.34', '10.0.0.1'],
  'mapped.test': ['::ffff:127.0.0.1'],
  'nas.local': ['192.168.1.10'],
  'printer.lan': ['192.168.7.7'],
  'cgnat.test': ['100.100.100.100'],
  'v6local.test': ['fd00::53'],
  'garbage.test': ['not-an-ip'],
  'empty.test': [],
};

function fakeResolver(calls: string[] = []): Resolver {
  return async (hostname) => {
    calls.push(hostname);
    const answers = FAKE_DNS[hostname.toLowerCase().replace(/\.$/, '')];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

interface Row {
  url: string;
  allowed: boolean;
  /** Expected class of the (single) address the host is, when it is a literal. */
  cls?: AddressClass;
  allowlist?: string[];
  ports?: number[];
}

async function vet(row: Row, calls: string[] = []): Promise<{ allowed: boolean; error?: HearthError; hostname?: string }> {
  const allowlist: Allowlist = row.allowlist ? parseAllowlist(row.allowlist) : EMPTY_ALLOWLIST;
  try {
    const url = checkUrl(row.url, { ports: row.ports });
    await resolveAllowed(url.hostname, { allowlist, resolver: fakeResolver(calls) });
    return { allowed: true, hostname: url.hostname };
  } catch (error) {
    if (!(error instanceof HearthError)) throw error;
    return { allowed: false, error };
  }
}

const TABLE: Row[] = [
  // IPv4 literals
  { url: 'http://8.8.8.8/', allowed: true, cls: 'global' },
  { url: 'https://1.1.1.1/x.png', allowed: true, cls: 'global' },
  { url: 'http://127.0.0.1/', allowed: false, cls: 'loopback' },
  { url: 'http://127.255.255.254:8080/', allowed: false, cls: 'loopback' },
  { url: 'http://10.0.0.1/', allowed: false, cls: 'private' },
  { url: 'http://172.16.0.1/', allowed: false, cls: 'private' },
  { url: 'http://172.31.255.255/', allowed: false, cls: 'private' },
  { url: 'http://172.32.0.1/', allowed: true, cls: 'global' },
  { url: 'http://192.168.1.1/', allowed: false, cls: 'private' },
  { url: 'http://169.254.169.254/latest/meta-data/', allowed: false, cls: 'linkLocal' },
  { url: 'http://100.64.0.1/', allowed: false, cls: 'carrierGradeNat' },
  { url: 'http://100.127.255.255/', allowed: false, cls: 'carrierGradeNat' },
  { url: 'http://100.128.0.1/', allowed: true, cls: 'global' },
  { url: 'http://0.0.0.0:8000/', allowed: false, cls: 'unspecified' },
  { url: 'http://0/', allowed: false, cls: 'unspecified' },
  { url: 'http://224.0.0.1/', allowed: false, cls: 'multicast' },
  { url: 'http://239.255.255.250/', allowed: false, cls: 'multicast' },
  { url: 'http://255.255.255.255/', allowed: false, cls: 'broadcast' },
  { url: 'http://240.0.0.1/', allowed: false, cls: 'reserved' },
  { url: 'http://192.0.2.1/', allowed: false, cls: 'documentation' },
  { url: 'http://198.51.100.7/', allowed: false, cls: 'documentation' },
  { url: 'http://203.0.113.9/', allowed: false, cls: 'documentation' },
  { url: 'http://198.18.0.1/', allowed: false, cls: 'benchmarking' },
  { url: 'http://198.19.255.255/', allowed: false, cls: 'benchmarking' },
  { url: 'http://192.0.0.8/', allowed: false, cls: 'ietfProtocol' },
  { url: 'http://192.88.99.1/', allowed: false, cls: 'transition' },
  // Numeric host spellings: the WHATWG parser canonicalises them before the policy sees them.
  { url: 'http://2130706433/', allowed: false, cls: 'loopback' },
  { url: 'http://0x7f.1/', allowed: false, cls: 'loopback' },
  { url: 'http://0177.0.0.1/', allowed: false, cls: 'loopback' },
  { url: 'http://127.1/', allowed: false, cls: 'loopback' },
  { url: 'http://0x7f000001/', allowed: false, cls: 'loopback' },
  { url: 'http://3232235777/', allowed: false, cls: 'private' },
  { url: 'http://0xa9.0xfe.0xa9.0xfe/', allowed: false, cls: 'linkLocal' },
  // IPv6 literals
  { url: 'http://[::1]/', allowed: false, cls: 'loopback' },
  { url: 'http://[::]/', allowed: false, cls: 'unspecified' },
  { url: 'http://[0:0:0:0:0:0:0:1]:9000/', allowed: false, cls: 'loopback' },
  { url: 'http://[fe80::1]/', allowed: false, cls: 'linkLocal' },
  { url: 'http://[febf:ffff::1]/', allowed: false, cls: 'linkLocal' },
  { url: 'http://[fc00::1]/', allowed: false, cls: 'uniqueLocal' },
  { url: 'http://[fd12:3456::1]/', allowed: false, cls: 'uniqueLocal' },
  { url: 'http://[fec0::1]/', allowed: false, cls: 'siteLocal' },
  { url: 'http://[ff02::1]/', allowed: false, cls: 'multicast' },
  { url: 'http://[100::1]/', allowed: false, cls: 'discard' },
  { url: 'http://[2001:db8::1]/', allowed: false, cls: 'documentation' },
  { url: 'http://[2001:2::1]/', allowed: false, cls: 'benchmarking' },
  { url: 'http://[2606:4700:4700::1111]/', allowed: true, cls: 'global' },
  { url: 'http://[4000::1]/', allowed: false, cls: 'reserved' },
  // IPv6 forms that embed IPv4: classified by the embedded address
  { url: 'http://[::ffff:127.0.0.1]/', allowed: false, cls: 'loopback' },
  { url: 'http://[::ffff:7f00:1]/', allowed: false, cls: 'loopback' },
  { url: 'http://[::ffff:169.254.169.254]/', allowed: false, cls: 'linkLocal' },
  { url: 'http://[::ffff:10.1.2.3]/', allowed: false, cls: 'private' },
  { url: 'http://[::ffff:8.8.8.8]/', allowed: true, cls: 'global' },
  { url: 'http://[::127.0.0.1]/', allowed: false, cls: 'loopback' },
  { url: 'http://[::8.8.8.8]/', allowed: false, cls: 'transition' },
  { url: 'http://[::ffff:0:127.0.0.1]/', allowed: false, cls: 'loopback' },
  { url: 'http://[64:ff9b::127.0.0.1]/', allowed: false, cls: 'loopback' },
  { url: 'http://[64:ff9b::a9fe:a9fe]/', allowed: false, cls: 'linkLocal' },
  { url: 'http://[64:ff9b::8.8.8.8]/', allowed: true, cls: 'global' },
  { url: 'http://[64:ff9b:1::a00:1]/', allowed: false, cls: 'private' },
  { url: 'http://[64:ff9b:1::808:808]/', allowed: false, cls: 'nat64Local' },
  { url: 'http://[2002:7f00:1::1]/', allowed: false, cls: 'loopback' },
  { url: 'http://[2002:c0a8:101::1]/', allowed: false, cls: 'private' },
  { url: 'http://[2002:808:808::1]/', allowed: false, cls: 'transition' },
  { url: 'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', allowed: false, cls: 'loopback' },
  { url: 'http://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/', allowed: false, cls: 'transition' },
  // Host names through the fake resolver
  { url: 'http://localhost/', allowed: false },
  { url: 'http://LOCALHOST./', allowed: false },
  { url: 'http://localhost.:8000/', allowed: false },
  { url: 'http://metadata.google.internal/computeMetadata/v1/', allowed: false },
  { url: 'http://public.test/cat.png', allowed: true },
  { url: 'http://public.test./cat.png', allowed: true },
  { url: 'http://public6.test/', allowed: true },
  { url: 'http://rebind.test/', allowed: false },
  { url: 'http://mapped.test/', allowed: false },
  { url: 'http://cgnat.test/', allowed: false },
  { url: 'http://v6local.test/', allowed: false },
  { url: 'http://garbage.test/', allowed: false },
  { url: 'http://empty.test/', allowed: false },
  { url: 'http://nxdomain.test/', allowed: false },
  // Schemes, case, userinfo, fragments
  { url: 'HTTP://8.8.8.8/', allowed: true },
  { url: 'HtTpS://PUBLIC.TEST/', allowed: true },
  { url: 'file:///etc/passwd', allowed: false },
  { url: 'file://localhost/etc/passwd', allowed: false },
  { url: 'gopher://127.0.0.1:6379/_INFO', allowed: false },
  { url: 'ftp://8.8.8.8/', allowed: false },
  { url: 'data:text/plain,hello', allowed: false },
  { url: 'javascript:alert(1)', allowed: false },
  { url: 'ws://8.8.8.8/', allowed: false },
  { url: 'http://allowed@127.0.0.1/', allowed: false },
  { url: 'http://user:pass@8.8.8.8/', allowed: false },
  { url: 'http://8.8.8.8@127.0.0.1/', allowed: false },
  { url: 'http://127.0.0.1#@8.8.8.8/', allowed: false, cls: 'loopback' },
  { url: 'http://127.0.0.1\\@8.8.8.8/', allowed: false },
  // Ports
  { url: 'http://8.8.8.8:6379/', allowed: false, ports: [80, 443] },
  { url: 'http://8.8.8.8/', allowed: true, ports: [80, 443] },
  { url: 'https://8.8.8.8:443/', allowed: true, ports: [443] },
  // The allowlist opts LAN targets in
  { url: 'http://192.168.1.20/', allowed: true, allowlist: ['192.168.1.0/24'] },
  { url: 'http://192.168.2.20/', allowed: false, allowlist: ['192.168.1.0/24'] },
  { url: 'http://[::ffff:192.168.1.20]/', allowed: true, allowlist: ['192.168.1.0/24'] },
  { url: 'http://nas.local/', allowed: true, allowlist: ['nas.local'] },
  { url: 'http://NAS.LOCAL./', allowed: true, allowlist: ['nas.local'] },
  { url: 'http://printer.lan/', allowed: true, allowlist: ['*.lan'] },
  { url: 'http://printer.lan/', allowed: false, allowlist: ['nas.local'] },
  { url: 'http://[fd00::53]/', allowed: true, allowlist: ['fd00::/8'] },
  { url: 'http://127.0.0.1/', allowed: true, allowlist: ['127.0.0.1'] },
  { url: 'http://127.0.0.2/', allowed: false, allowlist: ['127.0.0.1'] },
];

describe('egress policy table', () => {
  it('has at least 40 targets', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40);
  });

  it.each(TABLE)('$url → allowed=$allowed', async (row) => {
    const calls: string[] = [];
    const result = await vet(row, calls);
    expect(result.allowed).toBe(row.allowed);
    if (!result.allowed) {
      expect(['url_not_allowed', 'invalid_request']).toContain(result.error!.code);
      // The client message never carries what the name resolved to.
      for (const answers of Object.values(FAKE_DNS)) for (const a of answers) expect(result.error!.message).not.toContain(a);
    }
    if (row.cls) {
      const host = new URL(row.url).hostname;
      expect(classify(host.replace(/^\[|\]$/g, '')).class).toBe(row.cls);
      expect(calls).toEqual([]); // literals never touch DNS
    }
  });
});

describe('classify', () => {
  it('names the embedded IPv4 of IPv6 transition forms', () => {
    expect(classify('::ffff:7f00:1')).toMatchObject({ family: 6, class: 'loopback', via: 'ipv4Mapped', embedded: '127.0.0.1' });
    expect(classify('64:ff9b::a9fe:a9fe')).toMatchObject({ via: 'nat64', embedded: '169.254.169.254', class: 'linkLocal' });
    expect(classify('2002:a00:1::')).toMatchObject({ via: '6to4', embedded: '10.0.0.1', class: 'private' });
    expect(classify('2001:0:4136:e378:8000:63bf:80ff:fffe')).toMatchObject({ via: 'teredo', embedded: '127.0.0.1' });
  });

  it('refuses non-canonical or non-IP strings as invalid', () => {
    for (const s of ['0x7f.1', '127.1', '2130706433', '', 'localhost', '1.2.3.4.5', '::ffff:1.2.3']) {
      expect(classify(s).class).toBe('invalid');
      expect(isAllowedAddress(s)).toBe(false);
    }
  });

  it('allows global unicast and allowlisted ranges only', () => {
    expect(isAllowedAddress('93.184.216.34')).toBe(true);
    expect(isAllowedAddress('10.1.2.3')).toBe(false);
    expect(isAllowedAddress('10.1.2.3', parseAllowlist(['10.0.0.0/8']))).toBe(true);
    expect(isAllowedAddress('::ffff:10.1.2.3', parseAllowlist(['10.0.0.0/8']))).toBe(true);
    expect(isAllowedAddress('fe80::1', parseAllowlist(['10.0.0.0/8']))).toBe(false);
  });
});

describe('parseAllowlist', () => {
  it('parses CIDRs, addresses, hosts and suffixes', () => {
    const list = parseAllowlist(['192.168.1.0/24', '10.0.0.5', '[fd00::]/8', '::1', 'nas.local', 'NAS2.Local.', '*.lan', '.home.arpa', ' ']);
    expect(list.cidrs).toHaveLength(4);
    expect([...list.hosts]).toEqual(['nas.local', 'nas2.local']);
    expect(list.suffixes).toEqual(['.lan', '.home.arpa']);
  });

  it.each(['192.168.1.0/33', '::/129', '10.0.0.0/8/8', 'not a host', 'http://nas.local', '0x7f.1', '127.1', 'a..b', '-bad.example'])(
    'rejects %s',
    (entry) => {
      expect(() => parseAllowlist([entry])).toThrow(/entry|CIDR|prefix|host/);
    },
  );
});

describe('checkUrl', () => {
  it('refuses userinfo rather than stripping it', () => {
    expect(() => checkUrl('http://allowed@127.0.0.1/')).toThrow(/credentials/);
  });
  it('drops the fragment and keeps the canonical host', () => {
    const url = checkUrl('HTTP://0x7f.1:80/a?b#frag');
    expect(url.href).toBe('http://127.0.0.1/a?b');
  });
  it('answers invalid_request for a string that is not a URL', () => {
    expect(() => checkUrl('http://')).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});
