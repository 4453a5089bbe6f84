import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLI, MODEL_DIRS } from '../helpers/paths.js';
import { type RunningServer, postJson, startServer } from '../helpers/server.js';

const longText = (i: number) => `document ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(40)}`;
const events = (server: RunningServer, msg: string, model?: string) =>
  server.logs.filter((l) => l.msg === msg && (model === undefined || l.model === model));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pool and batcher behaviour on the real server', () => {
  let server: RunningServer;
  beforeAll(async () => {
    const hfHome = inject('hfHome');
    // A model whose files look right but whose graph is garbage: loading must fail cleanly.
    const broken = await mkdtemp(join(tmpdir(), 'hearth-broken-'));
    await mkdir(join(broken, 'onnx'));
    await copyFile(join(MODEL_DIRS.fp32, 'tokenizer.json'), join(broken, 'tokenizer.json'));
    await writeFile(join(broken, 'onnx', 'model.onnx'), 'this is not an onnx graph');
    execFileSync(process.execPath, [CLI, 'import', broken, '--as', 'test/broken-model'], { env: { ...process.env, HF_HOME: hfHome } });
    server = await startServer({
      HF_HOME: hfHome,
      HEARTH_LOG_LEVEL: 'debug',
      HEARTH_MAX_BATCH_SIZE: '4',
      HEARTH_MAX_QUEUE: '64',
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('50 concurrent first requests cause exactly one load', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: `hello ${i}` })));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(events(server, 'model load', 'sentence-transformers/all-MiniLM-L6-v2')).toHaveLength(1);
    // They were merged: fewer runs than requests.
    expect(events(server, 'batch').length).toBeLessThan(50);
  });

  it('keep_alive 0 unloads after the request; the next request loads again', async () => {
    const before = events(server, 'model load', 'Xenova/all-MiniLM-L6-v2').length;
    expect((await postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm:int8', input: 'x', keep_alive: 0 })).status).toBe(200);
    await sleep(100);
    expect(events(server, 'model unload', 'Xenova/all-MiniLM-L6-v2').at(-1)?.reason).toBe('expired');
    expect((await postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm:int8', input: 'x', keep_alive: '1h' })).status).toBe(200);
    expect(events(server, 'model load', 'Xenova/all-MiniLM-L6-v2').length).toBe(before + 2);
  });

  it('a broken model file: 50 concurrent requests → one load attempt, all 503, other models unaffected', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => postJson(`${server.url}/v1/embeddings`, { model: 'test/broken-model', input: 'x' })));
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([503]));
    expect(results[0]!.json.error.code).toBe('model_load_failed');
    expect(results[0]!.headers.get('retry-after')).toBeTruthy();
    expect(events(server, 'model load failed', 'test/broken-model')).toHaveLength(1);
    expect((await postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: 'still fine' })).status).toBe(200);
    // Not poisoned: a later request tries again.
    await postJson(`${server.url}/v1/embeddings`, { model: 'test/broken-model', input: 'x' });
    expect(events(server, 'model load failed', 'test/broken-model')).toHaveLength(2);
  });

  it('clients that disconnect while queued have their work dropped', async () => {
    const ranBefore = events(server, 'batch').reduce((s, l) => s + (l.batch_size as number), 0);
    const blocker = postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: Array.from({ length: 24 }, (_, i) => longText(i)) });
    await sleep(30);
    const controllers = Array.from({ length: 10 }, () => new AbortController());
    const doomed = controllers.map((c, i) =>
      fetch(`${server.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'all-minilm', input: [longText(100 + i), longText(200 + i)] }), signal: c.signal }).catch((e: Error) => e.name),
    );
    await sleep(30);
    controllers.forEach((c) => c.abort());
    expect(await Promise.all(doomed)).toEqual(Array(10).fill('AbortError'));
    expect((await blocker).status).toBe(200);
    await sleep(200);
    const ran = events(server, 'batch').reduce((s, l) => s + (l.batch_size as number), 0) - ranBefore;
    expect(ran).toBe(24);
  });

  it('a full queue answers 503 overloaded with Retry-After, never 500, and recovers', async () => {
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: [longText(i), longText(i + 1), longText(i + 2)] })));
    const statuses = burst.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    const rejected = burst.filter((r) => r.status === 503);
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) {
      expect(r.json.error.code).toBe('overloaded');
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.headers.get('x-should-retry')).toBe('true');
    }
    expect((await postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: 'after the storm' })).status).toBe(200);
  });

  it('inference never blocks the HTTP thread: /health stays fast during a long run', async () => {
    const work = postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: Array.from({ length: 40 }, (_, i) => longText(i)) });
    const latencies: number[] = [];
    let done = false;
    void work.then(() => (done = true));
    while (!done) {
      const t = performance.now();
      await fetch(`${server.url}/health`);
      latencies.push(performance.now() - t);
      await sleep(5);
    }
    latencies.sort((a, b) => a - b);
    expect(latencies.length).toBeGreaterThan(10);
    expect(latencies[Math.floor(latencies.length / 2)]!).toBeLessThan(25);
    expect(latencies.at(-1)!).toBeLessThan(250);
  });
});
