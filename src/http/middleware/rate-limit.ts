import type { Context, MiddlewareHandler } from 'hono';
import { HearthError } from '../../lib/errors.js';
import type { RateLimiter, RateLimits } from '../../security/rate-limiter.js';
import type { AppEnv } from '../env.js';

export interface RateLimitOptions {
  limiter: RateLimiter;
  /** HEARTH_RATE_LIMIT_RPM / _TPM; a key's own limits from the keys file win. */
  defaults: RateLimits;
  /** Health checks are never limited. */
  exempt: ReadonlySet<string>;
}

const setHeaders = (c: Context<AppEnv>, headers: Record<string, string>) => {
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
};

/**
 * Per key (or per client IP for requests without one). Counts the request
 * before the route runs; after it, charges the model tokens the route reported
 * with c.set('tokens', n) and refreshes the x-ratelimit-* headers.
 */
export function rateLimit({ limiter, defaults, exempt }: RateLimitOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (exempt.has(c.req.path)) return next();
    const own = c.var.keyLimits;
    const limits: RateLimits = {
      requestsPerMinute: own?.requestsPerMinute ?? defaults.requestsPerMinute,
      tokensPerMinute: own?.tokensPerMinute ?? defaults.tokensPerMinute,
    };
    if (limits.requestsPerMinute === 0 && limits.tokensPerMinute === 0) return next();
    const client = c.var.keyName !== undefined ? `key:${c.var.keyName}` : `ip:${c.var.clientIp ?? 'unknown'}`;
    const admission = limiter.admit(client, limits);
    setHeaders(c, admission.headers);
    if (!admission.allowed) {
      const per = admission.exhausted === 'tokens' ? `${limits.tokensPerMinute} tokens` : `${limits.requestsPerMinute} requests`;
      const who = c.var.keyName !== undefined ? `key "${c.var.keyName}"` : 'this client';
      const retryAfterS = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
      throw new HearthError('rate_limited', `rate limit of ${per} per minute reached for ${who}: retry in ${retryAfterS} s`, { retryAfterS });
    }
    await next();
    const tokens = c.var.tokens;
    if (tokens !== undefined && tokens > 0) setHeaders(c, limiter.charge(client, limits, tokens));
  };
}
