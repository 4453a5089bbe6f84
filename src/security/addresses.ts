import ipaddr from 'ipaddr.js';

export type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/**
 * Parses one IP address strictly: dotted-quad IPv4 only (no "0x7f.1" or "127.1"
 * shorthands, which a forged X-Forwarded-For could use to dodge a list), IPv6
 * with optional brackets. IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes the IPv4
 * address, so one rule covers a v4 client seen through a dual-stack socket.
 */
export function parseAddress(text: string | undefined): Address | undefined {
  if (text === undefined) return undefined;
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return ipaddr.IPv4.parse(s);
  if (!s.includes(':') || !ipaddr.IPv6.isValid(s)) return undefined;
  const v6 = ipaddr.IPv6.parse(s);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/** "10.0.0.0/8", "fd00::/8", or a bare address (a /32 or /128). Throws on anything else. */
export function parseCidr(text: string): Range {
  const s = text.trim();
  const slash = s.lastIndexOf('/');
  const address = parseAddress(slash < 0 ? s : s.slice(0, slash));
  const bitsText = slash < 0 ? undefined : s.slice(slash + 1);
  if (!address) throw new Error(`"${text}" is not an IP address or CIDR range`);
  const max = address.kind() === 'ipv4' ? 32 : 128;
  if (bitsText === undefined) return [address, max];
  // A mapped v6 range parsed as v4 above keeps its v6 prefix length: move it into v4 terms.
  const mapped = address.kind() === 'ipv4' && s.slice(0, slash).includes(':');
  const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) - (mapped ? 96 : 0) : NaN;
  if (!(bits >= 0 && bits <= max)) throw new Error(`"${text}" has an invalid prefix length`);
  return [address, bits];
}

function inRange(address: Address, [base, bits]: Range): boolean {
  if (address.kind() === base.kind()) return address.match(base, bits);
  // An IPv6 range such as ::/0 or ::ffff:0:0/96 still sees v4 clients as their mapped form.
  return address.kind() === 'ipv4' && (address as ipaddr.IPv4).toIPv4MappedAddress().match(base, bits);
}

/** A list of CIDR ranges (v4 and v6) to test addresses against. */
export class CidrSet {
  private readonly ranges: Range[];

  constructor(entries: readonly string[]) {
    this.ranges = entries.map(parseCidr);
  }

  get size(): number {
    return this.ranges.length;
  }

  /** False for anything that does not parse: an unreadable address never matches. */
  contains(address: string | Address | undefined): boolean {
    const parsed = typeof address === 'string' ? parseAddress(address) : address;
    return parsed !== undefined && this.ranges.some((r) => inRange(parsed, r));
  }
}

/** Canonical text of an address (mapped IPv6 as IPv4, IPv6 compressed), or undefined when it does not parse. */
export const normalizeAddress = (text: string | undefined): string | undefined => parseAddress(text)?.toString();

export const isLoopbackAddress = (text: string | undefined): boolean => parseAddress(text)?.range() === 'loopback';

/** Whether a bind host (HEARTH_HOST) only listens on loopback: "localhost", 127.0.0.0/8, ::1. */
export const isLoopbackHost = (host: string): boolean => host.trim().toLowerCase() === 'localhost' || isLoopbackAddress(host);
