import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningServer, postJson, startServer } from '../helpers/server.js';

const MODEL = 'sentence-transformers/all-MiniLM-L6-v2';
const longText = (i: number) => `document ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(20)}`;

/** Prometheus text → "name{labels}" → value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('metrics, status and docs on the real server', () => {
  let server: RunningServer;
  const scrape = async () => parse(await (await fetch(`${server.url}/metrics`)).text());

  beforeAll(async () => {
    server = await startServer({ HF_HOME: inject('hfHome'), HEARTH_MAX_BATCH_SIZE: '1' });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('serves Prometheus text with the process metrics and no GPU gauge on CPU', async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^hearth_process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^# TYPE api_requests_total counter$/m);
    expect(text).not.toContain('gpu_memory_used_bytes');
  });

  it('labels requests by route pattern, never by raw path', async () => {
    expect((await postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: ['hello', 'world'] })).status).toBe(200);
    expect((await fetch(`${server.url}/api/models/some-org/some-model`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${server.url}/v1/models/${encodeURIComponent('../../etc/passwd')}`)).status).toBe(404);
    expect((await fetch(`${server.url}/no/such/route`)).status).toBe(404);
    const m = await scrape();
    expect(m.get('api_requests_total{endpoint="/v1/embeddings",status="200"}')).toBe(1);
    expect(m.get('api_requests_total{endpoint="/api/models/{model}",status="404"}')).toBe(1);
    expect(m.get('api_requests_total{endpoint="/v1/models/{model}",status="404"}')).toBe(1);
    expect(m.get('api_requests_total{endpoint="unmatched",status="404"}')).toBe(1);
    const endpoints = new Set([...m.keys()].flatMap((k) => /endpoint="([^"]*)"/.exec(k)?.[1] ?? []));
    expect([...endpoints].filter((e) => e !== 'unmatched' && !/^\/[\w./{}-]*$/.test(e))).toEqual([]);
    expect([...endpoints].some((e) => e.includes('some-org') || e.includes('passwd') || e.includes('no/such'))).toBe(false);
  });

  it('reports the model load, each inference run and the loaded gauge', async () => {
    const m = await scrape();
    expect(m.get(`model_load_duration_seconds_count{model="${MODEL}"}`)).toBe(1);
    expect(m.get(`models_loaded{model="${MODEL}"}`)).toBe(1);
    // HEARTH_MAX_BATCH_SIZE=1: two inputs, two runs.
    expect(m.get(`model_inference_duration_seconds_count{model="${MODEL}"}`)).toBe(2);
    expect(m.get(`batch_size_sum{model="${MODEL}"}`)).toBe(2);
    expect(m.get(`batch_tokens_count{model="${MODEL}"}`)).toBe(2);
    expect(m.get(`queue_depth{model="${MODEL}"}`)).toBe(0);
  });

  it('shows queued inputs and requests in flight while a burst runs', async () => {
    const burst = Promise.all(Array.from({ length: 40 }, (_, i) => postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: longText(i) })));
    let maxQueue = 0;
    let maxActive = 0;
    for (let i = 0; i < 20; i++) {
      const m = await scrape();
      maxQueue = Math.max(maxQueue, m.get(`queue_depth{model="${MODEL}"}`) ?? 0);
      // The scrape itself is one of the requests in flight.
      maxActive = Math.max(maxActive, (m.get('active_requests') ?? 0) - 1);
      if (maxQueue > 0 && maxActive > 0) break;
    }
    expect((await burst).every((r) => r.status === 200)).toBe(true);
    expect(maxQueue).toBeGreaterThan(0);
    expect(maxActive).toBeGreaterThan(0);
    const after = await scrape();
    expect(after.get(`queue_depth{model="${MODEL}"}`)).toBe(0);
    expect(after.get('active_requests')).toBe(1);
  });

  it('GET /api/status reports device, models, queues, workers, memory', async () => {
    const res = await fetch(`${server.url}/api/status`);
    expect(res.status).toBe(200);
    const s = (await res.json()) as any;
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(s.uptime_s).toBeGreaterThan(0);
    expect(s.device).toMatchObject({ provider: 'cpu', requested: 'auto', inter_op_threads: 1 });
    expect(s.device.intra_op_threads).toBeGreaterThan(0);
    expect(s.models).toEqual([{ id: MODEL, state: 'ready', size_bytes: expect.any(Number), expires_at: expect.any(String), refs: 0 }]);
    expect(new Date(s.models[0].expires_at).getTime()).toBeGreaterThan(Date.now());
    expect(s.queues).toEqual([{ model: MODEL, queued: 0 }]);
    expect(s.workers).toEqual([{ model: MODEL, alive: true, threads: s.device.intra_op_threads }]);
    // No crawl yet: the browser is not launched (it starts on the first /v1/crawl).
    expect(s.browser).toMatchObject({ state: expect.stringMatching(/^(closed|unavailable)$/), pid: null, launches: 0, pages_open: 0, queued: 0 });
    expect(s.memory.rss_bytes).toBeGreaterThan(s.memory.heap_used_bytes);
    expect(s.memory.external_bytes).toBeGreaterThan(0);
    expect(s.pulls).toEqual([]);
  });

  it('answers /api/status errors in the OpenAI shape, not Ollama’s', async () => {
    const res = await fetch(`${server.url}/api/status`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe('not_found');
  });

  it('serves /docs and its assets from this server only', async () => {
    const page = await fetch(`${server.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThanOrEqual(3);
    for (const ref of refs) {
      const url = new URL(ref, `${server.url}/docs`);
      expect(url.origin, ref).toBe(server.url);
      const asset = await fetch(url);
      expect(asset.status, ref).toBe(200);
      const body = await asset.text();
      if (ref.endsWith('.js')) {
        expect(asset.headers.get('content-type')).toMatch(/javascript/);
        expect(body.length).toBeGreaterThan(10);
      }
    }
    // The init script points Swagger UI at this server's document and turns off its online validator badge.
    const init = await (await fetch(`${server.url}/docs/assets/init.js`)).text();
    expect(init).toContain("'openapi.json'");
    expect(init).toContain('validatorUrl: null');
    expect((await fetch(`${server.url}/docs/assets/package.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/docs/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
  });
});
