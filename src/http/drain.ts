import type { MiddlewareHandler } from 'hono';
import { HearthError } from '../lib/errors.js';
import type { AppEnv } from './env.js';

/**
 * Graceful shutdown at the HTTP layer. Once the server drains (SIGTERM/SIGINT),
 * the listening socket is closed, so new connections are refused; a request that
 * still arrives on an open keep-alive connection gets 503 `overloaded` with
 * Retry-After, and every response from then on carries `Connection: close`, so
 * no keep-alive connection outlives its last response and keeps the process up.
 * Requests already past this point when the drain starts run to completion.
 */
export function drainGuard(lifecycle: { readonly draining: boolean } | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (lifecycle?.draining) {
      c.header('Connection', 'close');
      throw new HearthError('overloaded', 'server is shutting down; retry shortly (or on another instance)', { retryAfterS: 5 });
    }
    await next();
    if (lifecycle?.draining) c.header('Connection', 'close');
  };
}
