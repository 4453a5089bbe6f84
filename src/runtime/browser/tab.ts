import type { Browser, BrowserContext, BrowserContextOptions, CDPSession, Page } from 'playwright-core';

// Events a user of the tab may listen to; whatever it added is removed before the tab is reused.
const USER_EVENTS = ['close', 'console', 'crash', 'dialog', 'domcontentloaded', 'download', 'frameattached', 'framedetached', 'framenavigated', 'load', 'pageerror', 'popup', 'request', 'requestfailed', 'requestfinished', 'response', 'websocket', 'worker'] as const;
type UserEvent = (typeof USER_EVENTS)[number];
/** Page is a Node-style emitter at run time; its typings only declare the per-event overloads. */
type Emitter = { listeners(event: string): unknown[]; off(event: string, listener: unknown): void };

/** Uses after which a tab is replaced anyway, so one long-lived renderer cannot grow without bound. */
const MAX_USES = 100;

/**
 * One browser context with one page, kept warm between requests: opening a page costs a
 * renderer process (hundreds of ms), reusing one costs a reset. The reset leaves nothing of
 * the previous caller behind that a page can read: cookies, permissions, storage of every
 * origin the tab touched (local/session storage, IndexedDB, cache storage, service workers),
 * the HTTP cache, other pages, routes, and the listeners the caller added.
 */
export class Tab {
  crashed = false;
  private uses = 0;
  private readonly origins = new Set<string>();
  private baseline = new Map<UserEvent, Set<unknown>>();

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly cdp: CDPSession,
  ) {
    page.on('crash', () => (this.crashed = true));
    page.on('request', (request) => {
      const origin = originOf(request.url());
      if (origin) this.origins.add(origin);
    });
  }

  static async open(browser: Browser, options: BrowserContextOptions): Promise<Tab> {
    const context = await browser.newContext(options);
    try {
      const page = await context.newPage();
      return new Tab(context, page, await context.newCDPSession(page));
    } catch (error) {
      await context.close().catch(() => {});
      throw error;
    }
  }

  /** Marks what listeners exist before a use, so `reset` can remove exactly the caller's. */
  lend(): void {
    this.uses++;
    this.baseline = new Map(USER_EVENTS.map((e) => [e, new Set((this.page as unknown as Emitter).listeners(e))]));
  }

  get reusable(): boolean {
    return !this.crashed && !this.page.isClosed() && this.uses < MAX_USES;
  }

  /** Whether the renderer still answers: an idle one can die without the crash event having arrived yet. */
  async alive(timeoutMs = 1000): Promise<boolean> {
    if (!this.reusable) return false;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const answer = this.page.evaluate(() => 1).then(() => true, () => false);
    const ok = await Promise.race([answer, late]);
    clearTimeout(timer);
    return ok && this.reusable;
  }

  /** Back to a blank, stateless tab; false when that did not work (the tab is then closed). */
  async reset(timeoutMs = 5000): Promise<boolean> {
    try {
      for (const event of USER_EVENTS) {
        const keep = this.baseline.get(event) ?? new Set();
        const page = this.page as unknown as Emitter;
        for (const listener of page.listeners(event)) if (!keep.has(listener)) page.off(event, listener);
      }
      await this.page.unrouteAll({ behavior: 'ignoreErrors' });
      await Promise.all(this.context.pages().filter((p) => p !== this.page).map((p) => p.close()));
      await this.page.goto('about:blank', { timeout: timeoutMs });
      await this.context.clearCookies();
      await this.context.clearPermissions();
      for (const origin of this.origins) await this.cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'all' });
      this.origins.clear();
      await this.cdp.send('Network.clearBrowserCache');
      return this.reusable;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => {});
  }
}

function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}
