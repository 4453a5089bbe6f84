import { readFile } from 'node:fs/promises';
import { type Browser, type BrowserContext, type BrowserContextOptions, type Page, chromium } from 'playwright-core';
import { HearthError } from '../../lib/errors.js';
import { childPids } from '../../lib/lifecycle.js';
import type { Logger } from '../../lib/log.js';
import { Slots } from './slots.js';
import { Tab } from './tab.js';

export interface BrowserPoolOptions {
  /** The Chromium binary; undefined when none was found (every use answers 503). */
  executablePath: string | undefined;
  /** Where Chromium sends every request (the egress proxy); started on first launch. */
  proxyServer(): Promise<string>;
  /** A browser nobody used for this long is closed; the next request relaunches it. */
  idleMs: number;
  /** Pages open at once; more wait in a queue of `maxQueue`, past which callers get 503. */
  maxPages: number;
  maxQueue: number;
  launchTimeoutMs: number;
  /** Consecutive navigation timeouts after which the browser is replaced (stale sessions cluster them). */
  restartAfterTimeouts: number;
  extraArgs?: readonly string[];
  log?: Logger;
}

export interface BrowserPoolStatus {
  state: 'closed' | 'launching' | 'running' | 'unavailable';
  executable: string | null;
  version: string | null;
  pid: number | null;
  launches: number;
  pages_open: number;
  queued: number;
}

// Headless without the noise: no background updates, sync or first-run UI; no GPU in a server.
// AutomationControlled off keeps navigator.webdriver false. WebRTC may only use proxied
// transports, so it cannot reach around the egress proxy with raw UDP.
const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
  '--disable-blink-features=AutomationControlled',
  '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
  '--webrtc-ip-handling-policy=disable_non_proxied_udp',
  // Nothing of the browser's own (pings, reporting, safe-browsing, translate, hints) goes out.
  '--no-pings',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater',
];

interface Generation {
  browser: Browser;
  /** Warm tabs waiting for the next request (at most maxPages). */
  idle: Tab[];
  pid: number | null;
  active: number;
  retired: boolean;
}

/**
 * One headless Chromium shared by every crawl: launched on first use, warm tabs (a context
 * with one page each, at most maxPages) lent per request and reset in between (see tab.ts),
 * closed when idle, replaced after a crash, a disconnect or a run of navigation timeouts.
 * A replaced browser finishes the pages it still has open.
 */
export class BrowserPool {
  private current: Generation | undefined;
  private launching: Promise<Generation> | undefined;
  private readonly slots: Slots;
  private idleTimer: NodeJS.Timeout | undefined;
  private launches = 0;
  private consecutiveTimeouts = 0;
  private closed = false;

  constructor(private readonly options: BrowserPoolOptions) {
    this.slots = new Slots(options.maxPages, options.maxQueue);
  }

  /**
   * Runs `fn` with a warm tab (a context with one page) of the shared browser, reset to blank
   * and stateless before it is lent again; a tab that crashed, was aborted or failed its reset
   * is closed instead.
   */
  async use<T>(contextOptions: (browserVersion: string) => BrowserContextOptions, fn: (page: Page, context: BrowserContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!this.options.executablePath) throw new HearthError('browser_unavailable', 'no Chromium found: install it or set HEARTH_CHROMIUM_PATH');
    const release = await this.slots.acquire(signal);
    clearTimeout(this.idleTimer);
    let generation: Generation | undefined;
    let tab: Tab | undefined;
    let settled = false;
    try {
      generation = await this.browser();
      generation.active++;
      tab = (await this.takeIdle(generation)) ?? (await Tab.open(generation.browser, contextOptions(generation.browser.version())));
      tab.lend();
      // Closing the context on abort makes every pending Playwright call (evaluate has no timeout) fail fast.
      const lent = tab;
      const onAbort = () => void this.closeTab(lent, generation!);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        signal?.throwIfAborted();
        const work = fn(tab.page, tab.context);
        work.then(() => (settled = true), () => (settled = true));
        if (!signal) return await work;
        // A Playwright call racing a context close can stay pending for good (seen with newPage):
        // the slot is freed on abort without waiting for it.
        return await Promise.race([work, aborted(signal)]);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    } catch (error) {
      if (generation && !generation.browser.isConnected()) {
        throw new HearthError('browser_unavailable', 'the browser exited during the request; it is being restarted, retry', { retryAfterS: 1, cause: error });
      }
      throw error;
    } finally {
      // The reset runs after the caller has its answer; the slot stays taken until it is done.
      void this.giveBack(tab, generation, settled && !signal?.aborted, release);
    }
  }

  /** A warm tab whose renderer is still there (an idle renderer can crash or be killed too). */
  private async takeIdle(generation: Generation): Promise<Tab | undefined> {
    for (let tab = generation.idle.pop(); tab; tab = generation.idle.pop()) {
      if (await tab.alive()) return tab;
      await tab.close();
    }
    return undefined;
  }

  private async giveBack(tab: Tab | undefined, generation: Generation | undefined, clean: boolean, release: () => void): Promise<void> {
    try {
      if (tab && generation) {
        const reuse = clean && !generation.retired && generation.browser.isConnected() && (await tab.reset());
        if (reuse && !generation.retired) generation.idle.push(tab);
        else await this.closeTab(tab, generation);
      }
    } finally {
      if (generation) {
        generation.active--;
        if (generation.retired && generation.active === 0) void this.shut(generation);
      }
      release();
      this.armIdleTimer();
    }
  }

  /** Navigation outcome, for the "restart on clustered navigation timeouts" rule. */
  noteNavigation(timedOut: boolean): void {
    this.consecutiveTimeouts = timedOut ? this.consecutiveTimeouts + 1 : 0;
    if (this.consecutiveTimeouts >= this.options.restartAfterTimeouts && this.current) {
      this.options.log?.warn({ timeouts: this.consecutiveTimeouts }, 'browser: navigation timeouts cluster; replacing the browser');
      this.consecutiveTimeouts = 0;
      this.retire(this.current);
    }
  }

  status(): BrowserPoolStatus {
    const g = this.current;
    return {
      state: !this.options.executablePath ? 'unavailable' : g ? 'running' : this.launching ? 'launching' : 'closed',
      executable: this.options.executablePath ?? null,
      version: g?.browser.version() ?? null,
      pid: g?.pid ?? null,
      launches: this.launches,
      pages_open: this.slots.inUse,
      queued: this.slots.queued,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    const launching = this.launching?.catch(() => undefined);
    const g = this.current ?? (await launching);
    this.current = undefined;
    if (g) await this.shut(g);
  }

  private browser(): Promise<Generation> {
    if (this.current?.browser.isConnected()) return Promise.resolve(this.current);
    if (this.closed) return Promise.reject(new HearthError('browser_unavailable', 'the server is shutting down'));
    this.launching ??= this.launch().finally(() => (this.launching = undefined));
    return this.launching;
  }

  private async launch(): Promise<Generation> {
    const started = performance.now();
    const before = new Set(await childPids());
    let browser: Browser;
    try {
      browser = await chromium.launch({
        executablePath: this.options.executablePath,
        headless: true,
        args: [...LAUNCH_ARGS, ...(this.options.extraArgs ?? [])],
        proxy: { server: await this.options.proxyServer(), bypass: '<-loopback>' },
        timeout: this.options.launchTimeoutMs,
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
    } catch (error) {
      this.options.log?.error({ err: (error as Error).message, executable: this.options.executablePath }, 'browser: launch failed');
      throw new HearthError('browser_unavailable', 'the browser could not be started', { retryAfterS: 5, cause: error });
    }
    this.launches++;
    const generation: Generation = { browser, idle: [], pid: await browserPid(before), active: 0, retired: false };
    browser.on('disconnected', () => {
      if (this.current === generation) this.current = undefined;
      if (!generation.retired && !this.closed) this.options.log?.warn({ pid: generation.pid }, 'browser: disconnected (crashed or killed); the next request relaunches it');
    });
    this.current = generation;
    this.options.log?.info({ pid: generation.pid, version: browser.version(), ms: Math.round(performance.now() - started) }, 'browser: launched');
    return generation;
  }

  /** A tab that will not close within 5 s means a wedged browser: it is replaced. */
  private async closeTab(tab: Tab, generation: Generation): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const wedged = new Promise<'wedged'>((resolve) => (timer = setTimeout(() => resolve('wedged'), 5000)));
    const outcome = await Promise.race([tab.close().then(() => 'closed' as const), wedged]);
    clearTimeout(timer);
    if (outcome === 'wedged') {
      this.options.log?.warn({ pid: generation.pid }, 'browser: a context would not close; replacing the browser');
      this.retire(generation);
      await this.shut(generation);
    }
  }

  private retire(generation: Generation): void {
    generation.retired = true;
    if (this.current === generation) this.current = undefined;
    if (generation.active === 0) void this.shut(generation);
  }

  private async shut(generation: Generation): Promise<void> {
    generation.retired = true;
    await generation.browser.close().catch(() => {});
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    if (this.slots.inUse > 0 || this.slots.queued > 0 || !this.current) return;
    this.idleTimer = setTimeout(() => {
      const g = this.current;
      if (!g || g.active > 0) return;
      this.options.log?.info({ idle_ms: this.options.idleMs }, 'browser: idle; closing');
      this.retire(g);
    }, this.options.idleMs);
    this.idleTimer.unref();
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** The new Chromium's pid: the child that appeared with the launch and drives a DevTools pipe. */
async function browserPid(before: ReadonlySet<number>): Promise<number | null> {
  for (const pid of await childPids()) {
    if (before.has(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('--remote-debugging-pipe')) return pid;
  }
  return null;
}
