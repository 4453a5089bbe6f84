/**
 * Crawl benchmark: warm per-page latency of POST /v1/crawl (a fresh context per request, the
 * egress proxy, robots.txt cache, extraction) against the floor, a bare Playwright script that
 * reuses one page of the same Chromium in this process (goto + content, nothing else); then the
 * pooled browser's memory (browser + renderers RSS) over a run of pages.
 *
 *   npm run build && node dist/bench/crawl.js [--pages 60] [--memory-pages 200]
 */
import { readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { loadConfig, packageRoot } from '../src/config.js';
import { fmt, httpCall, percentile, startBenchServer } from './lib.js';

const { values } = parseArgs({ options: { pages: { type: 'string', default: '60' }, 'memory-pages': { type: 'string', default: '200' } } });
const PAGES = Number(values.pages);
const MEMORY_PAGES = Number(values['memory-pages']);
const WARMUP = 5;

// The fixture: an article in site chrome, a small script, an image that 404s; different per path so nothing is cached.
const para = (i: number, k: number) => `<p>Paragraph ${k} of page ${i}: the river ran quietly past the mill while the market opened and the bakers carried bread up the hill.</p>`;
const site = createServer((req, res) => {
  const i = Number(/\/page\/(\d+)/.exec(req.url ?? '')?.[1] ?? -1);
  if (i < 0) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
    `<!doctype html><html><head><title>Page ${i}</title></head><body><nav><a href="/">Home</a> <a href="/a">A</a> <a href="/b">B</a></nav>` +
      `<main><article><h1>Page ${i}</h1>${Array.from({ length: 20 }, (_, k) => para(i, k)).join('')}</article></main>` +
      `<footer>Footer text and links</footer><script>document.title += ' ✓';</script></body></html>`,
  );
});
await new Promise<void>((r) => site.listen(0, '127.0.0.1', () => r()));
const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
const executablePath = loadConfig({}).crawl.chromiumPath;
if (!executablePath) throw new Error('no Chromium found (set HEARTH_CHROMIUM_PATH)');

const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};

// ── floor: bare Playwright, one page reused ────────────────────────────────
async function floor(): Promise<{ p50: number; p99: number }> {
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  const page = await (await browser.newContext()).newPage();
  const times: number[] = [];
  for (let n = 0; n < WARMUP + PAGES; n++) {
    const t = performance.now();
    await page.goto(`${siteUrl}/page/${n}`, { waitUntil: 'domcontentloaded' });
    await page.content();
    if (n >= WARMUP) times.push(performance.now() - t);
  }
  await browser.close();
  return summary(times);
}

// ── Hearth over HTTP ──────────────────────────────────────────────────────
const server = await startBenchServer(join(packageRoot, 'dist/src/main.js'), {
  HEARTH_EGRESS_ALLOWLIST: '127.0.0.1',
  HEARTH_CRAWL_DOMAIN_RPS: '0',
  HEARTH_AUTO_PULL: 'false',
  HEARTH_LOG_LEVEL: 'warn',
});

async function hearth(label: string, extra: Record<string, unknown>, count: number, offset: number): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let n = 0; n < WARMUP + count; n++) {
    const t = performance.now();
    const res = await httpCall(`${server.url}/v1/crawl`, 'POST', JSON.stringify({ url: `${siteUrl}/page/${offset + n}`, formats: ['markdown', 'text'], ...extra }));
    if (res.status !== 200) throw new Error(`${label}: ${res.status} ${res.body.slice(0, 200)}`);
    if (n >= WARMUP) times.push(performance.now() - t);
  }
  return summary(times);
}

/** PSS (shared pages split between sharers, so the sum is not inflated) of the browser and every process under it. */
async function browserTreePss(pid: number): Promise<number> {
  let total = 0;
  const visit = async (p: number): Promise<void> => {
    const rollup = await readFile(`/proc/${p}/smaps_rollup`, 'utf8').catch(() => '');
    total += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
    const tasks = await readdir(`/proc/${p}/task`).catch(() => [] as string[]);
    const children = (await Promise.all(tasks.map((t) => readFile(`/proc/${p}/task/${t}/children`, 'utf8').catch(() => '')))).join(' ').split(/\s+/).filter(Boolean).map(Number);
    for (const c of new Set(children)) await visit(c);
  };
  await visit(pid);
  return total;
}

try {
  const started = performance.now();
  const floorStats = await floor();
  const fast = await hearth('wait_for_js=false', { wait_for_js: false }, PAGES, 0);
  const full = await hearth('render loop', {}, PAGES, 10_000);
  const status = JSON.parse((await httpCall(`${server.url}/api/status`, 'GET')).body);
  const pid = status.browser?.pid as number;
  const rssBefore = await browserTreePss(pid);
  const t = performance.now();
  await hearth('memory run', { wait_for_js: false }, MEMORY_PAGES, 20_000);
  const memoryRunS = (performance.now() - t) / 1000;
  const rssAfter = await browserTreePss(pid);
  const mb = (b: number) => fmt(b / 1024 / 1024, 0);

  console.log(`\ncrawl benchmark: ${PAGES} warm pages each (after ${WARMUP} warm-up), sequential, Chromium ${status.browser?.version}`);
  console.log('                                    p50 ms   p99 ms   p50 vs floor');
  console.log(`floor: bare Playwright, one page    ${fmt(floorStats.p50).padStart(6)}   ${fmt(floorStats.p99).padStart(6)}   1.00×`);
  console.log(`Hearth, wait_for_js=false           ${fmt(fast.p50).padStart(6)}   ${fmt(fast.p99).padStart(6)}   ${fmt(fast.p50 / floorStats.p50, 2)}×`);
  console.log(`Hearth, default render loop         ${fmt(full.p50).padStart(6)}   ${fmt(full.p99).padStart(6)}   ${fmt(full.p50 / floorStats.p50, 2)}×`);
  console.log(`\nbrowser memory (browser + renderers, PSS): ${mb(rssBefore)} MB after ${2 * (PAGES + WARMUP)} pages → ${mb(rssAfter)} MB after ${MEMORY_PAGES} more (${fmt(memoryRunS, 1)} s)`);
  console.log(`total ${fmt((performance.now() - started) / 1000, 1)} s`);
} finally {
  await server.stop();
  site.close();
}
