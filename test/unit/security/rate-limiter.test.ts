import { describe, expect, it } from 'vitest';
import { RateLimiter, resetDuration } from '../../../src/security/rate-limiter.js';
import { TokenBucket } from '../../../src/security/token-bucket.js';

function clock(start = 5_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('TokenBucket', () => {
  it('starts full, refills continuously at limit per minute and never above the limit', () => {
    const c = clock();
    const b = new TokenBucket(60, c.now);
    expect(b.available).toBe(60);
    for (let i = 0; i < 60; i++) expect(b.take(1)).toBe(true);
    expect(b.take(1)).toBe(false);
    c.t += 1000;
    expect(b.available).toBeCloseTo(1);
    expect(b.take(1)).toBe(true);
    c.t += 10 * 60_000;
    expect(b.available).toBe(60);
  });

  it('goes into debt when charged and says how long until it has room', () => {
    const c = clock();
    const b = new TokenBucket(600, c.now);
    b.charge(1200);
    expect(b.available).toBe(-600);
    expect(b.msUntil(1)).toBeCloseTo(60_100);
    c.t += 60_000;
    expect(b.available).toBeCloseTo(0);
    expect(b.take(1)).toBe(false);
    c.t += 100;
    expect(b.take(1)).toBe(true);
  });

  it('keeps its level, capped, when the limit changes', () => {
    const c = clock();
    const b = new TokenBucket(100, c.now);
    b.take(30);
    b.setLimit(50);
    expect(b.available).toBe(50);
    b.setLimit(1000);
    expect(b.available).toBe(50);
  });

  it('ignores a clock that goes backwards', () => {
    const c = clock();
    const b = new TokenBucket(60, c.now);
    b.take(60);
    c.t -= 5000;
    expect(b.available).toBe(0);
  });
});

describe('RateLimiter', () => {
  const rpm = (n: number) => ({ requestsPerMinute: n, tokensPerMinute: 0 });

  it('admits up to the request limit, then refuses with the wait until one request fits', () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now });
    for (let i = 0; i < 3; i++) expect(limiter.admit('key:a', rpm(3)).allowed).toBe(true);
    const refused = limiter.admit('key:a', rpm(3));
    expect(refused).toMatchObject({ allowed: false, exhausted: 'requests' });
    expect(refused.retryAfterMs).toBeCloseTo(20_000);
    expect(refused.headers).toEqual({ 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1m0s' });
    c.t += 20_000;
    expect(limiter.admit('key:a', rpm(3)).allowed).toBe(true);
  });

  it('keeps clients apart', () => {
    const limiter = new RateLimiter({ now: clock().now });
    expect(limiter.admit('ip:10.0.0.1', rpm(1)).allowed).toBe(true);
    expect(limiter.admit('ip:10.0.0.1', rpm(1)).allowed).toBe(false);
    expect(limiter.admit('ip:10.0.0.2', rpm(1)).allowed).toBe(true);
  });

  it('charges tokens after the fact and refuses the next request while the bucket is in debt', () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now });
    const limits = { requestsPerMinute: 0, tokensPerMinute: 100 };
    expect(limiter.admit('key:a', limits).allowed).toBe(true);
    const headers = limiter.charge('key:a', limits, 160);
    expect(headers).toMatchObject({ 'x-ratelimit-limit-tokens': '100', 'x-ratelimit-remaining-tokens': '0' });
    const refused = limiter.admit('key:a', limits);
    expect(refused).toMatchObject({ allowed: false, exhausted: 'tokens' });
    expect(refused.retryAfterMs).toBeCloseTo(((60 + 1) * 60_000) / 100);
    c.t += refused.retryAfterMs;
    expect(limiter.admit('key:a', limits).allowed).toBe(true);
  });

  it('a refused request takes nothing; when both limits are out, the wait covers both', () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now });
    const limits = { requestsPerMinute: 1, tokensPerMinute: 60 };
    expect(limiter.admit('k', limits).allowed).toBe(true);
    limiter.charge('k', limits, 90);
    const refused = limiter.admit('k', limits);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeCloseTo(Math.max(60_000, 31_000));
    c.t += 60_000;
    expect(limiter.admit('k', limits).allowed).toBe(true);
  });

  it('unlimited (0/0) sends no headers and keeps no bucket state that matters', () => {
    const limiter = new RateLimiter({ now: clock().now });
    for (let i = 0; i < 1000; i++) expect(limiter.admit('k', { requestsPerMinute: 0, tokensPerMinute: 0 })).toEqual({ allowed: true, retryAfterMs: 0, headers: {} });
  });

  it('applies a changed limit to an existing bucket (keys file reload)', () => {
    const limiter = new RateLimiter({ now: clock().now });
    for (let i = 0; i < 5; i++) limiter.admit('k', rpm(10));
    // 5 left, capped at the new limit of 2.
    expect(limiter.admit('k', rpm(2)).headers['x-ratelimit-remaining-requests']).toBe('1');
    expect(limiter.admit('k', rpm(2)).allowed).toBe(true);
    expect(limiter.admit('k', rpm(2)).allowed).toBe(false);
    expect(limiter.admit('k', rpm(0)).allowed).toBe(true);
  });

  it('bounds memory with an LRU of clients', () => {
    const limiter = new RateLimiter({ now: clock().now, maxClients: 2 });
    limiter.admit('a', rpm(1));
    limiter.admit('b', rpm(1));
    limiter.admit('c', rpm(1));
    // "a" was evicted: it comes back with a full bucket.
    expect(limiter.admit('a', rpm(1)).allowed).toBe(true);
    expect(limiter.admit('c', rpm(1)).allowed).toBe(false);
  });
});

describe('resetDuration', () => {
  it.each([
    [0, '0ms'],
    [20.2, '21ms'],
    [999, '999ms'],
    [1000, '1s'],
    [8640, '8.64s'],
    [60_000, '1m0s'],
    [360_000, '6m0s'],
    [90_500, '1m30.5s'],
  ])('%d ms → %s', (ms, text) => expect(resetDuration(ms)).toBe(text));
});
