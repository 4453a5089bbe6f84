import { type AddressInfo, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CrawlRig, sleep, startCrawlRig } from '../helpers/crawl.js';

/**
 * Every way a crawl could reach an address outside the allowlist. The canaries (127.0.0.2 and
 * ::1, not allowlisted) must count zero connections at the end; nothing here leaves loopback.
 */
describe('POST /v1/crawl: SSRF', () => {
  let rig: CrawlRig;
  beforeAll(async () => {
    rig = await startCrawlRig();
  });
  afterAll(async () => {
    await rig?.close();
  });

  const refused = async (url: string, code = 'url_not_allowed', status = 400) => {
    const { status: got, json } = await rig.crawl({ url });
    expect({ url, got, code: json.error?.code }).toEqual({ url, got: status, code });
    return json;
  };

  it('a non-allowlisted address directly (IPv4, IPv6, numeric forms)', async () => {
    await refused(`${rig.canary.url}/`);
    await refused(`http://0x7f.0.0.2:${rig.canary.port}/`);
    await refused(`http://2130706434:${rig.canary.port}/`);
    if (rig.canary6) await refused(`${rig.canary6.url}/`);
    await refused(`http://[::ffff:127.0.0.2]:${rig.canary.port}/`);
  });

  it('a name that resolves to an internal address is refused, even next to an allowed one; a name for the allowed site is crawled', async () => {
    await refused(`http://internal.test:${rig.canary.port}/`);
    await refused(`http://internal.test:${rig.site.port}/article/0`);
    const ok = await rig.crawl({ url: `http://site.test:${rig.site.port}/article/0`, formats: ['text'] });
    expect(ok.status, JSON.stringify(ok.json).slice(0, 200)).toBe(200);
    expect(ok.json.final_url).toBe(`http://site.test:${rig.site.port}/article/0`);
  });

  it('non-http(s) schemes are refused before any navigation', async () => {
    for (const url of ['file:///etc/passwd', 'chrome://version', 'data:text/html,<h1>hi</h1>', 'javascript:alert(1)', 'about:blank', 'ftp://127.0.0.1/', 'view-source:http://127.0.0.1/']) {
      await refused(url);
    }
    const { status, json } = await rig.crawl({ url: 'not a url' });
    expect(status).toBe(400);
    expect(json.error.code).toBe('invalid_request');
  });

  it('an allowed page that redirects to the canary (http, IPv6, file:) → url_not_allowed', async () => {
    await refused(`${rig.site.url}/redirect-canary`);
    if (rig.canary6) await refused(`${rig.site.url}/redirect-canary-v6`);
    await refused(`${rig.site.url}/redirect-file`);
  });

  it('an allowed page whose script navigates to the canary → url_not_allowed', async () => {
    const { status, json } = await rig.crawl({ url: `${rig.site.url}/js-redirect-canary`, stabilization_iterations: 3 });
    expect(status).toBe(400);
    expect(json.error.code).toBe('url_not_allowed');
  });

  it('iframes, images, scripts, fetch, XHR, beacons and WebSockets towards the canary all fail; the page itself is served', async () => {
    const { status, json } = await rig.crawl({ url: `${rig.site.url}/reach-canary`, stabilization_iterations: 3 });
    expect(status).toBe(200);
    expect(json.text).toContain('tries to reach the canary in every way');
    await sleep(500);
  });

  it('caller JavaScript is not accepted', async () => {
    for (const field of ['js_code', 'actions', 'evaluate', 'script']) {
      const { status, json } = await rig.crawl({ url: `${rig.site.url}/article/0`, [field]: 'document.title' });
      expect(status).toBe(400);
      expect(json.error.code).toBe('invalid_request');
    }
  });

  it('the canaries never saw a connection, and the proxy counted its refusals', async () => {
    expect(rig.canary.connections).toBe(0);
    expect(rig.canary6?.connections ?? 0).toBe(0);
    const refusals = rig.server.logs.filter((l) => l.msg === 'crawl egress refused');
    // The page-level attempts went as far as the proxy and stopped there.
    expect(refusals.length).toBeGreaterThanOrEqual(5);
    expect([...new Set(refusals.map((l) => String(l.host)))].sort()).toEqual(rig.canary6 ? ['127.0.0.2', '[::1]'] : ['127.0.0.2']);
  });
});

describe('POST /v1/crawl: https through the proxy (robots.txt off, so only the browser connects)', () => {
  let rig: CrawlRig;
  beforeAll(async () => {
    rig = await startCrawlRig({ HEARTH_CRAWL_ROBOTS: 'false' });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('https to an allowed host is tunnelled by the browser through the proxy: the site is reached; a non-TLS answer is 502 upstream_failed', async () => {
    let connections = 0;
    const notTls = createServer((socket) => {
      connections++;
      socket.end('HTTP/1.1 200 OK\r\n\r\nnot tls');
    });
    await new Promise<void>((resolve) => notTls.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { status, json } = await rig.crawl({ url: `https://127.0.0.1:${(notTls.address() as AddressInfo).port}/` });
      expect(status).toBe(502);
      expect(json.error.code).toBe('upstream_failed');
      expect(connections).toBeGreaterThan(0);
    } finally {
      notTls.close();
    }
  });

});
