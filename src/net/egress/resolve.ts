import { lookup } from 'node:dns/promises';
import type { Logger } from '../../lib/log.js';
import { type Allowlist, EMPTY_ALLOWLIST, allowlistMatchesAddress, allowlistMatchesHost } from './allowlist.js';
import { classify } from './policy.js';
import { notAllowed } from './url.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** hostname → every address it resolves to. Injected by tests; defaults to the system resolver. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** A host whose addresses all passed the policy: connections go to these and nothing else. */
export interface PinnedHost {
  hostname: string;
  addresses: ResolvedAddress[];
}

export interface ResolveOptions {
  allowlist?: Allowlist;
  resolver?: Resolver;
  signal?: AbortSignal;
  log?: Logger;
}

export const systemResolver: Resolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

const NOT_PUBLIC = 'the host does not resolve to a publicly routable address';

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * Resolves a URL host once and vets every answer. One disallowed address refuses the host,
 * rather than connecting to the allowed ones: a mixed answer is what DNS rebinding and
 * split-horizon leaks look like, and the outcome must not depend on answer order.
 * A resolution failure reads the same as a refusal, so probes cannot map internal names.
 */
export async function resolveAllowed(hostname: string, options: ResolveOptions = {}): Promise<PinnedHost> {
  const allowlist = options.allowlist ?? EMPTY_ALLOWLIST;
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const literal = classify(bare);
  const hostAllowed = allowlistMatchesHost(allowlist, bare);
  let answers: ResolvedAddress[];
  if (literal.class !== 'invalid') {
    answers = [{ address: literal.address, family: literal.family === 6 ? 6 : 4 }];
  } else {
    try {
      const pending = (options.resolver ?? systemResolver)(bare);
      answers = await (options.signal ? Promise.race([pending, rejectOnAbort(options.signal)]) : pending);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      options.log?.debug({ host: bare, err: (error as Error).message }, 'egress: resolution failed');
      throw notAllowed(NOT_PUBLIC);
    }
  }
  const vetted = answers.map((a) => classify(a.address));
  const refused = vetted.filter(
    (c) => c.class === 'invalid' || (c.class !== 'global' && !hostAllowed && !allowlistMatchesAddress(allowlist, c)),
  );
  if (vetted.length === 0 || refused.length > 0) {
    options.log?.debug({ host: bare, addresses: answers.map((a) => a.address), refused: refused.map((c) => c.address) }, 'egress: refused');
    throw notAllowed(NOT_PUBLIC);
  }
  return { hostname: bare, addresses: vetted.map((c) => ({ address: c.address, family: c.family === 6 ? 6 : 4 })) };
}
