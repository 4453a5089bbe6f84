import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HearthError } from '../../lib/errors.js';
import type { AppEnv } from '../env.js';

const OPEN_PATHS = new Set(['/health', '/ready']);
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer keys. Keys are compared as sha256 digests with timingSafeEqual, so the
 * comparison takes the same time whatever the key's length or content; every
 * configured key is checked so the match position leaks nothing either.
 */
export function bearerAuth(keys: readonly string[]): MiddlewareHandler<AppEnv> {
  const digests = keys.map((k, i) => ({ name: `key-${i + 1}`, digest: digest(k) }));
  return async (c, next) => {
    if (digests.length === 0 || OPEN_PATHS.has(c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match) throw new HearthError('unauthorized', 'missing API key: send "Authorization: Bearer <key>"');
    const given = digest(match[1]!);
    let found: string | undefined;
    for (const k of digests) if (timingSafeEqual(k.digest, given)) found ??= k.name;
    if (!found) throw new HearthError('unauthorized', 'invalid API key');
    c.set('keyName', found);
    return next();
  };
}
