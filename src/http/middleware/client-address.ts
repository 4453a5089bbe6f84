import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { CidrSet } from '../../security/addresses.js';
import { resolveClientAddress } from '../../security/client-address.js';
import type { AppEnv } from '../env.js';

function peerAddress(c: Context<AppEnv>): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/** Sets clientIp and clientLoopback for the allowlist, auth, rate limits and the access log. */
export function clientAddress(trustedProxies: CidrSet): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const forwarded = c.req.header('x-forwarded-for');
    const hasForwardingHeaders = forwarded !== undefined || c.req.header('forwarded') !== undefined || c.req.header('x-real-ip') !== undefined;
    const client = resolveClientAddress(peerAddress(c), forwarded, trustedProxies, hasForwardingHeaders);
    if (client.address !== undefined) c.set('clientIp', client.address);
    c.set('clientLoopback', client.loopback);
    return next();
  };
}
