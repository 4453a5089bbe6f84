import { describe, expect, it } from 'vitest';
import { backoffMs, retryAfterMs } from '../../../src/tasks/crawl/retry-after.js';
import { RobotsCache } from '../../../src/tasks/crawl/robots.js';
import { DomainThrottle } from '../../../src/tasks/crawl/throttle.js';
import { isHearthError } from '../../../src/lib/errors.js';

describe('DomainThrottle', () => {
  it('spaces reservations per host and leaves other hosts alone', () => {
    let now = 1000;
    const t = new DomainThrottle(1000, () => now);
    expect([t.reserve('a'), t.reserve('a'), t.reserve('a'), t.reserve('b')]).toEqual([0, 1000, 2000, 0]);
    now = 5000;
    expect(t.reserve('a')).toBe(0);
    expect(t.reserve('a', 250)).toBe(1000);
  });
  it('an interval of 0 never waits', () => {
    const t = new DomainThrottle(0);
    expect([t.reserve('a'), t.reserve('a')]).toEqual([0, 0]);
  });
});

describe('Retry-After and backoff', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.UTC(2015, 9, 21, 7, 28, 0))).toBe(10_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
  it('doubles without a Retry-After, honours one when given, and never passes the cap', () => {
    expect([0, 1, 2, 3].map((a) => backoffMs(a, undefined, 5000))).toEqual([1000, 2000, 4000, 5000]);
    expect(backoffMs(0, '2', 5000)).toBe(2000);
    expect(backoffMs(0, '120', 5000)).toBe(5000);
  });
});

describe('RobotsCache', () => {
  const robots = (answers: Record<string, { status: number; body: string }>) => {
    const fetched: string[] = [];
    const cache = new RobotsCache(async (url) => {
      fetched.push(url);
      const a = answers[url];
      if (!a) throw new Error('unreachable');
      return a;
    }, 60_000);
    return { cache, fetched };
  };
  const signal = new AbortController().signal;
  const blocked = async (p: Promise<unknown>) => {
    const e = await p.then(() => null, (x) => x);
    return isHearthError(e) && e.code === 'blocked_by_robots';
  };

  it('applies the Hearth group, else *, with Allow/Disallow precedence, and caches per origin', async () => {
    const { cache, fetched } = robots({
      'http://a.test/robots.txt': { status: 200, body: 'User-agent: *\nDisallow: /\n\nUser-agent: Hearth\nDisallow: /private\nAllow: /private/ok\nCrawl-delay: 2\n' },
      'http://b.test/robots.txt': { status: 200, body: 'User-agent: *\nDisallow: /x\n' },
    });
    expect(await blocked(cache.check(new URL('http://a.test/private/secret'), signal))).toBe(true);
    expect(await cache.check(new URL('http://a.test/private/ok'), signal)).toEqual({ crawlDelayMs: 2000 });
    expect(await blocked(cache.check(new URL('http://a.test/public'), signal))).toBe(false);
    expect(await blocked(cache.check(new URL('http://b.test/x/y'), signal))).toBe(true);
    expect(await blocked(cache.check(new URL('http://b.test/y'), signal))).toBe(false);
    expect(fetched).toEqual(['http://a.test/robots.txt', 'http://b.test/robots.txt']);
  });

  it('RFC 9309: 4xx means no rules, 5xx means disallow all, unreachable fails without caching', async () => {
    const { cache, fetched } = robots({ 'http://gone.test/robots.txt': { status: 404, body: '' }, 'http://down.test/robots.txt': { status: 503, body: '' } });
    expect(await blocked(cache.check(new URL('http://gone.test/a'), signal))).toBe(false);
    expect(await blocked(cache.check(new URL('http://down.test/a'), signal))).toBe(true);
    await expect(cache.check(new URL('http://nowhere.test/a'), signal)).rejects.toThrow('unreachable');
    await expect(cache.check(new URL('http://nowhere.test/a'), signal)).rejects.toThrow('unreachable');
    expect(fetched.filter((u) => u.includes('nowhere'))).toHaveLength(2);
  });
});
