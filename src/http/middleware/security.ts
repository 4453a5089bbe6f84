import type { MiddlewareHandler } from 'hono';
import type { Config } from '../../config.js';
import type { Logger } from '../../lib/log.js';
import { CidrSet, isLoopbackHost } from '../../security/addresses.js';
import type { KeyRing } from '../../security/key-ring.js';
import { KeySource } from '../../security/key-source.js';
import { RateLimiter } from '../../security/rate-limiter.js';
import type { AppEnv } from '../env.js';
import { bearerAuth } from './auth.js';
import { clientAddress } from './client-address.js';
import { hostGuard } from './host-guard.js';
import { ipAllowlist } from './ip-allowlist.js';
import { rateLimit } from './rate-limit.js';

export interface SecurityDeps {
  config: Config;
  log: Logger;
  /** The live key ring (server.ts loads it before listening); built from config when absent. */
  keys?: { current(): Promise<KeyRing> } | undefined;
  /** Clock of the rate limiter (tests pass a fake one). */
  now?: () => number;
}

/**
 * The request gate, in order: Host guard (loopback binds only; cheapest, and
 * first so a rebinding page learns nothing), client address, IP allowlist,
 * bearer key, rate limits (which need the key's name).
 */
export function securityMiddleware({ config, log, keys, now }: SecurityDeps): MiddlewareHandler<AppEnv>[] {
  const s = config.security;
  keys ??= new KeySource({ file: s.keysFile, envKeys: config.apiKeys, log });
  const exempt = new Set(s.authExempt);
  const loopbackBind = isLoopbackHost(config.host);
  const allowlist = new CidrSet(s.ipAllowlist);
  return [
    ...(loopbackBind ? [hostGuard(new Set(s.allowedHosts))] : []),
    clientAddress(new CidrSet(s.trustedProxies)),
    ...(allowlist.size > 0 ? [ipAllowlist(allowlist)] : []),
    bearerAuth({ keys, exempt, loopbackNoAuth: s.loopbackNoAuth, requireKeyWhenNone: !loopbackBind && !s.allowUnauthenticated }),
    rateLimit({ limiter: new RateLimiter({ now }), defaults: s.rateLimit, exempt }),
  ];
}
