import { LRUCache } from 'lru-cache';
import { TokenBucket } from './token-bucket.js';

/** Limits per minute; 0 means unlimited. */
export interface RateLimits {
  requestsPerMinute: number;
  tokensPerMinute: number;
}

export interface Admission {
  allowed: boolean;
  /** When refused: milliseconds until every exhausted bucket has room again. */
  retryAfterMs: number;
  /** When refused: which limit, for the message. */
  exhausted?: 'requests' | 'tokens';
  /** OpenAI-style x-ratelimit-* headers for the limits that apply. */
  headers: Record<string, string>;
}

interface Buckets {
  requests?: TokenBucket;
  tokens?: TokenBucket;
}

/** "20ms", "8.5s", "6m0s": the duration format of OpenAI's x-ratelimit-reset-* headers. */
export function resetDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Number(((ms - minutes * 60_000) / 1000).toFixed(3));
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/**
 * Requests and model tokens per minute, per client (a key name or an IP).
 * A request takes one request token before it runs; its model tokens are
 * charged when known, after it ran, and a client whose token bucket has no
 * room left (in debt after a big request) is refused until it refills. Buckets
 * live in an LRU so memory stays bounded whatever the number of client IPs;
 * an evicted bucket comes back full, the one leak of that bound.
 */
export class RateLimiter {
  private readonly buckets: LRUCache<string, Buckets>;
  private readonly now: () => number;

  constructor({ now = Date.now, maxClients = 10_000 }: { now?: () => number; maxClients?: number } = {}) {
    this.now = now;
    this.buckets = new LRUCache({ max: maxClients });
  }

  admit(client: string, limits: RateLimits): Admission {
    const b = this.bucketsFor(client, limits);
    const tokenWait = b.tokens?.msUntil(1) ?? 0;
    const requestWait = b.requests?.msUntil(1) ?? 0;
    if (tokenWait > 0 || requestWait > 0) {
      return { allowed: false, retryAfterMs: Math.max(tokenWait, requestWait), exhausted: tokenWait >= requestWait ? 'tokens' : 'requests', headers: headers(b) };
    }
    b.requests?.take(1);
    return { allowed: true, retryAfterMs: 0, headers: headers(b) };
  }

  /** Charges a finished request's model tokens; returns the updated headers. */
  charge(client: string, limits: RateLimits, tokens: number): Record<string, string> {
    const b = this.bucketsFor(client, limits);
    if (tokens > 0) b.tokens?.charge(tokens);
    return headers(b);
  }

  private bucketsFor(client: string, limits: RateLimits): Buckets {
    const b = this.buckets.get(client) ?? {};
    b.requests = sized(b.requests, limits.requestsPerMinute, this.now);
    b.tokens = sized(b.tokens, limits.tokensPerMinute, this.now);
    this.buckets.set(client, b);
    return b;
  }
}

function sized(bucket: TokenBucket | undefined, perMinute: number, now: () => number): TokenBucket | undefined {
  if (perMinute <= 0) return undefined;
  if (!bucket) return new TokenBucket(perMinute, now);
  bucket.setLimit(perMinute);
  return bucket;
}

function headers(b: Buckets): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [kind, bucket] of [['requests', b.requests], ['tokens', b.tokens]] as const) {
    if (!bucket) continue;
    out[`x-ratelimit-limit-${kind}`] = String(bucket.limit);
    out[`x-ratelimit-remaining-${kind}`] = String(Math.max(0, Math.floor(bucket.available)));
    out[`x-ratelimit-reset-${kind}`] = resetDuration(bucket.msUntilFull());
  }
  return out;
}
