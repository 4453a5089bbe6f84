import type { MiddlewareHandler } from 'hono';
import { HearthError } from '../../lib/errors.js';
import type { CidrSet } from '../../security/addresses.js';
import type { AppEnv } from '../env.js';

/** HEARTH_IP_ALLOWLIST: a client outside every range (or whose address is unknown) gets 403 on every route. */
export function ipAllowlist(allowed: CidrSet): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const ip = c.var.clientIp;
    if (!allowed.contains(ip)) {
      throw new HearthError('forbidden', `client address ${ip ?? '(unknown)'} is not in this server's IP allowlist`);
    }
    return next();
  };
}
