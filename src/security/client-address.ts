import { type Address, type CidrSet, parseAddress } from './addresses.js';

export interface ClientAddress {
  /** The client's address in canonical form; undefined when it cannot be known (no peer, or a garbled X-Forwarded-For hop). */
  address: string | undefined;
  /** True when the address was taken from X-Forwarded-For because the peer is a trusted proxy. */
  viaProxy: boolean;
  /** Loopback client that cannot be a forwarded request in disguise (see isDirectLoopback). */
  loopback: boolean;
}

/** One X-Forwarded-For hop: an address, optionally "[v6]:port" or "v4:port" as some proxies write it. */
function parseHop(hop: string): Address | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return parseAddress(bracketed[1]);
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(hop);
  return parseAddress(v4WithPort ? v4WithPort[1] : hop);
}

/**
 * Who the client is. The peer address counts, unless the peer is a trusted
 * proxy: then X-Forwarded-For is read from the right (each proxy appends the
 * address it saw) and the first hop that is not itself a trusted proxy is the
 * client — everything left of it was written by the client and proves nothing.
 * When every hop is trusted, the left-most one is the client. A hop that does
 * not parse stops the walk with an unknown client, which no allowlist matches.
 */
export function resolveClientAddress(peer: string | undefined, forwardedFor: string | undefined, trustedProxies: CidrSet, hasForwardingHeaders: boolean): ClientAddress {
  const peerAddress = parseAddress(peer);
  if (!peerAddress || !trustedProxies.contains(peerAddress)) {
    const address = peerAddress?.toString();
    return { address, viaProxy: false, loopback: peerAddress?.range() === 'loopback' && !hasForwardingHeaders };
  }
  const hops = (forwardedFor ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  let client: Address | undefined = peerAddress;
  for (let i = hops.length - 1; i >= 0; i--) {
    client = parseHop(hops[i]!);
    if (!client || !trustedProxies.contains(client)) break;
  }
  return { address: client?.toString(), viaProxy: hops.length > 0, loopback: client?.range() === 'loopback' };
}
