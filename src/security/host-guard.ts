import { isLoopbackAddress } from './addresses.js';

/** The name part of a Host header, lowercased, without port or trailing dot; undefined when it is malformed. */
export function hostName(header: string): string | undefined {
  const h = header.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[^\s:[\]/@]+)(?::(\d{1,5}))?$/.exec(h);
  if (!m) return undefined;
  return m[1]!.replace(/\.$/, '');
}

/**
 * DNS-rebinding guard for a server bound to loopback: a page on evil.example
 * that re-points its DNS name at 127.0.0.1 reaches the server with
 * "Host: evil.example", so only names that cannot be rebound pass — localhost,
 * loopback IP literals (any 127/8 address, [::1]) — plus the operator's list
 * ("*" in that list turns the guard off). A request without a Host header
 * (HTTP/1.0) did not come from a browser and passes.
 */
export function isAllowedHost(header: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (header === undefined || header === '') return true;
  if (allowed.has('*')) return true;
  const name = hostName(header);
  if (name === undefined) return false;
  if (name === 'localhost' || allowed.has(name)) return true;
  return isLoopbackAddress(name);
}
