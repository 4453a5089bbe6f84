import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CrawlRig, chromiumPids, sleep, startCrawlRig } from '../helpers/crawl.js';
import { startServer } from '../helpers/server.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Each fault answers one JSON error with its own code; the server and the browser pool survive it and the next crawl works. */
describe('POST /v1/crawl: faults', () => {
  let rig: CrawlRig;
  beforeAll(async () => {
    rig = await startCrawlRig();
  });
  afterAll(async () => {
    await rig?.close();
  });

  const ok = async () => {
    const { status, json } = await rig.crawl({ url: `${rig.site.url}/article/1`, formats: ['text'] });
    expect(status).toBe(200);
    expect(json.text).toContain('A sourdough starter is nothing more than flour and water');
  };

  /** Starts a crawl that sits in the render loop (its guard selector never appears) until `fault` runs. */
  const faultDuringRender = async (fault: (pids: { browser: number[]; renderers: number[] }) => void) => {
    const before = rig.site.hits.length;
    const pending = rig.crawl({ url: `${rig.site.url}/hang-render`, wait_for_selector: '#never', wait_for_selector_timeout: 30_000, max_render_wait_ms: 30_000, timeout_ms: 40_000 });
    while (!rig.site.hits.slice(before).some((h) => h.path === '/hang-render')) await sleep(50);
    await sleep(500);
    fault(await chromiumPids(rig.server.proc.pid!));
    return pending;
  };

  it('a selector Chromium cannot parse → 400 invalid_request', async () => {
    for (const body of [{ wait_for_selector: 'div[' }, { content_selectors: ['main', '>>> nope'] }, { load_more_selectors: ['button:has-text('] }]) {
      const { status, json } = await rig.crawl({ url: `${rig.site.url}/article/0`, ...body });
      expect(status).toBe(400);
      expect(json.error).toMatchObject({ code: 'invalid_request', param: 'selector' });
    }
    await ok();
  });

  it('bad fields → 400 with the field named', async () => {
    for (const [body, param] of [
      [{}, 'url'],
      [{ url: 42 }, 'url'],
      [{ url: `${rig.site.url}/`, formats: ['pdf'] }, 'formats.0'],
      [{ url: `${rig.site.url}/`, max_render_wait_ms: -1 }, 'max_render_wait_ms'],
      [{ url: `${rig.site.url}/`, headers: { 'bad header': 'x' } }, 'headers.bad header'],
      [{ url: `${rig.site.url}/`, headers: { 'x-a': 'line\r\nbreak' } }, 'headers.x-a'],
    ] as const) {
      const { status, json } = await rig.crawl(body);
      expect(status).toBe(400);
      expect(json.error).toMatchObject({ code: 'invalid_request', param });
    }
  });

  it('a renderer that crashes mid-render → 502 upstream_failed; the browser and the server carry on', async () => {
    const browserBefore = (await chromiumPids(rig.server.proc.pid!)).browser;
    const { status, json } = await faultDuringRender(({ renderers }) => {
      expect(renderers.length).toBeGreaterThan(0);
      for (const pid of renderers) process.kill(pid, 'SIGKILL');
    });
    expect(status).toBe(502);
    expect(json.error.code).toBe('upstream_failed');
    expect(json.error.message).toMatch(/crashed/);
    await ok();
    expect((await chromiumPids(rig.server.proc.pid!)).browser).toEqual(browserBefore);
  });

  it('the browser killed mid-request → 503 browser_unavailable + Retry-After; the next crawl relaunches it', async () => {
    let killed = 0;
    const { status, headers, json } = await faultDuringRender(({ browser }) => {
      expect(browser).toHaveLength(1);
      killed = browser[0]!;
      process.kill(killed, 'SIGKILL');
    });
    expect(status).toBe(503);
    expect(json.error.code).toBe('browser_unavailable');
    expect(headers.get('retry-after')).toBe('1');
    await ok();
    const { browser } = await chromiumPids(rig.server.proc.pid!);
    expect(browser).toHaveLength(1);
    expect(browser[0]).not.toBe(killed);
    // The tab is reset after the answer went out; its slot frees a moment later.
    let status2: any;
    for (let i = 0; i < 40 && (status2 = await (await fetch(`${rig.server.url}/api/status`)).json()).browser.pages_open > 0; i++) await sleep(50);
    expect(status2.browser).toMatchObject({ state: 'running', pid: browser[0], launches: 2, pages_open: 0, queued: 0 });
    expect(rig.server.alive()).toBe(true);
  });

  it('graceful shutdown closes the browser', async () => {
    const { browser } = await chromiumPids(rig.server.proc.pid!);
    expect(browser).toHaveLength(1);
    expect(await rig.server.stop()).toBe(0);
    expect(rig.server.logs.some((l) => l.msg === 'shutdown hook done' && l.hook === 'browser')).toBe(true);
    expect(alive(browser[0]!)).toBe(false);
  });
});

describe('POST /v1/crawl: limits and etiquette', () => {
  let rig: CrawlRig;
  beforeAll(async () => {
    rig = await startCrawlRig({ HEARTH_CRAWL_MAX_PAGES: '1', HEARTH_CRAWL_MAX_QUEUE: '1', HEARTH_CRAWL_DOMAIN_RPS: '2', HEARTH_CRAWL_BROWSER_IDLE: '1500ms', HEARTH_CRAWL_MAX_HTML_BYTES: '1MiB' });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('past the open pages and the queue → 503 overloaded with Retry-After; the queued one still runs', async () => {
    const slow = { url: `${rig.site.url}/slow`, timeout_ms: 3000 };
    const first = rig.crawl(slow);
    await sleep(300);
    const second = rig.crawl(slow);
    await sleep(100);
    const third = await rig.crawl(slow);
    expect(third.status).toBe(503);
    expect(third.json.error.code).toBe('overloaded');
    expect(third.headers.get('retry-after')).toBe('1');
    expect((await first).json.error.code).toBe('upstream_timeout');
    expect((await second).status).toBe(504);
  });

  it('the per-host throttle spaces navigations (2/s here)', async () => {
    const before = rig.site.hits.length;
    for (let i = 0; i < 3; i++) {
      const r = await rig.crawl({ url: `${rig.site.url}/article/2`, wait_for_js: false });
      expect(r.status).toBe(200);
    }
    const times = rig.site.hits.slice(before).filter((h) => h.path === '/article/2').map((h) => h.at);
    expect(times).toHaveLength(3);
    // Slots are 500 ms apart; arrival at the site jitters by the navigation's own latency (a crawl here takes ~150 ms unthrottled).
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(400);
  });

  it('a rendered page over HEARTH_CRAWL_MAX_HTML_BYTES → 413 payload_too_large', async () => {
    const { status, json } = await rig.crawl({ url: `${rig.site.url}/big`, wait_for_js: false, timeout_ms: 60_000 });
    expect(status).toBe(413);
    expect(json.error.code).toBe('payload_too_large');
  });

  it('three navigation timeouts in a row replace the browser (stale sessions cluster them)', async () => {
    const launches = async () => (await (await fetch(`${rig.server.url}/api/status`)).json()).browser.launches as number;
    expect((await rig.crawl({ url: `${rig.site.url}/article/0`, wait_for_js: false })).status).toBe(200);
    const before = await launches();
    const { browser } = await chromiumPids(rig.server.proc.pid!);
    for (let i = 0; i < 3; i++) expect((await rig.crawl({ url: `${rig.site.url}/slow`, timeout_ms: 1500 })).json.error.code).toBe('upstream_timeout');
    expect((await rig.crawl({ url: `${rig.site.url}/article/0`, wait_for_js: false })).status).toBe(200);
    expect(await launches()).toBe(before + 1);
    expect(alive(browser[0]!)).toBe(false);
  });

  it('an idle browser is closed, and relaunched by the next crawl', async () => {
    await rig.crawl({ url: `${rig.site.url}/article/3`, wait_for_js: false });
    const { browser } = await chromiumPids(rig.server.proc.pid!);
    expect(browser).toHaveLength(1);
    await sleep(2500);
    expect((await chromiumPids(rig.server.proc.pid!)).browser).toEqual([]);
    expect(alive(browser[0]!)).toBe(false);
    const again = await rig.crawl({ url: `${rig.site.url}/article/3`, wait_for_js: false });
    expect(again.status).toBe(200);
  });
});

describe('POST /v1/crawl: no Chromium', () => {
  it('→ 503 browser_unavailable, and the rest of the server works', async () => {
    const server = await startServer({ HEARTH_CHROMIUM_PATH: '/nonexistent/chromium', HEARTH_EGRESS_ALLOWLIST: '127.0.0.1', HEARTH_CRAWL_ROBOTS: 'false', HEARTH_AUTO_PULL: 'false' });
    try {
      const res = await fetch(`${server.url}/v1/crawl`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `${server.url}/health` }) });
      expect(res.status).toBe(503);
      expect((await res.json()).error.code).toBe('browser_unavailable');
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
