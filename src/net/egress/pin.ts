import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { normaliseHost } from './allowlist.js';
import type { PinnedHost } from './resolve.js';

export interface PinOptions {
  /** Connect, headers and idle-body timeout of this hop. */
  timeoutMs: number;
}

/** Builds the dispatcher of one hop; injected by tests to prove a refusal opened no socket. */
export type DispatcherFactory = (pin: PinnedHost, options: PinOptions) => Dispatcher;

/**
 * A one-hop agent whose sockets can only reach the vetted addresses: its lookup answers from
 * the pin instead of DNS, so a second resolution (DNS rebinding) never happens. TLS SNI and
 * certificate checks still use the URL's host name. Several addresses give happy eyeballs.
 */
export const pinnedAgent: DispatcherFactory = (pin, { timeoutMs }) => {
  const lookup = pinnedLookup(pin);
  return new Agent({
    connect: { lookup, timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connections: 1,
  });
};

/** A DNS lookup that answers only for the pinned host, from the pin (used by the agent above and the crawl proxy). */
export function pinnedLookup(pin: PinnedHost): LookupFunction {
  return (hostname, options, callback) => {
    if (normaliseHost(hostname.replace(/^\[(.*)\]$/, '$1')) !== normaliseHost(pin.hostname)) {
      callback(new Error('egress: connect to a host that was not vetted'), '', 0);
      return;
    }
    const all: LookupAddress[] = pin.addresses.map((a) => ({ address: a.address, family: a.family }));
    if (options.all) callback(null, all);
    else callback(null, all[0]!.address, all[0]!.family);
  };
}
