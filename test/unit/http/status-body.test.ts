import { describe, expect, it } from 'vitest';
import { statusBody } from '../../../src/http/admin.js';
import { runtimeStatus } from '../../../src/tasks/status.js';

const runtime = { device: 'cpu' as const, intraOpThreads: 4, interOpThreads: 1, inferenceNice: 10 };
const entry = { key: 'org/a', state: 'ready' as const, sizeBytes: 1000, refs: 0, lastUsed: 0, expiresAt: Date.UTC(2030, 0, 1) };
const handle = { queued: 0, alive: true, info: { provider: 'cpu' } };

describe('statusBody', () => {
  it('shapes the snapshot as /api/status answers it', () => {
    const status = runtimeStatus({ entries: [entry], handle: () => handle, pulls: [], runtime });
    const memory = { rss: 300, heapUsed: 20, external: 5, heapTotal: 40, arrayBuffers: 1 };
    expect(statusBody(status, '1.2.3', 12.345, memory)).toEqual({
      version: '1.2.3',
      uptime_s: 12.3,
      device: { provider: 'cpu', requested: 'cpu', intra_op_threads: 4, inter_op_threads: 1, inference_nice: 10 },
      models: [{ id: 'org/a', state: 'ready', size_bytes: 1000, expires_at: '2030-01-01T00:00:00.000Z', refs: 0 }],
      queues: [{ model: 'org/a', queued: 0 }],
      workers: [{ model: 'org/a', alive: true, threads: 4 }],
      browser: null,
      memory: { rss_bytes: 300, heap_used_bytes: 20, external_bytes: 5 },
      pulls: [],
      ocr_workers: [],
    });
  });

  it('lists OCR worker processes in snake_case', () => {
    const base = runtimeStatus({ entries: [], handle: () => undefined, pulls: [], runtime });
    const worker = { model: 'paddleocr/PP-OCRv4-ch', name: 'ocr', state: 'idle' as const, warm: true, pid: 42, inFlight: 0, queued: 0, restarts: 1, crashes: 1, recentCrashes: 1, circuit: 'closed' as const, lastStartMs: 800, rssBytes: 9, idleTimeoutMs: 5000 };
    expect(statusBody({ ...base, ocrWorkers: [worker] }, '1', 1).ocr_workers).toEqual([
      { model: 'paddleocr/PP-OCRv4-ch', state: 'idle', warm: true, pid: 42, in_flight: 0, queued: 0, restarts: 1, crashes: 1, recent_crashes: 1, circuit: 'closed', last_start_ms: 800, rss_bytes: 9, idle_timeout_ms: 5000 },
    ]);
  });
});
