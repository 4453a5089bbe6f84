import type { MiddlewareHandler } from 'hono';
import { HearthError } from '../../lib/errors.js';
import { isAllowedHost } from '../../security/host-guard.js';
import type { AppEnv } from '../env.js';

/** Refuses requests whose Host a DNS-rebinding page could have sent (mounted only on a loopback bind). */
export function hostGuard(allowedHosts: ReadonlySet<string>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const host = c.req.header('host');
    if (!isAllowedHost(host, allowedHosts)) {
      throw new HearthError(
        'forbidden',
        `Host "${String(host).slice(0, 100)}" is not allowed: this server listens on loopback and answers only localhost, loopback addresses and the names in HEARTH_ALLOWED_HOSTS`,
      );
    }
    return next();
  };
}
