import { LRUCache } from 'lru-cache';
import type { BrowserContext } from 'playwright-core';

type Cookies = Awaited<ReturnType<BrowserContext['cookies']>>;

/**
 * Cookies a site set, kept per host between crawls (in memory) so a dismissed consent dialog
 * or a chosen preference stays that way. Only the crawled host's own cookies are kept, never
 * third-party ones, and each new context starts from them.
 */
export class CookieJar {
  private readonly byHost = new LRUCache<string, Cookies>({ max: 500 });

  async load(context: BrowserContext, host: string): Promise<void> {
    const cookies = this.byHost.get(host);
    if (cookies && cookies.length > 0) await context.addCookies(cookies);
  }

  async save(context: BrowserContext, host: string): Promise<void> {
    const now = Date.now() / 1000;
    const own = (await context.cookies()).filter((c) => hostMatches(host, c.domain) && (c.expires === -1 || c.expires > now));
    if (own.length > 0) this.byHost.set(host, own);
  }
}

function hostMatches(host: string, domain: string): boolean {
  const d = domain.replace(/^\./, '');
  return host === d || host.endsWith(`.${d}`);
}
