import type { BrowserContext, Page, Response as PageResponse } from 'playwright-core';
import type { Config } from '../../config.js';
import { HearthError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { EgressProxy, checkUrl, resolveAllowed, safeFetch } from '../../net/egress/index.js';
import { BrowserPool, type BrowserPoolStatus } from '../../runtime/browser/pool.js';
import { dismissConsent } from './consent.js';
import { CookieJar } from './cookie-jar.js';
import { ContentExtractor } from './extractor.js';
import { checkVerdict, navigationFailure } from './failures.js';
import { pageLinks } from './in-page.js';
import { desktopProfile } from './profile.js';
import { type RenderStats, type RenderStrategy, checkSelectors, renderPage } from './render.js';
import { backoffMs, retryAfterMs } from './retry-after.js';
import { ROBOTS_AGENT, RobotsCache } from './robots.js';
import { sleep } from './sleep.js';
import { DomainThrottle } from './throttle.js';

export type CrawlFormat = 'markdown' | 'text' | 'html' | 'links' | 'screenshot';

export interface CrawlRequest extends RenderStrategy {
  url: string;
  formats: readonly CrawlFormat[];
  fullPage: boolean;
  waitForJs: boolean;
  onlyMainContent: boolean;
  timeoutMs?: number;
  headers: Record<string, string>;
  cookies: { name: string; value: string; path?: string }[];
  signal?: AbortSignal;
}

export interface CrawlResult {
  url: string;
  final_url: string;
  status_code: number;
  title: string;
  text: string;
  markdown?: string;
  html?: string;
  links?: string[];
  screenshot_base64?: string;
  fetch_time_ms: number;
  render: RenderStats & { console_errors: number; consent_dismissed: boolean; retries: number; html_bytes: number };
}

export interface CrawlStatus {
  browser: BrowserPoolStatus;
  proxy: EgressProxy['stats'];
}

type Settings = Config['crawl'];
type Egress = Config['egress'];

const NO_RENDER: RenderStats = { selector_wait_ms: null, selector_found: null, content_count: 0, scroll_rounds: 0, load_more_clicks: 0, stable_after_ms: null };
// Caller headers that would break framing, retarget the request or talk to the proxy are dropped.
const RESERVED_HEADERS = /^(host|connection|keep-alive|transfer-encoding|te|trailer|upgrade|content-length|expect|proxy-.*)$/i;

/**
 * Google services Chromium calls on its own even with background networking disabled (component
 * and extension updates, account checks, safe browsing, variations): a crawler has no use for
 * them and they would tell Google when and from where the crawler runs.
 */
const BROWSER_SERVICES = new Set([
  'update.googleapis.com',
  'accounts.google.com',
  'clients2.google.com',
  'clients2.googleusercontent.com',
  'clientservices.googleapis.com',
  'safebrowsing.googleapis.com',
  'optimizationguide-pa.googleapis.com',
  'content-autofill.googleapis.com',
  'edgedl.me.gvt1.com',
]);

/**
 * POST /v1/crawl: vet the URL, honour robots.txt and the per-host throttle, render the page in
 * a fresh context of the shared browser (every byte it fetches goes through the egress proxy),
 * back off on 429/503, dismiss consent dialogs, extract.
 */
export class CrawlService {
  private readonly proxy: EgressProxy;
  private readonly pool: BrowserPool;
  private readonly extractor = new ContentExtractor();
  private readonly robots: RobotsCache;
  private readonly throttle: DomainThrottle;
  private readonly jar = new CookieJar();

  constructor(
    private readonly settings: Settings,
    private readonly egress: Egress,
    private readonly log: Logger,
  ) {
    this.proxy = new EgressProxy({ allowlist: egress.allowlist, ports: egress.ports, resolver: egress.resolver, connectTimeoutMs: egress.timeoutMs, denyHosts: BROWSER_SERVICES, log });
    this.pool = new BrowserPool({
      executablePath: settings.chromiumPath,
      proxyServer: () => this.proxy.start(),
      idleMs: settings.browserIdleMs,
      maxPages: settings.maxPages,
      maxQueue: settings.maxQueue,
      launchTimeoutMs: 30_000,
      restartAfterTimeouts: 3,
      log,
    });
    this.robots = new RobotsCache((url, signal) => this.fetchRobots(url, signal), settings.robotsTtlMs);
    this.throttle = new DomainThrottle(settings.domainRps > 0 ? 1000 / settings.domainRps : 0);
  }

  status(): CrawlStatus {
    return { browser: this.pool.status(), proxy: { ...this.proxy.stats } };
  }

  async close(): Promise<void> {
    await this.pool.close();
    await this.proxy.close();
    await this.extractor.close();
  }

  async crawl(request: CrawlRequest): Promise<CrawlResult> {
    const started = performance.now();
    const timeoutMs = Math.min(request.timeoutMs ?? this.settings.defaultTimeoutMs, this.settings.maxTimeoutMs);
    const deadline = Date.now() + timeoutMs;
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(new HearthError('upstream_timeout', `the page did not finish within ${timeoutMs} ms`)), timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timer.signal]) : timer.signal;
    try {
      // Refused before any browser work: the proxy checks every connection again, this gives the clear error.
      const url = checkUrl(request.url, { ports: this.egress.ports });
      await resolveAllowed(url.hostname, { allowlist: this.egress.allowlist, resolver: this.egress.resolver, signal, log: this.log });
      const { crawlDelayMs } = this.settings.robots ? await this.robots.check(url, signal) : {};
      const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      aborted.catch(() => {});
      const work = this.pool.use(desktopProfile, (page, context) => this.visit(page, context, url, request, { deadline, signal, crawlDelayMs }), signal);
      work.catch(() => {});
      const result = await Promise.race([work, aborted]);
      return { ...result, fetch_time_ms: Math.round(performance.now() - started) };
    } catch (error) {
      if (request.signal?.aborted) throw new HearthError('client_closed', 'the request was cancelled');
      if (timer.signal.aborted) throw timer.signal.reason;
      throw error;
    } finally {
      clearTimeout(timeout);
    }
  }

  private async visit(
    page: Page,
    context: BrowserContext,
    url: URL,
    request: CrawlRequest,
    run: { deadline: number; signal: AbortSignal; crawlDelayMs?: number },
  ): Promise<Omit<CrawlResult, 'fetch_time_ms'>> {
    this.log.debug({ url: url.href }, 'crawl: tab lent');
    let crashed = false;
    let consoleErrors = 0;
    let navResponse: PageResponse | null = null;
    let failedNavUrl: string | undefined;
    const crash = new Promise<never>((_, reject) =>
      page.once('crash', () => {
        crashed = true;
        reject(new HearthError('upstream_failed', 'the page crashed the browser tab (renderer process); the browser itself is fine'));
      }),
    );
    crash.catch(() => {});
    page.on('console', (m) => void (m.type() === 'error' && consoleErrors++));
    page.on('pageerror', () => void consoleErrors++);
    page.on('response', (r) => void (r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (navResponse = r)));
    page.on('requestfailed', (r) => void (r.isNavigationRequest() && r.frame() === page.mainFrame() && (failedNavUrl = r.url())));
    const left = () => Math.max(1, run.deadline - Date.now());
    try {
      return await Promise.race([crash, this.load(context, page, url, request, run, left, () => ({ navResponse, failedNavUrl, consoleErrors }))]);
    } catch (error) {
      if (crashed) throw new HearthError('upstream_failed', 'the page crashed the browser tab (renderer process); the browser itself is fine');
      if (error instanceof HearthError) throw error;
      if ((error as Error).name === 'TimeoutError') {
        this.pool.noteNavigation(true);
        throw new HearthError('upstream_timeout', 'the page did not load in time');
      }
      if (/net::ERR_/.test((error as Error).message ?? '')) throw await navigationFailure(failedNavUrl ?? url.href, error, this.egress, this.log);
      throw error;
    }
  }

  private async load(
    context: BrowserContext,
    page: Page,
    url: URL,
    request: CrawlRequest,
    run: { deadline: number; signal: AbortSignal; crawlDelayMs?: number },
    left: () => number,
    seen: () => { navResponse: PageResponse | null; failedNavUrl?: string; consoleErrors: number },
  ): Promise<Omit<CrawlResult, 'fetch_time_ms'>> {
    if (this.settings.persistCookies) await this.jar.load(context, url.hostname);
    if (request.cookies.length > 0) await context.addCookies(request.cookies.map((c) => ({ name: c.name, value: c.value, url: `${url.origin}${c.path ?? '/'}` })));
    await this.routeCallerHeaders(page, url, request.headers);

    let response: PageResponse | null = null;
    let retries = 0;
    for (;;) {
      await sleep(this.throttle.reserve(url.hostname, Math.max(this.throttleInterval(), run.crawlDelayMs ?? 0)), run.signal);
      this.log.debug({ url: url.href, timeout_ms: left() }, 'crawl: navigating');
      // Just inside the request's deadline, so a hung navigation surfaces as Playwright's timeout (counted for
      // the restart-on-clustered-timeouts rule) rather than as the deadline's abort.
      response = await page.goto(url.href, { waitUntil: 'domcontentloaded', timeout: Math.max(1, left() - 250) });
      this.log.debug({ url: url.href, status: response?.status() }, 'crawl: DOMContentLoaded');
      this.pool.noteNavigation(false);
      checkVerdict(response);
      const status = response?.status() ?? 0;
      if (status !== 429 && status !== 503) break;
      const asked = retryAfterMs(response?.headers()['retry-after']);
      if (asked !== undefined && asked > this.settings.maxRetryAfterMs) {
        // Retrying sooner than the site asked would be rude, waiting that long is not this request's job: the caller gets the wait.
        throw new HearthError('upstream_failed', `the site answered ${status} and asks to retry in ${Math.ceil(asked / 1000)} s`, { retryAfterS: Math.ceil(asked / 1000) });
      }
      const wait = backoffMs(retries, response?.headers()['retry-after'], this.settings.maxRetryAfterMs);
      if (retries >= this.settings.maxRetries || Date.now() + wait >= run.deadline) {
        throw new HearthError('upstream_failed', `the site answered ${status} (rate limited or unavailable) ${retries + 1} time(s)`, { retryAfterS: Math.max(1, wait / 1000) });
      }
      this.log.info({ host: url.hostname, status, wait_ms: wait, attempt: retries + 1 }, 'crawl: backing off');
      retries++;
      await sleep(wait, run.signal);
    }

    await checkSelectors(page, request);
    // Before the render loop too: a modal can hold back the content the loop waits for.
    let consent = request.waitForJs && (await dismissConsent(page));
    const render = request.waitForJs ? await renderPage(page, request, run.deadline, run.signal) : { ...NO_RENDER };
    consent = (await dismissConsent(page)) || consent;
    const after = seen();
    checkVerdict(after.navResponse);
    if (after.failedNavUrl && after.failedNavUrl !== url.href && page.url() === 'chrome-error://chromewebdata/') throw await navigationFailure(after.failedNavUrl, null, this.egress, this.log);
    const finalUrl = page.url();
    if (!/^https?:/.test(finalUrl)) throw new HearthError('url_not_allowed', 'URL not allowed: the page navigated to a non-http(s) URL');
    // Redirects are followed inside the browser, so the target's robots.txt is checked once the page is there: a
    // disallowed target has been fetched once, but its content is not returned.
    if (this.settings.robots && finalUrl !== url.href) await this.robots.check(new URL(finalUrl), run.signal);

    this.log.debug({ url: url.href, render }, 'crawl: rendered');
    const html = await page.content();
    const htmlBytes = Buffer.byteLength(html);
    if (htmlBytes > this.settings.maxHtmlBytes) throw new HearthError('payload_too_large', `the rendered page is ${htmlBytes} bytes, over the limit of ${this.settings.maxHtmlBytes}`);
    const formats = new Set(request.formats);
    const [title, links, screenshot] = await Promise.all([
      page.title(),
      formats.has('links') ? page.evaluate(pageLinks) : undefined,
      formats.has('screenshot') ? page.screenshot({ fullPage: request.fullPage, type: 'png', timeout: left() }) : undefined,
    ]);
    // A crawl that brought its own cookies or headers may be someone's session: nothing of it is kept for the next caller.
    const anonymous = request.cookies.length === 0 && Object.keys(request.headers).length === 0;
    if (this.settings.persistCookies && anonymous) await this.jar.save(context, new URL(finalUrl).hostname);
    const content = await this.extractor.extract(html, finalUrl, request.onlyMainContent);
    return {
      url: url.href,
      final_url: finalUrl,
      status_code: (after.navResponse ?? response)?.status() ?? 0,
      title,
      text: content.text,
      ...(formats.has('markdown') ? { markdown: content.markdown } : {}),
      ...(formats.has('html') ? { html } : {}),
      ...(links ? { links } : {}),
      ...(screenshot ? { screenshot_base64: screenshot.toString('base64') } : {}),
      render: { ...render, console_errors: seen().consoleErrors, consent_dismissed: consent, retries, html_bytes: htmlBytes },
    };
  }

  private throttleInterval(): number {
    return this.settings.domainRps > 0 ? 1000 / this.settings.domainRps : 0;
  }

  /** Caller headers go to the target's own origin only, never to third parties the page pulls in. */
  private async routeCallerHeaders(page: Page, url: URL, headers: Record<string, string>): Promise<void> {
    const extra = Object.fromEntries(Object.entries(headers).filter(([name]) => !RESERVED_HEADERS.test(name)).map(([k, v]) => [k.toLowerCase(), v]));
    if (Object.keys(extra).length === 0) return;
    await page.route(
      (u) => u.origin === url.origin,
      (route) => route.continue({ headers: { ...route.request().headers(), ...extra } }),
    );
  }

  private async fetchRobots(robotsUrl: string, signal: AbortSignal): Promise<{ status: number; body: string }> {
    const res = await safeFetch(robotsUrl, {
      maxBytes: 512 * 1024,
      timeoutMs: Math.min(10_000, this.egress.timeoutMs),
      maxRedirects: 5,
      allowlist: this.egress.allowlist,
      ports: this.egress.ports,
      resolver: this.egress.resolver,
      headers: { 'user-agent': `Mozilla/5.0 (compatible; ${ROBOTS_AGENT}/1.0)` },
      signal,
      log: this.log,
    });
    return { status: res.status, body: res.body.toString('utf8') };
  }
}
