import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningServer, startServer } from '../helpers/server.js';

const CHROMIUM = process.env.HEARTH_CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** The playground page in a real browser: its script loads under the page's CSP and its forms reach the API. */
describe.runIf(existsSync(CHROMIUM) || process.env.CI)('playground page', () => {
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer({ HF_HOME: inject('hfHome') });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('embeds text from the form and shows the answer and its curl line, with no console errors', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(String(e)));
    const res = await page.goto(`${server.url}/playground`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.fill('#embed-input', 'hello from the playground\nsecond line');
    await page.click('#embed button[type=submit]');
    await page.waitForFunction(() => /^\d{3} /.test(document.querySelector('#embed .out')?.textContent ?? ''));
    const out = await page.textContent('#embed .out');
    expect(out).toMatch(/^200 /);
    expect(out).toContain('"object": "list"');
    expect(out).toContain('… 384 values');
    expect(await page.textContent('#embed .curl')).toContain('/v1/embeddings');
    await page.click('nav button[data-tab=models]');
    await page.click('#models button[type=submit]');
    await page.waitForFunction(() => /^\d{3} /.test(document.querySelector('#models .out')?.textContent ?? ''));
    expect(await page.textContent('#models .out')).toMatch(/^200 /);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a request error is shown, not swallowed (unknown model → 404)', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/playground`);
    await page.fill('#embed-model', 'nope/nope');
    await page.click('#embed button[type=submit]');
    await page.waitForFunction(() => /^\d{3} /.test(document.querySelector('#embed .out')?.textContent ?? ''));
    expect(await page.textContent('#embed .out')).toMatch(/^404 [\s\S]*model_not_found/);
    const script = await fetch(`${server.url}/playground/app.js`);
    expect(script.headers.get('content-type')).toContain('javascript');
    await page.close();
  });
});
