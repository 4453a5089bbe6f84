import ipaddr from 'ipaddr.js';

type IP = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Targets a homelab user opted in to (HEARTH_EGRESS_ALLOWLIST): CIDRs or single addresses,
 * host names (`nas.local`) and domain suffixes (`*.lan` or `.lan`, matching below the dot).
 */
export interface Allowlist {
  readonly entries: readonly string[];
  readonly cidrs: readonly (readonly [IP, number])[];
  readonly hosts: ReadonlySet<string>;
  readonly suffixes: readonly string[];
}

export const EMPTY_ALLOWLIST: Allowlist = { entries: [], cidrs: [], hosts: new Set(), suffixes: [] };

const HOST_LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

export const normaliseHost = (host: string): string => host.toLowerCase().replace(/\.$/, '');

const isCanonicalIp = (s: string): boolean => ipaddr.IPv4.isValidFourPartDecimal(s) || ipaddr.IPv6.isValid(s);

// WHATWG URL parses a host whose last label is numeric (127.1, 0x7f.1) as IPv4, so no such name exists.
const NUMERIC_LABEL = /^(0x[0-9a-f]*|\d+)$/i;

function isHostName(name: string): boolean {
  const labels = name.split('.');
  return name.length <= 253 && labels.every((label) => HOST_LABEL.test(label)) && !NUMERIC_LABEL.test(labels.at(-1)!);
}

/** Parses allowlist entries; throws an Error naming the first bad one. */
export function parseAllowlist(entries: readonly string[]): Allowlist {
  const cidrs: [IP, number][] = [];
  const hosts = new Set<string>();
  const suffixes: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry) continue;
    const [address = '', prefix, extra] = entry.replace(/^\[(.*)\]/, '$1').split('/');
    if (isCanonicalIp(address) && extra === undefined) {
      const ip = ipaddr.parse(address);
      const max = ip.kind() === 'ipv4' ? 32 : 128;
      const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
      if (!(bits >= 0 && bits <= max)) throw new Error(`"${entry}" has a bad prefix length`);
      cidrs.push([ip, bits]);
    } else if (/^\*?\./.test(entry) && isHostName(normaliseHost(entry.replace(/^\*?\./, '')))) {
      suffixes.push(`.${normaliseHost(entry.replace(/^\*?\./, ''))}`);
    } else if (isHostName(normaliseHost(entry))) {
      hosts.add(normaliseHost(entry));
    } else {
      throw new Error(`"${entry}" is neither a CIDR, an IP address nor a host name`);
    }
  }
  return { entries: entries.map((e) => e.trim()).filter(Boolean), cidrs, hosts, suffixes };
}

export function allowlistMatchesHost(allowlist: Allowlist, hostname: string): boolean {
  const host = normaliseHost(hostname);
  return allowlist.hosts.has(host) || allowlist.suffixes.some((s) => host.endsWith(s));
}

/** `address` and `embedded` as classify() gives them (canonical strings). */
export function allowlistMatchesAddress(allowlist: Allowlist, c: { address: string; embedded?: string }): boolean {
  const candidates = [c.address, c.embedded].filter((a): a is string => a !== undefined && ipaddr.isValid(a)).map((a) => ipaddr.parse(a));
  return candidates.some((ip) => allowlist.cidrs.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits)));
}
