import ipaddr from 'ipaddr.js';
import { type Allowlist, allowlistMatchesAddress } from './allowlist.js';

type IP = ipaddr.IPv4 | ipaddr.IPv6;

/** `global` is the only class a server-side fetch may reach without the allowlist. */
export type AddressClass =
  | 'global'
  | 'invalid'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'carrierGradeNat'
  | 'linkLocal'
  | 'ietfProtocol'
  | 'documentation'
  | 'benchmarking'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'uniqueLocal'
  | 'siteLocal'
  | 'discard'
  | 'nat64Local'
  | 'transition';

/** How an IPv6 address carries an IPv4 one. */
export type Embedding = 'ipv4Mapped' | 'ipv4Compatible' | 'ipv4Translated' | 'nat64' | 'nat64Local' | '6to4' | 'teredo';

export interface Classification {
  /** Normalised form (dotted quad, or RFC 5952 IPv6); the input itself when invalid. */
  address: string;
  family: 4 | 6 | null;
  class: AddressClass;
  /** Set when an IPv6 address embeds an IPv4 one: the mechanism and the embedded address. */
  via?: Embedding;
  embedded?: string;
}

const cidrs = (...list: string[]): [IP, number][] => list.map((c) => ipaddr.parseCIDR(c));

// Order matters: the first matching row names the class (broadcast before reserved 240/4).
const V4_TABLE: [AddressClass, [IP, number][]][] = [
  ['unspecified', cidrs('0.0.0.0/8')],
  ['loopback', cidrs('127.0.0.0/8')],
  ['private', cidrs('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16')],
  ['carrierGradeNat', cidrs('100.64.0.0/10')],
  ['linkLocal', cidrs('169.254.0.0/16')],
  ['documentation', cidrs('192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24')],
  ['ietfProtocol', cidrs('192.0.0.0/24')],
  ['benchmarking', cidrs('198.18.0.0/15')],
  // 6to4 relay anycast (RFC 7526 deprecated it): nothing worth fetching lives there.
  ['transition', cidrs('192.88.99.0/24')],
  ['multicast', cidrs('224.0.0.0/4')],
  ['broadcast', cidrs('255.255.255.255/32')],
  ['reserved', cidrs('240.0.0.0/4')],
];

const V6_TABLE: [AddressClass, [IP, number][]][] = [
  ['unspecified', cidrs('::/128')],
  ['loopback', cidrs('::1/128')],
  ['discard', cidrs('100::/64')],
  ['documentation', cidrs('2001:db8::/32', '3fff::/20')],
  ['benchmarking', cidrs('2001:2::/48')],
  // IETF protocol assignments (ORCHID, AMT, AS112…): not hosts a client names for an image.
  ['ietfProtocol', cidrs('2001::/23')],
  ['uniqueLocal', cidrs('fc00::/7')],
  ['linkLocal', cidrs('fe80::/10')],
  ['siteLocal', cidrs('fec0::/10')],
  ['multicast', cidrs('ff00::/8')],
];

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

// Embedded-IPv4 forms, tested before the table. `use` says whether the form can reach a
// public host: mapped addresses and the well-known NAT64 prefix do (an IPv6-only host with
// DNS64 reaches the IPv4 internet that way); the rest are deprecated or local-only.
const EMBEDDINGS: { via: Embedding; range: [IP, number]; use: boolean; v4: (w: number[]) => number[] }[] = [
  { via: 'ipv4Mapped', range: ipaddr.parseCIDR('::ffff:0:0/96'), use: true, v4: low32 },
  { via: 'ipv4Translated', range: ipaddr.parseCIDR('::ffff:0:0:0/96'), use: false, v4: low32 },
  { via: 'nat64', range: ipaddr.parseCIDR('64:ff9b::/96'), use: true, v4: low32 },
  { via: 'nat64Local', range: ipaddr.parseCIDR('64:ff9b:1::/48'), use: false, v4: low32 },
  { via: '6to4', range: ipaddr.parseCIDR('2002::/16'), use: false, v4: (w) => bytes(w[1]!, w[2]!) },
  // Teredo stores the client's IPv4 inverted in the last 32 bits.
  { via: 'teredo', range: ipaddr.parseCIDR('2001::/32'), use: false, v4: (w) => bytes(~w[6]! & 0xffff, ~w[7]! & 0xffff) },
  // ::a.b.c.d (deprecated by RFC 4291); :: and ::1 are matched by the table first.
  { via: 'ipv4Compatible', range: ipaddr.parseCIDR('::/96'), use: false, v4: low32 },
];

function low32(words: number[]): number[] {
  return bytes(words[6]!, words[7]!);
}
function bytes(hi: number, lo: number): number[] {
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
}

function parseStrict(ip: string): IP | null {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  // Only canonical forms: DNS answers and WHATWG-normalised hosts are already canonical, so
  // anything else (0x7f.1, 2130706433) reaching here is a bug upstream and is refused.
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare);
  if (ipaddr.IPv6.isValid(bare)) return ipaddr.IPv6.parse(bare);
  return null;
}

function tableClass(ip: IP, table: [AddressClass, [IP, number][]][]): AddressClass | null {
  for (const [name, ranges] of table) {
    if (ranges.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits))) return name;
  }
  return null;
}

function classifyV4(ip: ipaddr.IPv4): AddressClass {
  return tableClass(ip, V4_TABLE) ?? 'global';
}

/** Classifies one IP address literal; never throws. Not-an-IP is `invalid`. */
export function classify(ip: string): Classification {
  const parsed = parseStrict(ip.trim());
  if (!parsed) return { address: ip, family: null, class: 'invalid' };
  if (parsed.kind() === 'ipv4') {
    const v4 = parsed as ipaddr.IPv4;
    return { address: v4.toString(), family: 4, class: classifyV4(v4) };
  }
  const v6 = parsed as ipaddr.IPv6;
  const address = v6.toRFC5952String();
  const fixed = tableClass(v6, V6_TABLE.slice(0, 2));
  if (fixed) return { address, family: 6, class: fixed };
  for (const form of EMBEDDINGS) {
    if (!v6.match(form.range)) continue;
    const embedded = new ipaddr.IPv4(form.v4(v6.parts));
    const inner = classifyV4(embedded);
    // A deprecated form is refused even around a public IPv4, but named by its inner class when that is worse.
    const cls: AddressClass = inner !== 'global' ? inner : form.use ? 'global' : form.via === 'nat64Local' ? 'nat64Local' : 'transition';
    return { address, family: 6, class: cls, via: form.via, embedded: embedded.toString() };
  }
  const named = tableClass(v6, V6_TABLE);
  if (named) return { address, family: 6, class: named };
  return { address, family: 6, class: v6.match(GLOBAL_UNICAST_V6) ? 'global' : 'reserved' };
}

/** True when a fetch may connect to `ip`: globally routable, or inside an allowlisted CIDR. */
export function isAllowedAddress(ip: string, allowlist?: Allowlist): boolean {
  const c = classify(ip);
  if (c.class === 'invalid') return false;
  if (c.class === 'global') return true;
  return allowlist !== undefined && allowlistMatchesAddress(allowlist, c);
}
