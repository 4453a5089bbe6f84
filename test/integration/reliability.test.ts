/**
 * Short reliability runs (the long ones are bench/reliability.ts, figures in docs/reliability.md):
 * steady load, overload against a small queue, clients that disconnect mid-request, and
 * schemathesis fuzzing of every POST route. Each prints its figures and asserts thresholds.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { abortScenario, emptyHub, fuzzScenario, loadScenario, overloadScenario, type Target } from '../../bench/reliability-lib.js';
import { ROOT } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const SCHEMATHESIS = join(ROOT, '.cache', 'venv', 'bin', 'schemathesis');
const target = (s: RunningServer): Target => ({ url: s.url, pid: s.proc.pid!, logs: s.logs });
const errorLines = (s: RunningServer, from = 0) => s.logs.slice(from).filter((l) => l.level === 'error' || l.level === 'fatal');

describe('steady load and aborts (default queue)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ HF_HOME: inject('hfHome'), HEARTH_LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('32 clients for 8 s: every answer 2xx', async () => {
    const r = await loadScenario(target(server), { clients: 32, durationMs: 8_000 });
    console.log(`load: ${r.clients} clients × ${r.seconds} s → ${r.count} requests (${r.perSecond}/s), non-2xx ${r.non2xx}, p50 ${r.p50} ms, p99 ${r.p99} ms`);
    expect(r.non2xx).toBe(0);
    expect(r.count).toBeGreaterThan(100);
    expect(errorLines(server)).toEqual([]);
  });

  it('200 clients that disconnect mid-request: none of their texts is run, the queue empties, the server keeps serving', async () => {
    const from = server.logs.length;
    const r = await abortScenario(target(server), { clients: 200, blockerTexts: 256 });
    console.log(
      `aborts: ${r.clients} clients (${r.midBody} mid-body, ${r.whileQueued} while queued, ${r.doomedItems} texts) → ${r.ranForDoomed} of their texts run; ` +
        `${r.queuedBeforeAbort} texts queued when they left (blocker included), queue empty ${r.queueEmptyAfterAbortMs} ms after the last disconnect (/api/status), ` +
        `a probe found it empty ${r.probeEmptyMs} ms after; the blocker (also dropped) ran ${r.blockerRan} of ${r.blockerTexts}; next request ${r.afterStatus}, error log lines ${r.errorLogs}`,
    );
    expect(r.ranForDoomed).toBe(0);
    expect(r.afterStatus).toBe(200);
    expect(r.blockerRan).toBeLessThan(r.blockerTexts); // the blocker's own queued texts were dropped too
    if (r.queuedBeforeAbort !== null) {
      expect(r.queuedBeforeAbort).toBeGreaterThanOrEqual(r.whileQueued * 2);
      expect(r.queueEmptyAfterAbortMs).toBeLessThanOrEqual(1_000);
    }
    expect(r.probeEmptyMs).toBeLessThanOrEqual(1_000);
    expect(errorLines(server, from)).toEqual([]);
  });
});

describe('fuzzing (API keys on, an empty hub on loopback for pulls)', () => {
  let server: RunningServer;
  let hub: Awaited<ReturnType<typeof emptyHub>>;
  beforeAll(async () => {
    hub = await emptyHub();
    server = await startServer({ HF_HOME: inject('hfHome'), HF_ENDPOINT: hub.url, HEARTH_API_KEYS: 'fuzz-key' });
  });
  afterAll(async () => {
    await server?.stop();
    await hub?.close();
  });

  it('schemathesis on every POST route: no 5xx, invalid bodies answered 4xx, every error JSON', async () => {
    const from = server.logs.length;
    const r = await fuzzScenario(target(server), { schemathesis: SCHEMATHESIS, maxExamples: 15, timeoutMs: 100_000, apiKey: 'fuzz-key' });
    for (const op of r.operations) {
      console.log(
        `fuzz ${op.operation}: ${op.cases} cases (${op.negative} invalid, ${op.negative4xx} of them 4xx; ${op.lenientContentType} valid JSON under another Content-Type), ` +
          `statuses ${JSON.stringify(op.statuses)}, 5xx ${op.server5xx}, non-JSON errors ${op.nonJsonErrors}${op.negativeNot4xx.length ? `, invalid but not 4xx: ${JSON.stringify(op.negativeNot4xx)}` : ''}`,
      );
    }
    console.log(`fuzz: ${r.totalCases} cases in ${r.seconds} s, schemathesis exit ${r.exitCode}, failures: ${r.failures.join('; ') || 'none'}`);
    expect(r.operations.map((o) => o.operation)).toEqual([
      'POST /api/embed',
      'POST /api/embeddings',
      'POST /api/models/pull',
      'POST /api/pull',
      'POST /api/show',
      'POST /embed/batch',
      'POST /embed/image',
      'POST /embed/text',
      'POST /embeddings',
      'POST /v1/crawl',
      'POST /v1/embeddings',
      'POST /v1/images/captions',
      'POST /v1/ocr',
    ]);
    for (const op of r.operations) {
      expect(op.server5xx, op.operation).toBe(0);
      expect(op.nonJsonErrors, op.operation).toBe(0);
      expect(op.negative4xx, op.operation).toBe(op.negative);
    }
    expect(r.failures).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.totalCases).toBeGreaterThanOrEqual(300);
    // The server logged no error for any of it (a 5xx or a crash in a worker would).
    expect(errorLines(server, from)).toEqual([]);
  }, 120_000);
});

describe('overload (HEARTH_MAX_QUEUE=64)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ HF_HOME: inject('hfHome'), HEARTH_MAX_QUEUE: '64' });
    await loadScenario(target(server), { clients: 1, durationMs: 200 }); // model loaded before the burst
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('512 clients for 8 s: only 200 or 503 + Retry-After, rejections fast, all-200 again within 5 s', async () => {
    const r = await overloadScenario(target(server), { clients: 512, durationMs: 8_000 });
    console.log(
      `overload: ${r.clients} clients × ${r.seconds} s → ${r.count} requests, ${r.accepted} × 200, ${r.rejected} × 503 (statuses ${JSON.stringify(r.statuses)}); ` +
        `503 latency p50 ${r.rejectP50} ms, p99 ${r.rejectP99} ms at the client, p50 ${r.serverRejectP50} ms, p99 ${r.serverRejectP99} ms in the server; ` +
        `200 latency p50 ${r.acceptP50} ms, p99 ${r.acceptP99} ms; recovery ${r.recoveryMs} ms; ${r.afterBurst200}/20 × 200 after the burst`,
    );
    expect(Object.keys(r.statuses).sort()).toEqual(['200', '503']);
    expect(r.rejected).toBeGreaterThan(0);
    expect(r.badRejections).toBe(0);
    // Asserted on the server's own time: on 2 shared cores the client-side figure mostly measures the load generator.
    expect(r.serverRejectP99).toBeLessThanOrEqual(50);
    expect(r.recoveryMs).toBeLessThanOrEqual(5_000);
    expect(r.afterBurst200).toBe(20);
    expect(errorLines(server)).toEqual([]);
  });
});
