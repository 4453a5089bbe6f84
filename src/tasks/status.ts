import type { BrowserPoolStatus } from '../runtime/browser/pool.js';
import type { PullProgress } from '../models/pull.js';
import { type Provider, expectedProvider } from '../runtime/device.js';
import type { RuntimeOptions } from '../runtime/onnx.js';
import type { PoolEntryInfo } from '../runtime/pool.js';
import type { WorkerStatus } from '../runtime/workers/supervisor.js';

/** What a status report needs to know of a loaded model's handle. */
export interface ModelHandle {
  queued: number;
  alive: boolean;
  info: { provider: string };
}

export interface RuntimeStatus {
  device: {
    /** What loaded models run on; with none loaded, what a load would try first. */
    provider: Provider;
    requested: RuntimeOptions['device'];
    intraOpThreads: number;
    interOpThreads: number;
    inferenceNice: number;
  };
  models: Array<{ id: string; state: PoolEntryInfo['state']; sizeBytes: number; expiresAt: Date | null; refs: number }>;
  queues: Array<{ model: string; queued: number }>;
  workers: Array<{ model: string; alive: boolean; threads: number }>;
  pulls: Array<{ model: string; status: string; total?: number; completed?: number; callers: number }>;
  /** OCR worker processes, one per OCR model used since start. */
  ocrWorkers?: Array<WorkerStatus & { model: string }>;
  /** The crawl browser (POST /v1/crawl). */
  browser?: BrowserPoolStatus;
}

export interface StatusSources {
  entries: PoolEntryInfo[];
  handle(key: string): ModelHandle | undefined;
  pulls: Array<{ id: string; progress: PullProgress; callers: number }>;
  runtime: RuntimeOptions;
}

/** One snapshot of the runtime, assembled from the pool and the pulls in progress; no I/O. */
export function runtimeStatus({ entries, handle, pulls, runtime }: StatusSources): RuntimeStatus {
  const ready = entries.flatMap((e) => {
    const h = e.state === 'ready' ? handle(e.key) : undefined;
    return h ? [{ key: e.key, handle: h }] : [];
  });
  const providers = new Set(ready.map((r) => r.handle.info.provider));
  const provider: Provider = providers.size === 0 ? expectedProvider(runtime.device) : providers.has('cuda') ? 'cuda' : 'cpu';
  return {
    device: {
      provider,
      requested: runtime.device,
      intraOpThreads: runtime.intraOpThreads,
      interOpThreads: runtime.interOpThreads,
      inferenceNice: runtime.inferenceNice,
    },
    models: entries.map((e) => ({ id: e.key, state: e.state, sizeBytes: e.sizeBytes, expiresAt: e.expiresAt === null ? null : new Date(e.expiresAt), refs: e.refs })),
    queues: ready.map((r) => ({ model: r.key, queued: r.handle.queued })),
    workers: ready.map((r) => ({ model: r.key, alive: r.handle.alive, threads: runtime.intraOpThreads })),
    pulls: pulls.map((p) => ({
      model: p.id,
      status: p.progress.status,
      ...(p.progress.total !== undefined ? { total: p.progress.total } : {}),
      ...(p.progress.completed !== undefined ? { completed: p.progress.completed } : {}),
      callers: p.callers,
    })),
  };
}
