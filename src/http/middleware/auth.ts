import type { MiddlewareHandler } from 'hono';
import { HearthError } from '../../lib/errors.js';
import type { KeyRing } from '../../security/key-ring.js';
import type { AppEnv } from '../env.js';

export interface AuthOptions {
  keys: { current(): Promise<KeyRing> };
  /** Paths that never need a key (HEARTH_AUTH_EXEMPT). */
  exempt: ReadonlySet<string>;
  /** HEARTH_LOOPBACK_NO_AUTH: a direct loopback client may come without a key. */
  loopbackNoAuth: boolean;
  /** Whether an empty key ring still means "keys required" (a non-loopback bind that was not opened explicitly). */
  requireKeyWhenNone: boolean;
}

/** The key of "Authorization: Bearer <key>", or undefined for any other shape. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header?.trim() ?? '');
  return match?.[1];
}

/**
 * Bearer keys, checked against the live key ring (keys file + HEARTH_API_KEYS).
 * A valid key names the request (keyName, keyLimits) on every route, exempt or
 * not. Without one: exempt paths pass; when no key is configured on a loopback
 * (or explicitly unauthenticated) server everything passes; a direct loopback
 * client passes with HEARTH_LOOPBACK_NO_AUTH (an unknown key from it is
 * ignored, since SDKs insist on sending some key); everything else is 401.
 */
export function bearerAuth({ keys, exempt, loopbackNoAuth, requireKeyWhenNone }: AuthOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const ring = await keys.current();
    const presented = bearerToken(c.req.header('authorization'));
    const entry = presented === undefined ? undefined : ring.match(presented);
    if (entry) {
      c.set('keyName', entry.name);
      c.set('keyLimits', entry.limits);
      return next();
    }
    if (exempt.has(c.req.path)) return next();
    if (ring.size === 0 && !requireKeyWhenNone) return next();
    if (loopbackNoAuth && c.var.clientLoopback === true) return next();
    c.header('WWW-Authenticate', 'Bearer realm="hearth"');
    if (ring.size === 0) throw new HearthError('unauthorized', 'no API key is configured on this server yet: add one with `hearth keys add <name>`');
    if (c.req.header('authorization') === undefined) throw new HearthError('unauthorized', 'missing API key: send "Authorization: Bearer <key>"');
    throw new HearthError('unauthorized', presented === undefined ? 'malformed Authorization header: send "Authorization: Bearer <key>"' : 'invalid API key');
  };
}
