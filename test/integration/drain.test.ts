import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { childPids } from '../../src/lib/lifecycle.js';
import { type RunningServer, postJson, startServer } from '../helpers/server.js';

// ~80 model tokens each: 20 requests × 8 texts keep 2 cores busy for a few seconds.
const longText = (i: number) => `document ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(8)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const batchItems = (server: RunningServer) => server.logs.filter((l) => l.msg === 'batch').reduce((s, l) => s + (l.batch_size as number), 0);
/** Items that reached the batcher: run so far plus still queued, as of the latest 'batch' line. */
const submittedItems = (server: RunningServer) => {
  const batches = server.logs.filter((l) => l.msg === 'batch');
  return batches.length === 0 ? 0 : batchItems(server) + (batches.at(-1)!.queued as number);
};

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function exitOf(server: RunningServer): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> {
  return new Promise((resolve) => server.proc.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
}

/** A raw connection that has sent part of a request's headers: busy, so the drain does not close it as idle. */
async function halfSentRequest(port: number, body: string): Promise<{ finish(): Promise<string> }> {
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (received += d));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.write('POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  return {
    finish: async () => {
      socket.write(`Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      await Promise.race([closed, sleep(5_000)]);
      socket.destroy();
      return received;
    },
  };
}

describe('graceful shutdown', () => {
  it('SIGTERM with 20 requests in flight: all 20 answer 200, late requests get 503 or a refused connection, exit 0, no child left', async () => {
    const server = await startServer({ HF_HOME: inject('hfHome'), HEARTH_LOG_LEVEL: 'debug' });
    const pid = server.proc.pid!;
    expect((await postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: 'warm up' })).status).toBe(200);
    const half = await halfSentRequest(server.port, JSON.stringify({ model: 'all-minilm', input: 'arrives during the drain' }));
    const before = batchItems(server);

    let finished = 0;
    const inflight = Array.from({ length: 20 }, (_, r) =>
      postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: Array.from({ length: 8 }, (_, j) => longText(r * 8 + j)) }).then((res) => {
        finished += 1;
        return res;
      }),
    );
    // Every request accepted, parsed and queued (160 texts in the batcher), then SIGTERM at once.
    await waitFor('all 160 texts in the batcher', () => submittedItems(server) - before >= 160, 20_000);
    const exited = exitOf(server);
    const sigterm = performance.now();
    const finishedAtSigterm = finished;
    server.proc.kill('SIGTERM');

    // Children of the server while it drains (none today; a browser or OCR workers later): watched until exit.
    const children = new Set<number>();
    let exitedYet = false;
    void exited.then(() => (exitedYet = true));
    const watch = (async () => {
      while (!exitedYet) {
        for (const c of await childPids(pid)) children.add(c);
        await sleep(20);
      }
    })();

    await waitFor('the drain to start', () => server.logs.some((l) => l.msg === 'shutting down: draining in-flight requests'), 5_000);
    // A request on a fresh connection is refused (the listener is closed) or answered 503: never a 500, never a hang.
    const late = await fetch(`${server.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'all-minilm', input: 'too late' }), signal: AbortSignal.timeout(10_000) }).then(
      async (res) => ({ status: res.status, retryAfter: res.headers.get('retry-after') }),
      (error: Error) => ({ status: 0, error: String((error.cause as Error | undefined)?.message ?? error.message) }),
    );
    // A request that completes its headers after SIGTERM on a connection opened before it: 503 overloaded, Retry-After, Connection: close.
    const raw = await half.finish();

    const results = await Promise.all(inflight);
    const exit = await exited;
    await watch;
    const stillRunning = [...children].filter((c) => existsSync(`/proc/${c}`));

    console.log(
      `drain: ${results.filter((r) => r.status === 200).length}/20 in-flight requests answered 200 (${20 - finishedAtSigterm} still running at SIGTERM), ` +
        `exit code ${exit.code} ${Math.round(exit.at - sigterm)} ms after SIGTERM; late request on a new connection: ${late.status === 0 ? `refused (${'error' in late ? late.error : ''})` : late.status}; ` +
        `late request on an open connection: ${raw.split('\r\n')[0]}; child processes seen while draining: ${children.size}`,
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(results.every((r) => r.json.data.length === 8)).toBe(true);
    expect(finishedAtSigterm).toBeLessThan(20);
    expect(exit.code).toBe(0);
    expect(exit.at - sigterm).toBeLessThan(30_000);
    expect(late.status === 0 || (late.status === 503 && late.retryAfter !== null)).toBe(true);
    expect(raw).toMatch(/^HTTP\/1\.1 503 /);
    expect(raw.toLowerCase()).toContain('retry-after: 5');
    expect(raw.toLowerCase()).toContain('connection: close');
    expect(raw).toContain('"code":"overloaded"');
    expect(stillRunning).toEqual([]);
    // Inference ran for exactly the 160 in-flight texts; the models were disposed (worker threads ended) before exit.
    expect(batchItems(server) - before).toBe(160);
    expect(server.logs.some((l) => l.msg === 'model unload' && l.reason === 'shutdown')).toBe(true);
    expect(server.logs.find((l) => l.msg === 'stopped')?.drain).toBe('drained');
    expect(server.logs.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(server.stray).toEqual([]);
  });

  it('a drain longer than HEARTH_DRAIN_TIMEOUT is cut: connections closed, models disposed, exit 0', async () => {
    const server = await startServer({ HF_HOME: inject('hfHome'), HEARTH_LOG_LEVEL: 'debug', HEARTH_DRAIN_TIMEOUT: '200ms' });
    const big = postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: Array.from({ length: 512 }, (_, i) => longText(i)) }).then(
      (r) => r.status,
      () => 'connection closed',
    );
    await waitFor('the first run', () => server.logs.some((l) => l.msg === 'batch'), 20_000);
    const exited = exitOf(server);
    const sigterm = performance.now();
    server.proc.kill('SIGTERM');
    const exit = await exited;
    // The exit follows the cut by at most the inference run in progress: disposing a model waits for its worker's current run.
    const hook = server.logs.find((l) => l.msg === 'shutdown hook done' && l.hook === 'models');
    console.log(`drain timeout 200 ms: exit code ${exit.code} ${Math.round(exit.at - sigterm)} ms after SIGTERM (models hook ${hook?.ms} ms); the cut request saw: ${await big}`);
    expect(exit.code).toBe(0);
    expect(exit.at - sigterm).toBeLessThan(10_000);
    expect(await big).toBe('connection closed');
    expect(server.logs.find((l) => l.msg === 'stopped')?.drain).toBe('timeout');
    expect(server.logs.some((l) => l.msg === 'model unload' && l.reason === 'shutdown')).toBe(true);
  });
});
