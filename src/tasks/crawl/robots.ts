import { LRUCache } from 'lru-cache';
import robotsParserCjs from 'robots-parser';
import { HearthError } from '../../lib/errors.js';

// A CommonJS module whose typings declare an ES default export: at run time the import is the function itself.
const robotsParser = robotsParserCjs as unknown as typeof robotsParserCjs.default;

/** The product token Hearth answers to in robots.txt groups ("User-agent: Hearth"); `*` applies otherwise. */
export const ROBOTS_AGENT = 'Hearth';

export interface RobotsFetch {
  (url: string, signal: AbortSignal): Promise<{ status: number; body: string }>;
}

type Rules = { allow: 'all' } | { allow: 'none'; reason: string } | { robots: ReturnType<typeof robotsParser> };

/**
 * robots.txt per origin (RFC 9309), cached: 2xx is parsed; 4xx means no rules; 5xx means
 * "assume complete disallow" and is kept only a minute, so a site that recovers is crawlable
 * again soon. A robots.txt that cannot be reached at all fails the crawl with the same upstream
 * error the page would give, and is not cached.
 */
export class RobotsCache {
  private readonly cache: LRUCache<string, Rules>;

  constructor(
    private readonly fetchRobots: RobotsFetch,
    private readonly ttlMs: number,
  ) {
    this.cache = new LRUCache({ max: 1000, ttl: ttlMs });
  }

  /** Throws blocked_by_robots when the URL is disallowed; returns the group's Crawl-delay in ms, if any. */
  async check(url: URL, signal: AbortSignal): Promise<{ crawlDelayMs?: number }> {
    const rules = await this.rules(url.origin, signal);
    if ('robots' in rules) {
      if (rules.robots.isDisallowed(url.href, ROBOTS_AGENT)) {
        throw new HearthError('blocked_by_robots', `${url.origin}/robots.txt disallows this URL for crawlers`);
      }
      const delay = rules.robots.getCrawlDelay(ROBOTS_AGENT);
      return delay === undefined ? {} : { crawlDelayMs: Math.min(delay, 30) * 1000 };
    }
    if (rules.allow === 'none') throw new HearthError('blocked_by_robots', rules.reason);
    return {};
  }

  private async rules(origin: string, signal: AbortSignal): Promise<Rules> {
    const cached = this.cache.get(origin);
    if (cached) return cached;
    const robotsUrl = `${origin}/robots.txt`;
    const { status, body } = await this.fetchRobots(robotsUrl, signal);
    let rules: Rules;
    if (status >= 200 && status < 300) rules = { robots: robotsParser(robotsUrl, body) };
    else if (status >= 500) rules = { allow: 'none', reason: `${robotsUrl} answered ${status}; crawlers must then assume the site is disallowed` };
    else rules = { allow: 'all' };
    this.cache.set(origin, rules, status >= 500 ? { ttl: Math.min(60_000, this.ttlMs) } : {});
    return rules;
  }
}
