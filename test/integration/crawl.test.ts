import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTICLES, groundTruth } from '../fixtures/crawl/articles.js';
import { type CrawlRig, sleep, startCrawlRig } from '../helpers/crawl.js';

/** POST /v1/crawl against the fixture site: one test per situation of the seed's crawl practices. */
describe('POST /v1/crawl: the fixture site', () => {
  let rig: CrawlRig;
  beforeAll(async () => {
    rig = await startCrawlRig();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('an article comes back without its navigation, ads, related links and footer', async () => {
    const url = `${rig.site.url}/article/0`;
    const { status, json } = await rig.crawl({ url, formats: ['markdown', 'text', 'links', 'html'] });
    expect(status).toBe(200);
    expect(json).toMatchObject({ url, final_url: url, status_code: 200, title: 'Restoring an old apple orchard | The Example Gazette' });
    expect(json.request_id).toMatch(/\S/);
    expect(json.text).toContain('Restoration pruning is a slow process.');
    expect(json.text).toContain('the cider press in the village finally had a reason');
    for (const boilerplate of ['Advertisement', 'Related stories', 'Copyright 2026', 'Privacy policy', 'About us']) expect(json.text).not.toContain(boilerplate);
    expect(json.markdown).toMatch(/^## The first winter$/m);
    expect(json.markdown).not.toContain('Advertisement');
    expect(json.html).toContain('<nav class="main-nav">');
    expect(json.links).toContain(`${rig.site.url}/privacy`);
    expect(json.fetch_time_ms).toBeGreaterThan(0);
    expect(json.render.retries).toBe(0);
    expect(json.screenshot_base64).toBeUndefined();
  });

  it('only_main_content: false keeps the whole page', async () => {
    const { status, json } = await rig.crawl({ url: `${rig.site.url}/article/0`, only_main_content: false, formats: ['text'] });
    expect(status).toBe(200);
    expect(json.text).toContain('Copyright 2026 The Example Gazette');
    expect(json.text).toContain('Restoration pruning is a slow process.');
    expect(json.markdown).toBeUndefined();
  });

  it('an SPA that renders after a delay is waited for (guard selector)', async () => {
    const { status, json } = await rig.crawl({ url: `${rig.site.url}/spa`, wait_for_selector: '#spa-ready' });
    expect(status).toBe(200);
    expect(json.text).toContain('rendered this paragraph after a delay');
    expect(json.render.selector_found).toBe(true);
    expect(json.render.selector_wait_ms).toBeGreaterThanOrEqual(500);
  });

  it('the stabilisation loop alone also catches the late SPA render', async () => {
    const { json } = await rig.crawl({ url: `${rig.site.url}/spa`, stabilization_iterations: 5, stabilization_interval_ms: 250 });
    expect(json.text).toContain('rendered this paragraph after a delay');
  });

  it('wait_for_js: false takes the page right after DOMContentLoaded', async () => {
    const { json } = await rig.crawl({ url: `${rig.site.url}/spa`, wait_for_js: false, only_main_content: false });
    expect(json.text).toContain('Loading');
    expect(json.text).not.toContain('rendered this paragraph');
  });

  it('infinite scroll: auto-scroll loads posts beyond the first screen', async () => {
    const { status, json } = await rig.crawl({ url: `${rig.site.url}/infinite`, only_main_content: false, max_scroll_rounds: 10, scroll_delay_ms: 300, content_selectors: ['.post'], min_content_selector_count: 10 });
    expect(status).toBe(200);
    expect(json.render.scroll_rounds).toBeGreaterThanOrEqual(3);
    expect(json.text).toContain('Feed post number 40');
    expect(json.render.content_count).toBeGreaterThanOrEqual(40);
  });

  it('a load-more button is clicked until it disappears', async () => {
    const { status, json } = await rig.crawl({ url: `${rig.site.url}/load-more`, only_main_content: false, load_more_clicks: 10 });
    expect(status).toBe(200);
    expect(json.render.load_more_clicks).toBe(3);
    expect(json.text).toContain('Catalogue entry 20');
  });

  it('a consent modal is dismissed, and its cookie keeps it dismissed next time', async () => {
    const first = await rig.crawl({ url: `${rig.site.url}/consent` });
    expect(first.status).toBe(200);
    expect(first.json.render.consent_dismissed).toBe(true);
    expect(first.json.text).toContain('only appears once the visitor has accepted');
    const second = await rig.crawl({ url: `${rig.site.url}/consent` });
    expect(second.json.render.consent_dismissed).toBe(false);
    expect(second.json.text).toContain('only appears once the visitor has accepted');
    const lastHit = rig.site.hits.filter((h) => h.path === '/consent').at(-1)!;
    expect(lastHit.headers.cookie).toContain('consent=yes');
  });

  it('a page that holds a connection open forever (no network idle) still returns promptly', async () => {
    const { status, json } = await rig.crawl({ url: `${rig.site.url}/long-lived`, timeout_ms: 15_000 });
    expect(status).toBe(200);
    expect(json.text).toContain('keeps a request open forever');
    expect(json.fetch_time_ms).toBeLessThan(5000);
  });

  it('a redirect chain ends at the final URL', async () => {
    const { status, json } = await rig.crawl({ url: `${rig.site.url}/redirect/1` });
    expect(status).toBe(200);
    expect(json.final_url).toBe(`${rig.site.url}/article/0`);
    expect(json.text).toContain('Restoration pruning is a slow process.');
  });

  it('a 429 with Retry-After is waited out and retried', async () => {
    const { status, json } = await rig.crawl({ url: `${rig.site.url}/rate-limited?key=a` });
    expect(status).toBe(200);
    expect(json.text).toContain('Thanks for waiting');
    expect(json.render.retries).toBe(1);
    const hits = rig.site.hits.filter((h) => h.path === '/rate-limited?key=a');
    expect(hits).toHaveLength(2);
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('a 429 asking for longer than the cap fails fast with upstream_failed and a Retry-After', async () => {
    const started = Date.now();
    const { status, headers, json } = await rig.crawl({ url: `${rig.site.url}/always-429` });
    expect(status).toBe(502);
    expect(json.error.code).toBe('upstream_failed');
    expect(headers.get('retry-after')).toBe('120');
    expect(rig.site.hits.filter((h) => h.path === '/always-429')).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('robots.txt disallow → 403 blocked_by_robots, and the page is never fetched', async () => {
    for (const path of ['/private/secret', '/no-hearth']) {
      const { status, json } = await rig.crawl({ url: `${rig.site.url}${path}` });
      expect(status).toBe(403);
      expect(json.error.code).toBe('blocked_by_robots');
      expect(rig.site.hits.some((h) => h.path === path)).toBe(false);
    }
    expect(rig.site.hits.filter((h) => h.path === '/robots.txt')).toHaveLength(1);
    // A redirect into a disallowed path: the browser follows it, the answer is still a refusal.
    const redirected = await rig.crawl({ url: `${rig.site.url}/redirect-private` });
    expect(redirected.status).toBe(403);
    expect(redirected.json.error.code).toBe('blocked_by_robots');
  });

  it('a page slower than timeout_ms → 504 upstream_timeout', async () => {
    const { status, json } = await rig.crawl({ url: `${rig.site.url}/slow`, timeout_ms: 1500 });
    expect(status).toBe(504);
    expect(json.error.code).toBe('upstream_timeout');
  });

  it('a 5 MB page is extracted whole, off the HTTP thread (/health keeps answering meanwhile)', async () => {
    let done = false;
    const probes: number[] = [];
    const probing = (async () => {
      while (!done) {
        const started = performance.now();
        await fetch(`${rig.server.url}/health`);
        probes.push(performance.now() - started);
        await sleep(20);
      }
    })();
    const { status, json } = await rig.crawl({ url: `${rig.site.url}/big`, formats: ['text'], timeout_ms: 60_000 });
    done = true;
    await probing;
    console.log(`/health during a 5 MB crawl: ${probes.length} probes, max ${Math.round(Math.max(...probes))} ms`);
    // Parsing and Readability take ~1 s on this page; on the HTTP thread they stalled /health that long.
    expect(Math.max(...probes)).toBeLessThan(400);
    expect(status).toBe(200);
    expect(json.render.html_bytes).toBeGreaterThan(5 * 1024 * 1024);
    expect(json.text).toContain('End of the big page.');
    expect(json.fetch_time_ms).toBeLessThan(20_000);
  });

  it('the site sees a desktop Chrome: UA, client hints, language, viewport, navigator.webdriver false', async () => {
    const { json } = await rig.crawl({ url: `${rig.site.url}/fingerprint`, only_main_content: false });
    expect(json.text).toMatch(/webdriver=false ua=Mozilla\/5\.0 \(X11; Linux x86_64\) .*Chrome\/\d+\.0\.0\.0 Safari\/537\.36 lang=en-US width=1366/);
    expect(json.text).not.toContain('Headless');
    const echo = await rig.crawl({ url: `${rig.site.url}/echo-headers`, only_main_content: false, headers: { 'X-Caller': 'hello' }, cookies: [{ name: 'session', value: 'abc' }] });
    expect(echo.json.text).toMatch(/accept-language: en-US,en;q=0.9/);
    expect(echo.json.text).toMatch(/sec-ch-ua: .*"Google Chrome";v="\d+"/);
    expect(echo.json.text).toContain('x-caller: hello');
    expect(echo.json.text).toMatch(/cookie: .*session=abc/);
    // The caller's cookie and headers are not kept for the next crawl of the host.
    const after = await rig.crawl({ url: `${rig.site.url}/echo-headers`, only_main_content: false });
    expect(after.json.text).not.toContain('session=abc');
    expect(after.json.text).not.toContain('x-caller');
  });

  it('links are absolute, http(s) only and de-duplicated; a screenshot is a PNG', async () => {
    const { json } = await rig.crawl({ url: `${rig.site.url}/links`, formats: ['links'], screenshot: true });
    expect(json.links).toEqual([`${rig.site.url}/article/0`, `${rig.site.url}/article/1`]);
    expect(Buffer.from(json.screenshot_base64, 'base64').subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });

  it('console errors and uncaught exceptions of the page are counted', async () => {
    const { json } = await rig.crawl({ url: `${rig.site.url}/console-errors`, formats: ['text'] });
    expect(json.render.console_errors).toBe(2);
  });

  it("a site's 404 is content with its status code, not an error", async () => {
    const { status, json } = await rig.crawl({ url: `${rig.site.url}/status-404` });
    expect(status).toBe(200);
    expect(json.status_code).toBe(404);
    expect(json.text).toContain('does not exist');
  });

  it('a reused tab carries nothing over from the previous crawl (storage, IndexedDB; cookies only through the per-host jar)', async () => {
    const url = `${rig.site.url}/storage`;
    const first = await rig.crawl({ url, only_main_content: false });
    expect(first.json.text).toMatch(/local=null session=null cookie=no idb=0/);
    const second = await rig.crawl({ url, only_main_content: false });
    // The cookie comes back on purpose (HEARTH_CRAWL_PERSIST_COOKIES); storage does not.
    expect(second.json.text).toMatch(/local=null session=null cookie=yes idb=0/);
  });

  it('every fixture article comes back with its ground-truth text', async () => {
    for (let i = 0; i < ARTICLES.length; i++) {
      const { json } = await rig.crawl({ url: `${rig.site.url}/article/${i}`, formats: ['text'] });
      for (const line of groundTruth(ARTICLES[i]!).split('\n')) expect(json.text).toContain(line);
    }
  });

  it('no connection ever reached the canaries', () => {
    expect(rig.canary.connections).toBe(0);
    expect(rig.canary6?.connections ?? 0).toBe(0);
  });
});
